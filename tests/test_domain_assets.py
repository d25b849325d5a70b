"""Every shipped asset loads, validates and is what the product promises."""

from __future__ import annotations

import zipfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from my_deepagent.domain import CAPABILITIES, PROVIDERS, Catalog, load_catalog
from my_deepagent.domain.loader import load_model, load_schema
from my_deepagent.domain.persona import Persona
from my_deepagent.domain.template import Template

ASSETS = files("my_deepagent") / "assets"


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog(None)


def _names(folder: str) -> list[str]:
    return sorted(f.name for f in (ASSETS / folder).iterdir() if not f.name.startswith("."))


@pytest.mark.parametrize("name", _names("personas"))
def test_each_shipped_persona_file_loads(name: str) -> None:
    persona = load_model(ASSETS / "personas" / name, Persona)
    assert name == f"{persona.ref}.yaml"


@pytest.mark.parametrize("name", _names("templates"))
def test_each_shipped_template_file_loads(name: str) -> None:
    template = load_model(ASSETS / "templates" / name, Template)
    assert name == f"{template.ref}.yaml"


@pytest.mark.parametrize("name", _names("schemas"))
def test_each_shipped_schema_file_loads(name: str) -> None:
    schema = load_schema(ASSETS / "schemas" / name)
    assert name == f"{schema.ref}.json"
    assert schema.document["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_assets_are_found_through_importlib_resources(shipped: Catalog) -> None:
    source = shipped.source("template", "spec-and-review@1")
    assert source.origin == "shipped"
    assert source.path.endswith("assets/templates/spec-and-review@1.yaml")


def test_about_a_dozen_personas_across_every_provider(shipped: Catalog) -> None:
    personas = shipped.personas()
    assert 12 <= len(personas) <= 16
    assert {p.provider for p in personas} == set(PROVIDERS)
    models = {p.model for p in personas}
    assert "openrouter:deepseek/deepseek-chat" in models
    assert "openrouter:anthropic/claude-sonnet-4.5" in models


def test_scripted_personas_cover_every_capability(shipped: Catalog) -> None:
    scripted = [p for p in shipped.personas() if p.provider == "scripted"]
    assert {c for p in scripted for c in p.capabilities} == set(CAPABILITIES)


def test_spec_and_review_is_spec_review_verify_with_two_gates(shipped: Catalog) -> None:
    template = shipped.template("spec-and-review")
    assert template.ref == "spec-and-review@1"
    assert [p.key for p in template.phases] == ["spec", "review", "verify"]
    assert [p.approval.required for p in template.phases] == [True, True, False]
    assert [p.artifact.schema_ref for p in template.phases] == [
        "spec@1",
        "review@1",
        "verification@1",
    ]
    assert template.phase("verify").inputs == ("spec", "review")


def test_bugfix_is_reproduce_fix_verify(shipped: Catalog) -> None:
    template = shipped.template("bugfix@1")
    assert [p.key for p in template.phases] == ["reproduce", "fix", "verify"]
    assert [p.artifact.schema_ref for p in template.phases] == [
        "reproduction@1",
        "fix@1",
        "verification@1",
    ]
    assert all(p.artifact.path.startswith(".mda/artifacts/") for p in template.phases)


def test_shipped_schemas_use_nested_objects_arrays_and_enums(shipped: Catalog) -> None:
    spec = shipped.schema("spec@1").document
    requirement = spec["properties"]["requirements"]["items"]
    assert requirement["type"] == "object"
    assert requirement["properties"]["priority"]["enum"] == ["must", "should", "could"]
    assert requirement["properties"]["acceptance_criteria"]["type"] == "array"
    review = shipped.schema("review@1").document
    assert review["properties"]["verdict"]["enum"] == ["approve", "request_changes", "reject"]
    verification = shipped.schema("verification@1").document
    assert verification["properties"]["status"]["enum"] == ["pass", "fail", "partial"]


REALISTIC: dict[str, dict[str, Any]] = {
    "spec@1": {
        "title": "Retry failed uploads",
        "goal": "Uploads that fail on a network error are retried instead of lost.",
        "requirements": [
            {
                "id": "R1",
                "statement": "Retry an upload up to 3 times with backoff.",
                "priority": "must",
                "acceptance_criteria": ["A test with two failures then success passes."],
            }
        ],
        "non_goals": ["Resumable uploads."],
        "risks": [
            {
                "description": "Duplicate uploads",
                "likelihood": "low",
                "impact": "medium",
                "mitigation": "Idempotency key per upload.",
            }
        ],
        "plan": [{"step": 1, "description": "Wrap the client.", "files": ["src/upload.py"]}],
    },
    "review@1": {
        "verdict": "request_changes",
        "summary": "Backoff is unbounded.",
        "findings": [
            {
                "severity": "major",
                "category": "correctness",
                "file": "src/upload.py",
                "line": 42,
                "message": "No upper bound on the delay.",
            }
        ],
        "requirements_coverage": [{"requirement_id": "R1", "status": "partial"}],
    },
    "verification@1": {
        "status": "pass",
        "summary": "All checks pass.",
        "checks": [
            {"name": "tests", "kind": "test", "command": "pytest -q", "status": "pass"},
        ],
        "verified_at": "2025-01-31T12:00:00Z",
    },
    "reproduction@1": {
        "reproduced": True,
        "summary": "Crash on empty input.",
        "steps": ["Run parse('')"],
        "expected": "An empty result",
        "actual": "IndexError",
        "failing_test": {"path": "tests/test_parse.py", "command": "pytest tests/test_parse.py"},
    },
    "fix@1": {
        "summary": "Guard the empty case.",
        "root_cause": "parse() indexes the first token unconditionally.",
        "files_changed": [
            {"path": "src/parse.py", "change": "modified", "description": "Early return."}
        ],
        "risk": "low",
    },
}


@pytest.mark.parametrize("ref", sorted(REALISTIC))
def test_a_realistic_artifact_validates(shipped: Catalog, ref: str) -> None:
    assert shipped.schema(ref).errors_for(REALISTIC[ref]) == ()


def test_schemas_reject_bad_enums_and_missing_fields(shipped: Catalog) -> None:
    review = dict(REALISTIC["review@1"], verdict="maybe")
    errors = shipped.schema("review@1").errors_for(review)
    assert any(e.startswith("verdict:") for e in errors)
    spec = {k: v for k, v in REALISTIC["spec@1"].items() if k != "plan"}
    assert any(
        "'plan' is a required property" in e for e in shipped.schema("spec@1").errors_for(spec)
    )
    bad_date = dict(REALISTIC["verification@1"], verified_at="yesterday")
    assert shipped.schema("verification@1").errors_for(bad_date) == (
        "verified_at: 'yesterday' is not a 'date-time'",
    )


def test_assets_load_from_a_zipped_package(tmp_path: Path) -> None:
    """importlib.resources may hand out zip entries instead of files (a zipped install)."""
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for kind in ("personas", "templates", "schemas"):
            for entry in (ASSETS / kind).iterdir():
                out.writestr(f"my_deepagent/assets/{kind}/{entry.name}", entry.read_text())
    zipped = load_catalog(None, shipped=zipfile.Path(archive, "my_deepagent/assets/"))
    unzipped = load_catalog(None)
    assert [t.hash for t in zipped.templates()] == [t.hash for t in unzipped.templates()]
    assert [p.hash for p in zipped.personas()] == [p.hash for p in unzipped.personas()]
