"""The artifact-task and repair prompts parse back to what they were built from."""

from __future__ import annotations

from my_deepagent.agents.prompts import (
    MAX_REPAIR_ERRORS,
    agent_path,
    artifact_task_prompt,
    parse_artifact_task,
    parse_repair_request,
    repair_prompt,
)

SCHEMA = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}


def test_task_prompt_round_trips() -> None:
    text = artifact_task_prompt("Write a spec.", "Add a --verbose flag.", "docs/spec.json", SCHEMA)
    assert text.startswith("Write a spec.")
    assert "Add a --verbose flag." in text
    task = parse_artifact_task(text)
    assert task is not None
    assert task.path == "/docs/spec.json"
    assert task.schema == SCHEMA
    assert parse_repair_request(text) is None


def test_empty_requirements_are_left_out() -> None:
    assert "## Requirements" not in artifact_task_prompt("Go.", "  ", "/a.json", SCHEMA)


def test_repair_prompt_round_trips_with_and_without_schema() -> None:
    errors = ["'a' is a required property", "1 is not of type 'string'\n  at /b"]
    bare = parse_repair_request(repair_prompt("/docs/spec.json", errors))
    assert bare is not None
    assert bare.path == "/docs/spec.json"
    assert bare.errors == ("'a' is a required property", "1 is not of type 'string' at /b")
    assert bare.schema is None
    full = parse_repair_request(repair_prompt("docs/spec.json", errors, SCHEMA))
    assert full is not None
    assert full.schema == SCHEMA
    assert parse_artifact_task(repair_prompt("docs/spec.json", errors, SCHEMA)) is None


def test_repair_prompt_caps_the_error_list() -> None:
    errors = [f"error {n}" for n in range(MAX_REPAIR_ERRORS + 5)]
    parsed = parse_repair_request(repair_prompt("/a.json", errors))
    assert parsed is not None
    assert len(parsed.errors) == MAX_REPAIR_ERRORS + 1
    assert parsed.errors[-1] == "... and 5 more"


def test_plain_text_is_neither() -> None:
    assert parse_artifact_task("read README.md") is None
    assert parse_repair_request("please fix it") is None


def test_agent_paths() -> None:
    assert agent_path("docs/spec.json") == "/docs/spec.json"
    assert agent_path("/docs/spec.json") == "/docs/spec.json"
    assert agent_path("docs\\spec.json") == "/docs/spec.json"
