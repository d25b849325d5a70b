"""Instances of JSON Schemas: always valid, the same for the same seed, no global state."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from my_deepagent.agents.schema_instances import (
    SchemaInstanceError,
    generate_instance,
    instance_for,
    seed_for,
)
from schema_strategies import FORMATS, json_schemas, shipped_schemas, validation_errors


def test_there_are_shipped_schemas() -> None:
    assert shipped_schemas(), "no schemas under my_deepagent/assets/schemas"


@pytest.mark.parametrize("schema", shipped_schemas().values(), ids=shipped_schemas().keys())
def test_shipped_schema_instances_are_valid_and_repeatable(schema: dict[str, Any]) -> None:
    first = instance_for(schema, "/artifacts/x.json")
    assert validation_errors(schema, first) == []
    assert instance_for(schema, "/artifacts/x.json") == first
    others = [instance_for(schema, "/artifacts/x.json", f"repair {n}") for n in range(5)]
    assert all(validation_errors(schema, other) == [] for other in others)
    assert any(other != first for other in others), "salts should change the instance"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_schemas())
def test_generated_schemas_get_valid_instances(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    instance = instance_for(schema, "/out.json")
    assert validation_errors(schema, instance) == []
    assert instance_for(schema, "/out.json") == instance


@pytest.mark.parametrize("fmt", [*FORMATS, "duration", "uri-reference", "json-pointer", "regex"])
def test_formats_pass_the_format_checker(fmt: str) -> None:
    schema = {"type": "string", "format": fmt}
    for salt in range(10):
        assert validation_errors(schema, instance_for(schema, str(salt))) == []


def test_checked_formats_are_really_checked() -> None:
    """Guards the test above: the format checker rejects bad values for these formats."""
    for fmt in ("date-time", "date", "email", "uuid", "ipv4"):
        assert validation_errors({"type": "string", "format": fmt}, "not valid at all") != []


def test_recursive_ref_schema_stays_finite() -> None:
    schema = {
        "$defs": {
            "node": {
                "type": "object",
                "required": ["name", "children"],
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
            }
        },
        "$ref": "#/$defs/node",
    }
    assert validation_errors(schema, instance_for(schema)) == []


@pytest.mark.parametrize(
    "schema",
    [
        {"allOf": [{"required": ["a"]}, {"properties": {"a": {"type": "integer", "minimum": 3}}}]},
        {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"enum": ["file", "dir"]}, "size": {"type": "integer"}},
            "if": {"properties": {"kind": {"const": "file"}}},
            "then": {"required": ["size"]},
            "else": {"not": {"required": ["size"]}},
        },
        {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 10}]},
        {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
        {"type": "array", "contains": {"const": 7}, "items": {"type": "integer"}},
        {"type": "object", "minProperties": 3, "properties": {"a": {"type": "null"}}},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5},
        {"type": "integer", "multipleOf": 7, "minimum": 20, "maximum": 30},
        {"type": "string", "minLength": 90, "maxLength": 90},
        {"type": "string", "examples": ["one", "two"], "enum": ["two"]},
    ],
)
def test_more_keywords(schema: dict[str, Any]) -> None:
    for salt in range(5):
        assert validation_errors(schema, instance_for(schema, str(salt))) == []


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 5, "maximum": 1},
        {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True, "minItems": 3},
        {"type": "object", "required": ["a"], "properties": {"a": False}},
    ],
)
def test_unsatisfiable_schema_is_a_clear_error(schema: dict[str, Any]) -> None:
    with pytest.raises(SchemaInstanceError, match="no valid instance"):
        instance_for(schema)


def test_global_random_state_is_untouched() -> None:
    schema = next(iter(shipped_schemas().values()))
    random.seed(1234)
    expected = [random.random() for _ in range(3)]
    random.seed(1234)
    instance_for(schema, "/a.json")
    assert [random.random() for _ in range(3)] == expected


def test_same_seed_same_instance_in_other_processes(tmp_path: Path) -> None:
    """What jsf got wrong (global random state, clock-based dates); checked across hash seeds."""
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(next(iter(shipped_schemas().values()))))
    script = (
        "import json, sys\n"
        "from my_deepagent.agents.schema_instances import instance_for\n"
        "schema = json.load(open(sys.argv[1]))\n"
        "schema['properties']['when'] = {'type': 'string', 'format': 'date-time'}\n"
        "print(json.dumps(instance_for(schema, '/a.json'), sort_keys=True))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, str(schema_file)],
            env={"PYTHONHASHSEED": str(hash_seed), "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in (1, 2)
    }
    assert len(outputs) == 1


def test_seed_depends_on_schema_and_salts() -> None:
    schema = {"type": "string"}
    assert seed_for(schema, "a") == seed_for(dict(schema), "a")
    assert (
        len({seed_for(schema, "a"), seed_for(schema, "b"), seed_for({"type": "integer"}, "a")}) == 3
    )
    assert generate_instance(schema, seed_for(schema, "a")) == instance_for(schema, "a")
