"""Content hashes are stable: same content, same hash, in any process and key order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain_helpers import persona_data, template_data
from my_deepagent.domain import ModelSpec, Persona, Template, bind_roles, load_catalog
from my_deepagent.domain.loader import load_model


def test_hash_is_the_same_in_another_process() -> None:
    catalog = load_catalog(None)
    here = {
        "persona": catalog.persona("scripted-reviewer@1").hash,
        "template": catalog.template("spec-and-review@1").hash,
        "schema": catalog.schema("spec@1").hash,
    }
    code = (
        "from my_deepagent.domain import load_catalog\n"
        "c = load_catalog(None)\n"
        "print(c.persona('scripted-reviewer@1').hash)\n"
        "print(c.template('spec-and-review@1').hash)\n"
        "print(c.schema('spec@1').hash)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout.split()
    assert out == [here["persona"], here["template"], here["schema"]]


def test_key_order_in_yaml_does_not_change_the_hash(tmp_path: Path) -> None:
    data = template_data()
    reordered = {key: data[key] for key in reversed(list(data))}
    reordered["phases"] = [{k: p[k] for k in reversed(list(p))} for p in data["phases"]]
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(yaml.safe_dump(data, sort_keys=False))
    second.write_text(yaml.safe_dump(reordered, sort_keys=False))
    assert first.read_text() != second.read_text()
    assert load_model(first, Template).hash == load_model(second, Template).hash


def test_the_file_location_does_not_change_the_hash(tmp_path: Path) -> None:
    for name in ("one.yaml", "sub/two.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(yaml.safe_dump(persona_data()))
    first = load_model(tmp_path / "one.yaml", Persona)
    second = load_model(tmp_path / "sub" / "two.yaml", Persona)
    assert first.hash == second.hash
    assert len(first.hash) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"system_prompt": "Review very carefully."},
        {"capabilities": ["code_review", "evidence_check"]},
        {"limits": {"max_cost_per_call_usd": 0.06, "max_tokens": 2048}},
        {"temperature": 0.5},
    ],
)
def test_any_content_change_changes_the_hash(change: dict[str, Any]) -> None:
    base = Persona.model_validate(persona_data())
    assert Persona.model_validate(persona_data(**change)).hash != base.hash


def test_defaults_written_out_hash_like_defaults_left_out() -> None:
    implicit = Persona.model_validate(persona_data())
    limits = {"max_cost_per_call_usd": 0.05, "max_tokens": 2048, "max_model_calls": 50}
    explicit = Persona.model_validate(persona_data(limits=limits, temperature=None))
    assert implicit.hash == explicit.hash


def test_a_later_field_with_a_default_keeps_every_hash() -> None:
    """A release that adds a defaulted field must not break resuming pinned runs."""

    class LaterPersona(Persona):
        notes: str = ""

    today = Persona.model_validate(persona_data())
    assert LaterPersona.model_validate(persona_data()).hash == today.hash
    assert LaterPersona.model_validate(persona_data(notes="")).hash == today.hash
    assert LaterPersona.model_validate(persona_data(notes="new")).hash != today.hash


def test_template_defaults_written_out_hash_like_defaults_left_out() -> None:
    implicit = Template.model_validate(template_data())
    data = template_data()
    data["roles"][0]["description"] = ""
    data["phases"][0]["title"] = ""
    data["phases"][0]["inputs"] = []
    data["phases"][1]["approval"] = False
    explicit = Template.model_validate(data)
    assert explicit == implicit
    assert explicit.hash == implicit.hash


def test_model_spelling_variants_are_one_persona() -> None:
    canonical = Persona.model_validate(persona_data(model="openrouter:x/y:free"))
    variant = Persona.model_validate(persona_data(model=" OpenRouter : x/y:free "))
    assert variant.model == "openrouter:x/y:free"
    assert variant.model_spec == ModelSpec(provider="openrouter", model="x/y:free")
    assert (variant.provider, variant.model_name) == ("openrouter", "x/y:free")
    assert variant.hash == canonical.hash


def test_models_round_trip_through_json_unchanged() -> None:
    catalog = load_catalog(None)
    template = catalog.template("bugfix@1")
    assert Template.model_validate_json(template.model_dump_json()) == template
    persona = catalog.persona("local-qwen-coder")
    assert Persona.model_validate_json(persona.model_dump_json()).hash == persona.hash
    bindings = bind_roles(template, catalog, offline=True)
    assert type(bindings).model_validate_json(bindings.model_dump_json()).hash == bindings.hash


def test_models_are_immutable() -> None:
    persona = load_catalog(None).persona("scripted-chat")
    with pytest.raises(ValueError, match="frozen"):
        persona.system_prompt = "changed"  # type: ignore[misc]
    assert isinstance(persona.capabilities, tuple)
    schema = load_catalog(None).schema("spec@1")
    schema.document["title"] = "changed"
    assert schema.document["title"] == "Specification"
