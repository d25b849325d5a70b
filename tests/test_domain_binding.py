"""Binding roles to personas: deterministic by capability, with per-role overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain_helpers import persona_data, template_data, user_paths, write_yaml
from my_deepagent.domain import (
    Catalog,
    best_persona,
    bind_roles,
    check_pinned,
    load_catalog,
    parse_overrides,
)
from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.errors import AssetError


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog(None)


def _chosen(catalog: Catalog, template: str, **kwargs: object) -> dict[str, str]:
    bindings = bind_roles(catalog.template(template), catalog, **kwargs)  # type: ignore[arg-type]
    return {b.role: b.persona_ref for b in bindings.roles}


def test_template_defaults_are_used_online(shipped: Catalog) -> None:
    bindings = bind_roles(shipped.template("spec-and-review"), shipped)
    assert {b.role: (b.persona_ref, b.reason) for b in bindings.roles} == {
        "spec_writer": ("openrouter-deepseek-spec-writer@1", "default"),
        "reviewer": ("openrouter-deepseek-code-reviewer@1", "default"),
        "verifier": ("openrouter-deepseek-engineer@1", "default"),
    }
    assert bindings.template_hash == shipped.template("spec-and-review").hash
    assert bindings.roles[0].persona_hash == shipped.persona(bindings.roles[0].persona_ref).hash


def test_offline_binds_only_scripted_personas(shipped: Catalog) -> None:
    assert _chosen(shipped, "spec-and-review", offline=True) == {
        "spec_writer": "scripted-spec-writer@1",
        "reviewer": "scripted-reviewer@1",
        "verifier": "scripted-verifier@1",
    }
    assert _chosen(shipped, "bugfix", offline=True) == {
        "reproducer": "scripted-fixer@1",
        "fixer": "scripted-fixer@1",
        "verifier": "scripted-verifier@1",
    }


def test_binding_is_deterministic_across_fresh_catalogs(shipped: Catalog) -> None:
    first = bind_roles(shipped.template("bugfix"), shipped, offline=True)
    for _ in range(3):
        again = load_catalog(None)
        assert bind_roles(again.template("bugfix"), again, offline=True).hash == first.hash


def test_capability_ranking_follows_provider_preference(shipped: Catalog) -> None:
    needs = ("code_review",)
    assert best_persona(shipped, needs, provider_preference=("anthropic",)) is not None
    assert best_persona(shipped, needs, provider_preference=("anthropic",)).ref == (  # type: ignore[union-attr]
        "anthropic-claude-sonnet-architect@1"
    )
    by_openrouter = best_persona(shipped, needs, provider_preference=("openrouter",))
    assert by_openrouter is not None
    assert by_openrouter.ref == "openrouter-claude-sonnet-reviewer@1"  # ties broken by id
    assert best_persona(shipped, ("code_review", "reproduce")) is None


def test_newest_version_wins_a_tie(mda_home: Path) -> None:
    folder = user_paths().user_personas_dir
    write_yaml(folder, "v1.yaml", persona_data("aaa-reviewer", model="scripted:x"))
    write_yaml(folder, "v2.yaml", persona_data("aaa-reviewer", version=2, model="scripted:x"))
    catalog = load_user_catalog()
    chosen = best_persona(catalog, ("code_review",), offline=True)
    assert chosen is not None
    assert chosen.ref == "aaa-reviewer@2"


def test_override_wins_and_accepts_a_bare_id(shipped: Catalog) -> None:
    chosen = _chosen(
        shipped,
        "spec-and-review",
        overrides={"reviewer": "openrouter-claude-sonnet-reviewer"},
    )
    assert chosen["reviewer"] == "openrouter-claude-sonnet-reviewer@1"
    assert chosen["spec_writer"] == "openrouter-deepseek-spec-writer@1"


@pytest.mark.parametrize(
    ("overrides", "offline", "fragments"),
    [
        ({"critic": "scripted-reviewer"}, False, ["has no role 'critic'", "spec_writer, reviewer"]),
        ({"reviewer": "no-such-persona"}, False, ["no persona 'no-such-persona'"]),
        ({"reviewer": "scripted-reviewer@9"}, False, ["no persona 'scripted-reviewer@9'"]),
        ({"reviewer": "scripted-chat"}, False, ["cannot fill role 'reviewer'", "code_review"]),
        ({"reviewer": "openrouter-deepseek-code-reviewer"}, True, ["offline", "scripted"]),
        ({"reviewer": "Bad Ref"}, False, ["bad persona reference"]),
    ],
)
def test_bad_overrides_fail_in_one_line(
    shipped: Catalog, overrides: dict[str, str], offline: bool, fragments: list[str]
) -> None:
    with pytest.raises(AssetError) as info:
        bind_roles(shipped.template("spec-and-review"), shipped, overrides, offline=offline)
    assert "\n" not in info.value.message
    for fragment in fragments:
        assert fragment in info.value.message


def test_a_role_no_persona_can_fill_is_an_error(mda_home: Path) -> None:
    write_yaml(
        user_paths().user_templates_dir,
        "t.yaml",
        template_data(
            roles=[
                {"name": "writer", "capabilities": ["spec_write", "reproduce"]},
                {"name": "reviewer", "capabilities": ["code_review"]},
            ]
        ),
    )
    catalog = load_user_catalog()
    with pytest.raises(AssetError, match=r"no scripted persona can fill role 'writer'.*--persona"):
        bind_roles(catalog.template("my-flow"), catalog, offline=True)


def test_parse_overrides() -> None:
    assert parse_overrides(["reviewer=a@1", " fixer = b "]) == {"reviewer": "a@1", "fixer": "b"}
    for bad in (["reviewer"], ["=a"], ["reviewer="], ["r=a", "r=b"], ["r=NOT OK"]):
        with pytest.raises(AssetError):
            parse_overrides(bad)


def test_check_pinned_notices_a_changed_persona(mda_home: Path) -> None:
    catalog = load_user_catalog()
    bindings = bind_roles(catalog.template("bugfix"), catalog, offline=True)
    check_pinned(bindings, catalog)
    write_yaml(
        user_paths().user_personas_dir,
        "fixer.yaml",
        persona_data(
            "scripted-fixer",
            model="scripted:fixer",
            capabilities=["reproduce", "code_edit", "test_write"],
        ),
    )
    with pytest.raises(AssetError, match=r"persona scripted-fixer@1 .* changed since the run"):
        check_pinned(bindings, load_user_catalog())
