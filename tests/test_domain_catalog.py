"""Loading the catalog: user folders over shipped assets, and lookups by ref."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain_helpers import (
    persona_data,
    schema_data,
    template_data,
    user_paths,
    write_json,
    write_yaml,
)
from my_deepagent.domain.catalog import load_catalog, load_user_catalog
from my_deepagent.domain.refs import AssetRef, parse_ref
from my_deepagent.errors import AssetError


def test_user_files_add_to_the_shipped_ones(mda_home: Path) -> None:
    paths = user_paths()
    write_yaml(paths.user_personas_dir, "mine.yaml", persona_data())
    write_json(paths.user_schemas_dir, "note@1.json", schema_data())
    write_yaml(paths.user_templates_dir, "flow.yml", template_data())
    catalog = load_user_catalog()
    assert catalog.persona("my-reviewer").ref == "my-reviewer@1"
    assert catalog.source("persona", "my-reviewer").origin == "user"
    assert catalog.schema("note@1").title == "Note"
    assert catalog.template("my-flow@1").phase("review").role == "reviewer"
    assert catalog.template("spec-and-review").ref == "spec-and-review@1"
    assert len(catalog.personas()) == len(load_catalog(None).personas()) + 1


def test_a_user_file_with_the_same_ref_replaces_the_shipped_one(mda_home: Path) -> None:
    shipped = load_catalog(None).persona("scripted-reviewer@1")
    write_yaml(
        user_paths().user_personas_dir,
        "reviewer.yaml",
        persona_data("scripted-reviewer", model="scripted:strict", system_prompt="Be strict."),
    )
    catalog = load_user_catalog()
    persona = catalog.persona("scripted-reviewer@1")
    assert persona.system_prompt == "Be strict."
    assert persona.hash != shipped.hash
    assert catalog.source("persona", "scripted-reviewer").path.endswith("reviewer.yaml")
    assert len(catalog.personas()) == len(load_catalog(None).personas())


def test_a_user_schema_replaces_the_shipped_one_for_shipped_templates(mda_home: Path) -> None:
    write_json(user_paths().user_schemas_dir, "spec.json", schema_data("spec@1", title="Mine"))
    catalog = load_user_catalog()
    assert catalog.schema("spec@1").title == "Mine"
    assert catalog.template("spec-and-review").phases[0].artifact.schema_ref == "spec@1"


def test_a_bare_id_means_the_newest_version(mda_home: Path) -> None:
    folder = user_paths().user_templates_dir
    write_yaml(folder, "v3.yaml", template_data(version=3, description="three"))
    write_yaml(folder, "v12.yaml", template_data(version=12, description="twelve"))
    catalog = load_user_catalog()
    assert catalog.template("my-flow").description == "twelve"
    assert catalog.template("my-flow@3").description == "three"


def test_other_files_in_the_folders_are_ignored(mda_home: Path) -> None:
    paths = user_paths()
    paths.user_personas_dir.mkdir(parents=True)
    (paths.user_personas_dir / "README.md").write_text("# my personas\n")
    (paths.user_personas_dir / ".draft.yaml").write_text("not: [valid\n")
    assert load_user_catalog().persona("scripted-chat").ref == "scripted-chat@1"


def test_unknown_refs_name_the_list_command(mda_home: Path) -> None:
    catalog = load_user_catalog()
    with pytest.raises(AssetError, match=r"no template 'nope' \(run `mda templates list`\)"):
        catalog.template("nope")
    with pytest.raises(AssetError, match=r"no persona 'scripted-chat@2'"):
        catalog.persona("scripted-chat@2")
    with pytest.raises(AssetError, match=r"no schema 'nope@1' \(known: fix@1, "):
        catalog.schema("nope@1")


def test_parse_ref() -> None:
    assert parse_ref("spec-and-review@1") == AssetRef("spec-and-review", 1)
    assert parse_ref(" bugfix ") == AssetRef("bugfix", None)
    assert str(parse_ref("bugfix@02")) == "bugfix@2"
    for bad in ("", "@1", "x@", "x@0", "x@00", "x@1@2", "Spec", "a_b", "x@v1"):
        with pytest.raises(AssetError, match="ID or ID@VERSION"):
            parse_ref(bad, kind="template")
