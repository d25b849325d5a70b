"""Bad asset files: each is one line that names the file, the field and the fix.

Every case writes one broken user file (or two clashing ones) into a fresh MDA_HOME
and loads the catalog, which must refuse with an `AssetError` that fits on one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from domain_helpers import (
    expect_asset_error,
    persona_data,
    schema_data,
    template_data,
    user_paths,
    write_json,
    write_yaml,
)


def _personas() -> Path:
    return user_paths().user_personas_dir


def _templates() -> Path:
    return user_paths().user_templates_dir


def _schemas() -> Path:
    return user_paths().user_schemas_dir


def _phase(**changes: object) -> dict[str, object]:
    phase: dict[str, object] = {
        "key": "spec",
        "role": "writer",
        "artifact": {"path": ".mda/artifacts/spec.json", "schema": "spec@1"},
        "prompt": "Write it.",
    }
    phase.update(changes)
    return phase


def _one_phase_template(**phase_changes: object) -> dict[str, object]:
    return template_data(
        roles=[{"name": "writer", "capabilities": ["spec_write"]}],
        phases=[_phase(**phase_changes)],
    )


BAD_INPUTS: dict[str, tuple[Callable[[], Path], list[str]]] = {
    "malformed yaml": (
        lambda: write_yaml(_personas(), "p.yaml", "id: x\nlimits: [unclosed\n"),
        ["p.yaml", "line 3", "invalid YAML", "fix the YAML syntax"],
    ),
    "duplicate yaml key": (
        lambda: write_yaml(_personas(), "p.yaml", "id: a\nid: b\n"),
        ["p.yaml", "line 2", "duplicate key 'id' (keep one)"],
    ),
    "not a mapping": (
        lambda: write_yaml(_personas(), "p.yaml", "- just\n- a list\n"),
        ["p.yaml", "expected a mapping of fields at the top level, got a list"],
    ),
    "empty file": (
        lambda: write_yaml(_templates(), "t.yaml", ""),
        ["t.yaml", "got an empty file"],
    ),
    "unknown top-level key": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data(modle="openai:x")),
        ["p.yaml", "field `modle`", "unknown key", "allowed here: id, version,"],
    ),
    "unknown nested key": (
        lambda: write_yaml(
            _personas(),
            "p.yaml",
            persona_data(limits={"max_cost_per_call_usd": 1, "max_tokens": 9, "max_cost": 2}),
        ),
        ["field `limits.max_cost`", "allowed here: max_cost_per_call_usd, max_tokens"],
    ),
    "missing required field": (
        lambda: write_yaml(
            _personas(),
            "p.yaml",
            {k: v for k, v in persona_data().items() if k != "system_prompt"},
        ),
        ["p.yaml", "field `system_prompt` is missing (add it)"],
    ),
    "unknown capability": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data(capabilities=["code_reveiw"])),
        ["p.yaml", "field `capabilities[0]`", "'code_reveiw' is not allowed", "'code_review'"],
    ),
    "unknown capability in a role": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            template_data(roles=[{"name": "writer", "capabilities": ["writing"]}]),
        ),
        ["t.yaml", "field `roles[0].capabilities[0]`", "'writing' is not allowed"],
    ),
    "unknown provider": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data(model="openia:gpt-4.1")),
        ["p.yaml", "field `model`", "unknown provider 'openia'", "openrouter, openai"],
    ),
    "model without provider": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data(model="gpt-4.1")),
        ["field `model`", "is not provider:model"],
    ),
    "provider without model": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data(model="openai : ")),
        ["p.yaml", "field `model`", "'openai : ' is not provider:model", "scripted"],
    ),
    "bad version": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data(version=0)),
        ["field `version`", "greater than or equal to 1"],
    ),
    "bad id": (
        lambda: write_yaml(_personas(), "p.yaml", persona_data("My_Reviewer")),
        ["field `id`", "'My_Reviewer' is not a valid id", "my-reviewer"],
    ),
    "phase with an unknown role": (
        lambda: write_yaml(_templates(), "t.yaml", _one_phase_template(role="author")),
        ["t.yaml", "field `phases[0].role`", "unknown role 'author'", "roles are: writer"],
    ),
    "missing schema": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            _one_phase_template(artifact={"path": "a.json", "schema": "design@1"}),
        ),
        ["t.yaml", "field `phases[0].artifact.schema`", "no schema 'design@1'", "spec@1"],
    ),
    "schema ref without version": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            _one_phase_template(artifact={"path": "a.json", "schema": "spec"}),
        ),
        ["field `phases[0].artifact.schema`", "ID@VERSION"],
    ),
    "artifact path escaping the repo": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            _one_phase_template(artifact={"path": "../outside.json", "schema": "spec@1"}),
        ),
        ["t.yaml", "field `phases[0].artifact.path`", "'../outside.json'", "relative path"],
    ),
    "absolute artifact path": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            _one_phase_template(artifact={"path": "/tmp/spec.json", "schema": "spec@1"}),
        ),
        ["field `phases[0].artifact.path`", "is absolute"],
    ),
    "artifact path inside .git": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            _one_phase_template(artifact={"path": ".git/spec.json", "schema": "spec@1"}),
        ),
        ["field `phases[0].artifact.path`", "inside .git"],
    ),
    "duplicate phase keys": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            template_data(
                roles=[{"name": "writer", "capabilities": ["spec_write"]}],
                phases=[_phase(), _phase(artifact={"path": "b.json", "schema": "spec@1"})],
            ),
        ),
        ["field `phases[1].key`", "phase key 'spec' is used twice"],
    ),
    "duplicate artifact paths": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            template_data(
                roles=[{"name": "writer", "capabilities": ["spec_write"]}],
                phases=[_phase(), _phase(key="again")],
            ),
        ),
        ["field `phases[1].artifact.path`", "is used twice"],
    ),
    "input that is not an earlier phase": (
        lambda: write_yaml(_templates(), "t.yaml", _one_phase_template(inputs=["review"])),
        ["field `phases[0].inputs[0]`", "'review' is not an earlier phase"],
    ),
    "unused role": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            template_data(
                roles=[
                    {"name": "writer", "capabilities": ["spec_write"]},
                    {"name": "reviewer", "capabilities": ["code_review"]},
                    {"name": "idle", "capabilities": ["chat"]},
                ]
            ),
        ),
        ["field `roles[2].name`", "role 'idle' is not used by any phase (remove it)"],
    ),
    "approval timeout without a gate": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            _one_phase_template(approval={"required": False, "timeout_s": 5}),
        ),
        ["field `phases[0].approval.timeout_s`", "needs `required: true`"],
    ),
    "default persona that is missing": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            template_data(
                roles=[
                    {"name": "writer", "capabilities": ["spec_write"], "default_persona": "x@1"},
                    {"name": "reviewer", "capabilities": ["code_review"]},
                ]
            ),
        ),
        ["t.yaml", "field `roles[0].default_persona`", "no persona 'x@1'"],
    ),
    "default persona that lacks the capability": (
        lambda: write_yaml(
            _templates(),
            "t.yaml",
            template_data(
                roles=[
                    {
                        "name": "writer",
                        "capabilities": ["spec_write"],
                        "default_persona": "scripted-chat@1",
                    },
                    {"name": "reviewer", "capabilities": ["code_review"]},
                ]
            ),
        ),
        ["field `roles[0].default_persona`", "scripted-chat@1 lacks spec_write"],
    ),
    "duplicate ids in one folder": (
        lambda: (
            write_yaml(_personas(), "a.yaml", persona_data()),
            write_yaml(_personas(), "b.yaml", persona_data(description="other")),
        )[1],
        ["duplicate persona my-reviewer@1", "a.yaml", "b.yaml", "new version"],
    ),
    "invalid json": (
        lambda: write_json(_schemas(), "s.json", '{"$schema": 1,}'),
        ["s.json", "line 1 column 15", "invalid JSON", "fix the JSON syntax"],
    ),
    "schema failing check_schema": (
        lambda: write_json(
            _schemas(),
            "s.json",
            schema_data(properties={"text": {"type": "strnig"}}),
        ),
        ["s.json", "field `properties.text.type`", "invalid JSON Schema", "draft 2020-12"],
    ),
    "schema of another draft": (
        lambda: write_json(
            _schemas(),
            "s.json",
            schema_data(**{"$schema": "http://json-schema.org/draft-07/schema#"}),
        ),
        ["s.json", "field `$schema`", "2020-12"],
    ),
    "schema without an mda id": (
        lambda: write_json(_schemas(), "s.json", schema_data(**{"$id": "https://x.org/note"})),
        ["s.json", "field `$id`", "mda:ID@VERSION"],
    ),
    "schema that is not an object schema": (
        lambda: write_json(_schemas(), "s.json", schema_data(type="array")),
        ["s.json", "field `type`", 'must be "object"'],
    ),
    "duplicate schema ids": (
        lambda: (
            write_json(_schemas(), "a.json", schema_data()),
            write_json(_schemas(), "b.json", schema_data(title="Other")),
        )[1],
        ["duplicate schema note@1", "a.json", "b.json"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_naming_file_field_and_fix(mda_home: Path, case: str) -> None:
    write, fragments = BAD_INPUTS[case]
    written = write()
    message = expect_asset_error(*fragments)
    assert str(written.parent) in message
