"""`provider:model` strings: the one rule for parsing them, shared by personas and providers.

A persona file names its model as text (`openrouter:anthropic/claude-sonnet-4`); the
worker turns the same text into a chat client. Both read it through `ModelSpec.parse`,
so a string a persona file accepts is exactly one the worker can build, and the parts
are split once instead of by each reader. Case and spaces around the parts are not
significant: `" OpenRouter : x"` is `openrouter:x`. The model part may itself contain
colons (`openai-compatible:qwen2.5:7b`).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from my_deepagent.catalogue import msg
from my_deepagent.errors import ConfigError

Provider = Literal["openrouter", "openai", "anthropic", "openai-compatible", "scripted"]
PROVIDERS: tuple[str, ...] = get_args(Provider)

EXAMPLE = "openrouter:deepseek/deepseek-chat"


class ModelSpec(BaseModel):
    """A parsed `provider:model` string."""

    model_config = ConfigDict(frozen=True)

    provider: Provider
    model: str = Field(min_length=1)

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """Parse `text`; a malformed one is a one-line `ConfigError` listing the providers."""
        provider, sep, model = text.strip().partition(":")
        provider = provider.strip().lower()
        model = model.strip()
        if not sep or not model:
            raise ConfigError(
                msg(
                    "assets.not_provider_model",
                    text=repr(text),
                    example=EXAMPLE,
                    providers=", ".join(PROVIDERS),
                )
            )
        if provider not in PROVIDERS:
            raise ConfigError(
                msg(
                    "assets.unknown_provider",
                    provider=repr(provider),
                    text=repr(text),
                    providers=", ".join(PROVIDERS),
                )
            )
        return cls.model_validate({"provider": provider, "model": model})

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"
