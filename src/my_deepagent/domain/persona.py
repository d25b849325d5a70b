"""Personas: who does the work in a role.

A persona is a model (`provider:model`, parsed by `ModelSpec`), the capabilities it
offers for binding, its limits and its system prompt. Capabilities are a closed set so
that a typo in a YAML file fails at load time instead of silently leaving a role
without a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from my_deepagent.catalogue import msg
from my_deepagent.domain.hashing import content_hash
from my_deepagent.domain.model_spec import ModelSpec, Provider
from my_deepagent.domain.problems import FieldProblem
from my_deepagent.domain.refs import AssetId, Text, Version, format_ref
from my_deepagent.errors import ConfigError

Capability = Literal[
    "spec_write",
    "phase_planning",
    "code_review",
    "evidence_check",
    "verify",
    "reproduce",
    "code_edit",
    "test_write",
    "chat",
    "summarize",
]
CAPABILITIES: tuple[str, ...] = get_args(Capability)


class SandboxSettings(BaseModel):
    """What a persona's shell may do beyond the default sandbox.

    `git: write` lets a session's agent write git objects and refs (commit, branch);
    the repository's hooks and config stay read-only even then, and runs ignore it
    (mda makes a run's commits). `network: true` allows outbound network; the host's
    loopback (Temporal, databases, local services) stays closed even then.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    git: Literal["read", "write"] = "read"
    network: bool = False


class Limits(BaseModel):
    """Per-call ceilings the agent layer enforces for this persona."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_cost_per_call_usd: float = Field(gt=0, le=100)
    max_tokens: int = Field(ge=1, le=1_000_000, description="Output tokens per model call.")
    max_model_calls: int = Field(
        default=50, ge=1, le=10_000, description="Model calls per phase attempt or chat turn."
    )


class Persona(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: AssetId
    version: Version
    description: Text
    model: str = Field(description="provider:model, e.g. openrouter:deepseek/deepseek-chat")
    capabilities: tuple[Capability, ...] = Field(min_length=1)
    limits: Limits
    system_prompt: Text
    temperature: float | None = Field(default=None, ge=0, le=2)
    sandbox: SandboxSettings = SandboxSettings()

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        """Stored in canonical form, so that spelling variants hash alike."""
        try:
            return str(ModelSpec.parse(value))
        except ConfigError as exc:
            raise FieldProblem("", exc.message) from None

    @field_validator("capabilities")
    @classmethod
    def _unique_capabilities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for index, capability in enumerate(value):
            if capability in seen:
                raise FieldProblem(
                    f"[{index}]", msg("assets.capability_twice", capability=repr(capability))
                )
            seen.add(capability)
        return value

    @property
    def ref(self) -> str:
        return format_ref(self.id, self.version)

    @property
    def model_spec(self) -> ModelSpec:
        return ModelSpec.parse(self.model)

    @property
    def provider(self) -> Provider:
        return self.model_spec.provider

    @property
    def model_name(self) -> str:
        return self.model_spec.model

    @property
    def hash(self) -> str:
        return content_hash(self)

    def missing_capabilities(self, required: Sequence[str]) -> list[str]:
        """The capabilities in `required` this persona does not offer, in their order."""
        return [c for c in required if c not in self.capabilities]

    def can_fill(self, required: Sequence[str]) -> bool:
        return not self.missing_capabilities(required)
