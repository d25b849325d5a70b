"""Workflow templates: roles and the ordered phases a run goes through.

Each phase names a role (bound to a persona at run start), the artifact it must
write (a path inside the repository and the JSON Schema it must satisfy), whether a
human approves it before the next phase, the earlier artifacts it reads, and a
prompt. The prompt is plain text; the agent layer adds the requirements, the input
artifacts, the schema and the artifact path around it.

Checks that need only the template run here; checks that need other assets (the
schema exists, a default persona has the role's capabilities) run in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from my_deepagent.catalogue import msg
from my_deepagent.domain.hashing import content_hash
from my_deepagent.domain.persona import Capability
from my_deepagent.domain.problems import FieldProblem
from my_deepagent.domain.refs import (
    AssetId,
    Name,
    Text,
    Version,
    format_ref,
    kind_name,
    try_parse_ref,
)


def check_exact_ref(value: str, kind: str) -> str:
    ref = try_parse_ref(value)
    if ref is None or ref.version is None or str(ref) != value:
        example = f"{ref.id}@1" if ref is not None else "spec@1"
        raise FieldProblem(
            "",
            msg("assets.not_exact_ref", value=repr(value), kind=kind_name(kind), example=example),
        )
    return value


def check_artifact_path(value: str) -> str:
    """A relative POSIX path inside the repository, ending in `.json`."""
    pure = PurePosixPath(value)
    if "\\" in value or pure.is_absolute() or (len(value) > 1 and value[1] == ":"):
        raise FieldProblem("", msg("assets.path_absolute", value=repr(value)))
    if any(part in ("..", ".") for part in value.split("/")) or "//" in value:
        raise FieldProblem("", msg("assets.path_dots", value=repr(value)))
    if pure.parts[0] == ".git":
        raise FieldProblem("", msg("assets.path_in_git", value=repr(value)))
    if pure.suffix != ".json":
        raise FieldProblem("", msg("assets.path_not_json", value=repr(value)))
    return value


class Role(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    description: str = ""
    capabilities: tuple[Capability, ...] = Field(min_length=1)
    default_persona: str | None = Field(
        default=None, description="persona ID@VERSION preferred when it is capable"
    )

    @field_validator("default_persona")
    @classmethod
    def _check_default(cls, value: str | None) -> str | None:
        return None if value is None else check_exact_ref(value, "persona")


class ArtifactSpec(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    path: str = Field(description="relative path in the repository, e.g. .mda/artifacts/x.json")
    schema_ref: str = Field(alias="schema", description="schema ID@VERSION")

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        return check_artifact_path(value)

    @field_validator("schema_ref")
    @classmethod
    def _check_schema(cls, value: str) -> str:
        return check_exact_ref(value, "schema")


class Approval(BaseModel):
    """`approval: true` in YAML is short for `approval: {required: true}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    required: bool = True
    timeout_s: float | None = Field(default=None, gt=0)
    on_timeout: Literal["reject", "abort"] = "reject"

    @model_validator(mode="after")
    def _timeout_needs_gate(self) -> Approval:
        if self.timeout_s is not None and not self.required:
            raise FieldProblem("timeout_s", msg("assets.timeout_needs_gate"))
        return self


class Phase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Name
    title: str = ""
    role: Name
    artifact: ArtifactSpec
    approval: Approval = Approval(required=False)
    inputs: tuple[Name, ...] = Field(
        default=(), description="keys of earlier phases whose artifacts this phase reads"
    )
    prompt: Text

    @field_validator("approval", mode="before")
    @classmethod
    def _approval_shorthand(cls, value: Any) -> Any:
        return {"required": value} if isinstance(value, bool) else value


class Template(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: AssetId
    version: Version
    description: Text
    roles: tuple[Role, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_references(self) -> Template:
        role_names = _unique(
            [r.name for r in self.roles],
            "roles",
            "name",
            lambda value: msg("assets.role_twice", value=value),
        )
        _unique(
            [p.key for p in self.phases],
            "phases",
            "key",
            lambda value: msg("assets.phase_key_twice", value=value),
        )
        _unique(
            [p.artifact.path for p in self.phases],
            "phases",
            "artifact.path",
            lambda value: msg("assets.path_twice", value=value),
        )
        earlier: list[str] = []
        for index, phase in enumerate(self.phases):
            if phase.role not in role_names:
                raise FieldProblem(
                    f"phases[{index}].role",
                    msg(
                        "assets.phase_unknown_role",
                        role=repr(phase.role),
                        roles=", ".join(role_names),
                    ),
                )
            for position, key in enumerate(phase.inputs):
                if key not in earlier:
                    raise FieldProblem(
                        f"phases[{index}].inputs[{position}]", _not_earlier(key, earlier)
                    )
            earlier.append(phase.key)
        used = {p.role for p in self.phases}
        for index, role in enumerate(self.roles):
            if role.name not in used:
                raise FieldProblem(
                    f"roles[{index}].name", msg("assets.role_unused", role=repr(role.name))
                )
        return self

    @property
    def ref(self) -> str:
        return format_ref(self.id, self.version)

    @property
    def hash(self) -> str:
        return content_hash(self)

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    def phase(self, key: str) -> Phase:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(key)

    @property
    def schema_refs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.artifact.schema_ref for p in self.phases))


def _not_earlier(key: str, earlier: list[str]) -> str:
    if not earlier:
        return msg("assets.input_in_first_phase", key=repr(key))
    return msg("assets.input_not_earlier", key=repr(key), earlier=", ".join(earlier))


def _unique(values: list[str], section: str, field: str, twice: Callable[[str], str]) -> list[str]:
    """`values` when no two are equal; else a problem at the second, worded by `twice`."""
    seen: list[str] = []
    for index, value in enumerate(values):
        if value in seen:
            raise FieldProblem(f"{section}[{index}].{field}", twice(repr(value)))
        seen.append(value)
    return seen
