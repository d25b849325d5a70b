"""The shipped schemas, how tests check instances, and Hypothesis strategies for
satisfiable JSON Schemas.

Objects (properties, required, additionalProperties), arrays (minItems, maxItems,
uniqueItems), strings (lengths, formats, patterns), integers and numbers (bounds,
exclusive bounds, multipleOf), booleans, null, enum, const, anyOf, oneOf over distinct
types, nullable type lists, and `$defs` + `$ref`. Every schema drawn is satisfiable by
construction, so a generator that cannot fill one has a real bug.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from my_deepagent.domain.artifact_schema import instance_errors

Schema = dict[str, Any]


def shipped_schemas() -> dict[str, Schema]:
    """The schemas mda ships, by file name."""
    folder = Path(str(resources.files("my_deepagent") / "assets" / "schemas"))
    return {path.name: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def validation_errors(schema: Schema, instance: Any) -> list[str]:
    """Errors of `instance` as a phase's artifact check reports them; [] when it is valid."""
    return list(instance_errors(schema, instance))


FORMATS = ["date-time", "date", "time", "email", "uri", "uuid", "hostname", "ipv4", "ipv6"]
PATTERNS = ["^[a-z]{3,8}$", "^R[1-9][0-9]{0,2}$", "^[A-Z][a-z]+-[0-9]{2}$", "^v[0-9]+\\.[0-9]+$"]
NAMES = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
SCALARS = st.one_of(st.text(max_size=12), st.integers(-1000, 1000), st.booleans(), st.none())


@st.composite
def strings(draw: st.DrawFn) -> Schema:
    kind = draw(st.sampled_from(["plain", "format", "pattern"]))
    if kind == "format":
        return {"type": "string", "format": draw(st.sampled_from(FORMATS))}
    if kind == "pattern":
        return {"type": "string", "pattern": draw(st.sampled_from(PATTERNS))}
    schema: Schema = {"type": "string"}
    low = draw(st.integers(0, 20))
    if draw(st.booleans()):
        schema["minLength"] = low
    if draw(st.booleans()):
        schema["maxLength"] = low + draw(st.integers(0 if low else 1, 40))
    return schema


@st.composite
def numbers(draw: st.DrawFn) -> Schema:
    kind = draw(st.sampled_from(["integer", "number"]))
    schema: Schema = {"type": kind}
    low = draw(st.integers(-500, 500))
    width = draw(st.integers(10, 1000))
    if draw(st.booleans()):
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = low + width
    if kind == "integer" and draw(st.booleans()):
        schema["multipleOf"] = draw(st.integers(1, 5))
    return schema


def leaves() -> st.SearchStrategy[Schema]:
    return st.one_of(
        strings(),
        numbers(),
        st.just({"type": "boolean"}),
        st.just({"type": "null"}),
        st.lists(SCALARS, min_size=1, max_size=5, unique_by=repr).map(lambda v: {"enum": v}),
        SCALARS.map(lambda v: {"const": v}),
    )


def _unique_safe(items: Schema) -> bool:
    """uniqueItems is satisfiable for any count only over unbounded strings/integers."""
    return items in ({"type": "string"}, {"type": "integer"})


def composites(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    @st.composite
    def objects(draw: st.DrawFn) -> Schema:
        props = draw(st.dictionaries(NAMES, children, min_size=1, max_size=5))
        required = draw(st.lists(st.sampled_from(sorted(props)), unique=True))
        schema: Schema = {"type": "object", "properties": props, "required": required}
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    @st.composite
    def arrays(draw: st.DrawFn) -> Schema:
        items = draw(children)
        low = draw(st.integers(0, 3))
        schema: Schema = {"type": "array", "items": items, "minItems": low}
        if draw(st.booleans()):
            schema["maxItems"] = low + draw(st.integers(0, 3))
        if _unique_safe(items) and draw(st.booleans()):
            schema["uniqueItems"] = True
        return schema

    distinct = st.sampled_from(
        [
            [{"type": "string", "minLength": 1}, {"type": "boolean"}],
            [{"type": "null"}, {"type": "object", "properties": {"a": {"type": "integer"}}}],
            [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
        ]
    )
    return st.one_of(
        objects(),
        arrays(),
        st.lists(children, min_size=1, max_size=3).map(lambda c: {"anyOf": c}),
        distinct.map(lambda branches: {"oneOf": branches}),
        strings().map(lambda s: {**s, "type": ["string", "null"]}),
    )


@st.composite
def json_schemas(draw: st.DrawFn) -> Schema:
    """A draft 2020-12 object schema, sometimes routing a part through `$defs`/`$ref`."""
    tree = st.recursive(leaves(), composites, max_leaves=12)
    body = draw(st.dictionaries(NAMES, tree, min_size=1, max_size=6))
    schema: Schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": body,
        "required": draw(st.lists(st.sampled_from(sorted(body)), unique=True)),
        "additionalProperties": draw(st.booleans()),
    }
    if draw(st.booleans()):
        shared = draw(tree)
        schema["$defs"] = {"shared": shared}
        # NAMES has no digits, so this key never collides with a drawn one.
        schema["properties"]["ref_0"] = {"$ref": "#/$defs/shared"}
        schema["required"].append("ref_0")
    return schema
