"""Artifact schemas: the JSON Schema (draft 2020-12) a phase's artifact must satisfy.

A schema file is a plain JSON Schema document, usable by any other tool, whose
`$id` names it: `"$id": "mda:spec@1"`. The document is kept as canonical JSON text,
so the model stays immutable and its hash is the hash of the document itself.

`schema_validator` is the one way mda builds a validator, used both by the phase check
here and by the offline model's instance generator: built two ways, the two could
disagree on formats and the scripted model could write artifacts its phase rejects.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from pydantic import BaseModel, ConfigDict, model_validator

from my_deepagent.catalogue import msg
from my_deepagent.domain.hashing import canonical_json, sha256_hex
from my_deepagent.domain.problems import FieldProblem, format_loc, short
from my_deepagent.domain.refs import AssetId, Version, format_ref, try_parse_ref

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "mda:"
_MAX_MESSAGE_CHARS = 160
_MAX_ERRORS = 20


class ArtifactSchema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: AssetId
    version: Version
    title: str
    description: str = ""
    document_json: str

    @classmethod
    def from_document(cls, document: Any) -> ArtifactSchema:
        """Build from a parsed schema file; a bad document raises `FieldProblem`."""
        text = canonical_json(document)
        asset_id, version = _check_text(text)
        return cls(
            id=asset_id,
            version=version,
            title=document["title"],
            description=document.get("description", ""),
            document_json=text,
        )

    @model_validator(mode="after")
    def _document_matches(self) -> ArtifactSchema:
        if _check_text(self.document_json) != (self.id, self.version):
            raise FieldProblem("document_json", msg("assets.schema_id_mismatch"))
        return self

    @property
    def ref(self) -> str:
        return format_ref(self.id, self.version)

    @property
    def hash(self) -> str:
        return sha256_hex(self.document_json)

    @property
    def document(self) -> dict[str, Any]:
        """A fresh copy of the schema document (callers may change it freely)."""
        value: dict[str, Any] = json.loads(self.document_json)
        return value

    def validator(self) -> Validator:
        return schema_validator(self.document)

    def errors_for(self, instance: Any) -> tuple[str, ...]:
        """Validation errors of `instance`, one line each, `field: message`, in path order."""
        return instance_errors(self.document, instance)


def schema_validator(document: Any) -> Validator:
    """A validator for `document`: its declared draft (2020-12 if none) and that draft's
    format checker, so `format` is asserted the same way wherever mda validates."""
    cls = validator_for(document, default=Draft202012Validator)
    return cls(document, format_checker=cls.FORMAT_CHECKER)


def instance_errors(document: Any, instance: Any) -> tuple[str, ...]:
    """Errors of `instance` against `document`, one line each, `field: message`, in path
    order, at most a screenful."""
    errors = sorted(schema_validator(document).iter_errors(instance), key=lambda e: list(e.path))
    lines = []
    for error in errors[:_MAX_ERRORS]:
        where = format_loc(list(error.absolute_path)) or "(root)"
        lines.append(f"{where}: {_clip(error.message)}")
    return tuple(lines)


@lru_cache(maxsize=256)
def _check_text(document_json: str) -> tuple[str, int]:
    """`check_document` on canonical text, once per process (a metaschema pass is slow)."""
    document = json.loads(document_json)
    check_document(document)
    return _id_of(document)


def _id_of(document: dict[str, Any]) -> tuple[str, int]:
    raw_id = document.get("$id")
    ref = (
        try_parse_ref(raw_id[len(ID_PREFIX) :])
        if isinstance(raw_id, str) and raw_id.startswith(ID_PREFIX)
        else None
    )
    if ref is None or ref.version is None:
        raise FieldProblem("$id", msg("assets.schema_bad_id", value=short(raw_id)))
    return ref.id, ref.version


def check_document(document: Any) -> None:
    """Check a schema document is a draft 2020-12 object schema named by `$id`."""
    if not isinstance(document, dict):
        raise FieldProblem("", msg("assets.schema_not_object", value=short(document)))
    if document.get("$schema") != DRAFT_2020_12:
        raise FieldProblem("$schema", msg("assets.schema_draft", draft=repr(DRAFT_2020_12)))
    _id_of(document)
    if not isinstance(document.get("title"), str) or not document["title"].strip():
        raise FieldProblem("title", msg("assets.schema_title_missing"))
    if "description" in document and not isinstance(document["description"], str):
        raise FieldProblem("description", msg("assets.schema_description_type"))
    if document.get("type") != "object":
        raise FieldProblem("type", msg("assets.schema_type_object"))
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        where = format_loc(list(exc.absolute_path))
        raise FieldProblem(
            where, msg("assets.schema_invalid", problem=_clip(exc.message))
        ) from None


def _clip(message: str) -> str:
    message = re.sub(r"\s+", " ", message)
    if len(message) <= _MAX_MESSAGE_CHARS:
        return message
    return message[: _MAX_MESSAGE_CHARS - 3] + "..."
