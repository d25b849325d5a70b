"""A valid instance of a JSON Schema, the same one every time for the same seed.

The offline `scripted` model writes artifacts with this, and its answer must be a pure
function of its input (a retried or replayed call must write the same file). So the
generator draws only from its own `random.Random(seed)`: no global random state, no
clock. Every result is checked with the domain's `schema_validator`, the very check a
phase applies to its artifact; an attempt that fails is redrawn with the next seed, a
bounded number of times.

Why not `jsf` (JSON Schema Faker), although a kept library is preferred and its output
validated every time in our trials (required, enums, nested objects, arrays, formats,
`$ref`/`$defs`, `const`, `anyOf`, `pattern`): it draws from the global `random` module
and a module-level Faker, and its `date-time` values depend on the clock, so the same
seed gave different files in different processes; it loops forever on an unsatisfiable
`uniqueItems` array; and it builds nothing for `not`/`if`/`then` either, so as a
fallback it would add no coverage, only those risks.

Patterns are expanded with `rstr`'s `Xeger` on our own `Random` (what jsf uses too).
Keywords not constructed (`not`, `dependentSchemas`, `propertyNames`, ...) are left to
the validate-and-redraw loop.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import uuid
from typing import Any

from rstr.xeger import Xeger

from my_deepagent.domain.artifact_schema import schema_validator
from my_deepagent.errors import MdaError

MAX_ATTEMPTS = 25
MAX_DEPTH = 24
"""Beyond this nesting a schema is taken to recurse without end (a required self-$ref)."""
RICH_DEPTH = 4
"""Below this nesting optional properties are included often (readable demo artifacts);
deeper down only what the schema requires, so recursive schemas stay small."""

WORDS = (
    "parser",
    "cache",
    "request",
    "response",
    "config",
    "schema",
    "module",
    "client",
    "server",
    "queue",
    "worker",
    "report",
    "review",
    "plan",
    "change",
    "test",
    "error",
    "retry",
    "limit",
    "token",
    "record",
    "index",
    "file",
    "path",
    "branch",
    "commit",
    "build",
    "deploy",
    "user",
    "session",
    "budget",
    "phase",
    "artifact",
    "check",
    "update",
    "validate",
    "write",
    "read",
    "merge",
    "split",
    "handle",
    "store",
    "load",
)


class SchemaInstanceError(MdaError):
    """No valid instance could be built: the schema is unsatisfiable or too exotic."""


class _Unsatisfiable(Exception):
    pass


def seed_for(schema: Any, *salts: str) -> bytes:
    """A seed derived from the schema's canonical JSON and any salts (path, errors)."""
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True, default=str).encode())
    for salt in salts:
        digest.update(b"\0" + salt.encode())
    return digest.digest()


def _resolve_pointer(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise _Unsatisfiable(f"remote $ref {ref!r}")
    node = root
    for token in [t for t in ref[1:].split("/") if t]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _merge(base: dict[str, Any], extra: Any) -> dict[str, Any]:
    """`base` narrowed by `extra` (for allOf, $ref siblings, a chosen anyOf branch)."""
    if not isinstance(extra, dict):
        return base
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), dict):
            props = dict(merged[key])
            for name, sub in value.items():
                props[name] = _merge(props[name], sub) if isinstance(props.get(name), dict) else sub
            merged[key] = props
        elif key == "required" and isinstance(merged.get(key), list):
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum"):
            merged[key] = max(merged[key], value) if key in merged else value
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum"):
            merged[key] = min(merged[key], value) if key in merged else value
        elif key == "allOf" and "allOf" in merged:
            merged[key] = [*merged["allOf"], *value]
        else:
            merged[key] = value
    return merged


class _Generator:
    def __init__(self, root: Any, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.xeger = Xeger(rng)

    def value(self, schema: Any, depth: int = 0, hint: str = "value") -> Any:
        if depth > MAX_DEPTH:
            raise _Unsatisfiable("schema nests too deep")
        if schema is True or schema == {}:
            return self._text(hint, {})
        if schema is False or not isinstance(schema, dict):
            raise _Unsatisfiable("false schema")
        schema = self._flatten(schema)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if schema.get("enum"):
            return copy.deepcopy(self.rng.choice(schema["enum"]))
        examples = schema.get("examples")
        if isinstance(examples, list) and examples and self.rng.random() < 0.5:
            return copy.deepcopy(self.rng.choice(examples))
        kind = self._type(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth, hint)
        if kind == "string":
            return self._string(schema, hint)
        if kind in ("integer", "number"):
            return self._number(schema, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.choice([True, False])
        return None

    def _flatten(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Inline `$ref`, `allOf` and one chosen `anyOf`/`oneOf` branch into one schema."""
        for _ in range(MAX_DEPTH):
            if "$ref" in schema:
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                target = _resolve_pointer(self.root, schema["$ref"])
                schema = _merge(target if isinstance(target, dict) else {}, rest)
            elif "allOf" in schema:
                rest = {k: v for k, v in schema.items() if k != "allOf"}
                for part in schema["allOf"]:
                    rest = _merge(rest, self._flatten(part) if isinstance(part, dict) else part)
                schema = rest
            elif "if" in schema:
                rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
                if self.rng.random() < 0.5:
                    schema = _merge(_merge(rest, schema["if"]), schema.get("then", {}))
                else:
                    schema = _merge(rest, schema.get("else", {}))
            elif "anyOf" in schema or "oneOf" in schema:
                key = "anyOf" if "anyOf" in schema else "oneOf"
                rest = {k: v for k, v in schema.items() if k != key}
                schema = _merge(rest, self.rng.choice(schema[key]))
            else:
                return schema
        raise _Unsatisfiable("$ref cycle")

    def _type(self, schema: dict[str, Any]) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            non_null = [t for t in declared if t != "null"]
            return str(self.rng.choice(non_null or declared))
        if isinstance(declared, str):
            return declared
        if any(k in schema for k in ("properties", "required", "additionalProperties")):
            return "object"
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
            return "number"
        return "string"

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {})
        required = [str(name) for name in schema.get("required", [])]
        optional = [name for name in props if name not in required]
        chance = 0.75 if depth < RICH_DEPTH else 0.0
        chosen = required + [name for name in optional if self.rng.random() < chance]
        for name in optional:
            if len(chosen) >= schema.get("minProperties", 0):
                break
            if name not in chosen:
                chosen.append(name)
        extra = schema.get("additionalProperties", True)
        counter = 0
        while len(chosen) < schema.get("minProperties", 0) and extra is not False:
            counter += 1
            chosen.append(f"extra_{counter}")
        limit = schema.get("maxProperties")
        if limit is not None and len(chosen) > limit:
            chosen = (
                required + [n for n in chosen if n not in required][: max(0, limit - len(required))]
            )
        for name, needs in schema.get("dependentRequired", {}).items():
            if name in chosen:
                chosen += [n for n in needs if n not in chosen]
        result: dict[str, Any] = {}
        for name in chosen:
            sub = props.get(name, self._pattern_schema(schema, name))
            result[name] = self.value(sub, depth + 1, name)
        return result

    def _pattern_schema(self, schema: dict[str, Any], name: str) -> Any:
        for pattern, sub in schema.get("patternProperties", {}).items():
            if re.search(pattern, name):
                return sub
        extra = schema.get("additionalProperties", True)
        return {} if extra is True else extra

    def _array(self, schema: dict[str, Any], depth: int, hint: str) -> list[Any]:
        prefix = list(schema.get("prefixItems", []))
        items = schema.get("items", {} if not prefix else False)
        low = max(int(schema.get("minItems", 0)), 0)
        high = int(schema.get("maxItems", max(low, 1) + 2))
        if items is False:
            high = min(high, len(prefix))
        if depth >= RICH_DEPTH:
            high = min(high, low)
        count = self.rng.randint(min(max(low, 1 if high > 0 else 0), high), high)
        singular = hint[:-1] if hint.endswith("s") else hint
        result: list[Any] = [self.value(s, depth + 1, singular) for s in prefix[:count]]
        seen = {json.dumps(v, sort_keys=True) for v in result}
        tries = 0
        while len(result) < count and tries < count * 10 + 10:
            tries += 1
            item = self.value(items, depth + 1, singular)
            key = json.dumps(item, sort_keys=True)
            if schema.get("uniqueItems") and key in seen:
                continue
            seen.add(key)
            result.append(item)
        if "contains" in schema and count > 0:
            result[-1] = self.value(schema["contains"], depth + 1, singular)
        return result

    def _string(self, schema: dict[str, Any], hint: str) -> str:
        if "format" in schema and schema["format"] in _FORMATS:
            return str(_FORMATS[schema["format"]](self.rng))
        if "pattern" in schema:
            return str(self.xeger.xeger(schema["pattern"]))
        return self._text(hint, schema)

    def _text(self, hint: str, schema: dict[str, Any]) -> str:
        low = int(schema.get("minLength", 1))
        high = int(schema.get("maxLength", max(low, 80)))
        if hint in ("id", "name", "key") or hint.endswith("_id"):
            text = f"{hint.replace('_', '-')}-{self.rng.randint(1, 99)}"
        else:
            words = self.rng.sample(WORDS, self.rng.randint(2, 6))
            label = hint.replace("_", " ").strip() or "value"
            text = f"{label.capitalize()}: {' '.join(words)}"
        while len(text) < low:
            text += " " + self.rng.choice(WORDS)
        text = text[:high]
        stripped = text.rstrip()
        return stripped if len(stripped) >= low else text

    def _number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        step = schema.get("multipleOf", 1 if integer else None)
        low: float = schema.get("minimum", -math.inf)
        high: float = schema.get("maximum", math.inf)
        if "exclusiveMinimum" in schema:
            low = max(low, schema["exclusiveMinimum"] + (step or 0.01))
        if "exclusiveMaximum" in schema:
            high = min(high, schema["exclusiveMaximum"] - (step or 0.01))
        if math.isinf(low) and math.isinf(high):
            low, high = 1, 100
        elif math.isinf(low):
            low = high - 100
        elif math.isinf(high):
            high = low + 100
        if step:
            first, last = math.ceil(low / step), math.floor(high / step)
            if first > last:
                raise _Unsatisfiable("no multiple in range")
            value = self.rng.randint(first, last) * step
            return int(value) if integer or float(value).is_integer() else value
        if integer:
            return self.rng.randint(math.ceil(low), math.floor(high))
        value = round(self.rng.uniform(low, high), 2)
        return value if low <= value <= high else low


def _word(rng: random.Random) -> str:
    return rng.choice(WORDS)


_FORMATS: dict[str, Any] = {
    "date-time": lambda r: (
        f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T"
        f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z"
    ),
    "date": lambda r: f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z",
    "duration": lambda r: f"P{r.randint(1, 30)}D",
    "email": lambda r: f"{_word(r)}.{_word(r)}@example.com",
    "idn-email": lambda r: f"{_word(r)}@example.com",
    "hostname": lambda r: f"{_word(r)}.example.com",
    "idn-hostname": lambda r: f"{_word(r)}.example.com",
    "ipv4": lambda r: f"192.0.2.{r.randint(1, 254)}",
    "ipv6": lambda r: f"2001:db8::{r.randint(1, 0xFFFF):x}",
    "uri": lambda r: f"https://example.com/{_word(r)}/{_word(r)}",
    "iri": lambda r: f"https://example.com/{_word(r)}",
    "uri-reference": lambda r: f"/{_word(r)}/{_word(r)}",
    "iri-reference": lambda r: f"/{_word(r)}",
    "uri-template": lambda r: f"https://example.com/{_word(r)}/{{id}}",
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "json-pointer": lambda r: f"/{_word(r)}/{r.randint(0, 9)}",
    "relative-json-pointer": lambda r: f"0/{_word(r)}",
    "regex": lambda r: f"^{_word(r)}[0-9]+$",
}


def generate_instance(schema: dict[str, Any], seed: bytes) -> Any:
    """A valid instance of `schema`, deterministic for `seed` (see the module notes)."""
    validator = schema_validator(schema)
    base = int.from_bytes(seed[:16], "big")
    for attempt in range(MAX_ATTEMPTS):
        try:
            instance = _Generator(schema, random.Random(base + attempt)).value(schema)
        except (_Unsatisfiable, KeyError, IndexError, ValueError, TypeError, RecursionError):
            continue
        if validator.is_valid(instance):
            return instance
    title = schema.get("title") or schema.get("$id") or "the schema"
    raise SchemaInstanceError(
        f"the scripted model found no valid instance of {title}; "
        "check that the schema is satisfiable or use a real model"
    )


def instance_for(schema: dict[str, Any], *salts: str) -> Any:
    """A valid instance of `schema`, seeded by the schema and `salts` (e.g. the path)."""
    return generate_instance(schema, seed_for(schema, *salts))
