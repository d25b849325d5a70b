"""Turning validation failures into the one line a user can act on.

A pydantic `ValidationError` prints several lines with URLs; a YAML error prints a
caret diagram. Neither fits mda's contract (`mda: error: <one line naming the file,
the field and the fix>`), so every loader funnels its failures through here.

Checks that span several fields (a phase naming a role) run in model validators,
where pydantic would report them against the whole model. They raise `FieldProblem`,
which carries the field path, and `describe_validation_error` puts it back in place.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from my_deepagent.catalogue import msg
from my_deepagent.domain.refs import ID_PATTERN, NAME_PATTERN
from my_deepagent.errors import AssetError

_MAX_VALUE_CHARS = 60


class FieldProblem(ValueError):
    """A validation failure that knows which field (relative to the model) it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def format_loc(loc: Sequence[str | int]) -> str:
    """`("phases", 1, "role")` -> `phases[1].role`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def join_field(base: str, sub: str) -> str:
    if not base:
        return sub
    if not sub:
        return base
    return base + sub if sub.startswith("[") else f"{base}.{sub}"


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def asset_error(path: object, field: str, message: str) -> AssetError:
    """`<path>: field `<field>`: <message>` as an `AssetError` (path: a Path or Traversable)."""
    if not field:
        return AssetError(f"{path}: {message}")
    if message.startswith("is "):
        return AssetError(msg("assets.field_is", path=path, field=field, message=message))
    return AssetError(msg("assets.field_colon", path=path, field=field, message=message))


def describe_validation_error(
    path: object, exc: ValidationError, model: type[BaseModel]
) -> AssetError:
    """The first error of `exc` as one line: file, field, what is wrong, the fix."""
    err = exc.errors(include_url=False)[0]
    field = format_loc(err["loc"])
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        return asset_error(path, join_field(field, problem.field), problem.message)
    if isinstance(problem, ValueError):
        return asset_error(path, field, str(problem))
    return asset_error(path, field, _problem(err, model))


def _problem(err: ErrorDetails, model: type[BaseModel]) -> str:
    """What is wrong with the field, and the fix, for one pydantic error."""
    kind, ctx, loc = err["type"], err.get("ctx") or {}, err["loc"]
    value = short(err["input"])
    if kind == "missing":
        return msg("assets.field_missing")
    if kind == "extra_forbidden":
        allowed = ", ".join(allowed_keys(model, loc[:-1])) or msg("assets.none")
        return msg("assets.unknown_key", allowed=allowed)
    if kind == "literal_error":
        return msg("assets.not_allowed", value=value, expected=ctx["expected"])
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return msg("assets.bad_id", value=value)
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        return msg("assets.bad_name", value=value)
    if kind == "too_short":
        return msg("assets.too_short", count=ctx["min_length"], value=value)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return msg("assets.not_mapping", value=value)
    return msg("assets.bad_value", problem=err["msg"], value=value)


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names accepted at `loc` inside `model` (for "unknown key" hints)."""
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            return []
        current = field.annotation
    target = _model_in(current)
    if target is None:
        return []
    return [f.alias or name for name, f in target.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as `tuple[Phase, ...]` or `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (tuple, list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
