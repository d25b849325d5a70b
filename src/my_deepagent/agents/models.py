"""Model providers: `provider:model` strings to chat model instances, on the worker.

Personas name a model as `openrouter:anthropic/claude-sonnet-4`, `openai:gpt-4.1`,
`anthropic:claude-sonnet-4-5`, `openai-compatible:qwen2.5-coder` or `scripted:<name>`,
parsed by the domain's `ModelSpec` (the same rule persona files are checked with).
Only the worker builds instances, with keys it finds itself (its settings, then the
OS keyring: `keys`), so no key ever enters a workflow input or history.

Instances are built here rather than by passing the string to `create_deep_agent`:
there `"openai:..."` selects the Responses API, which OpenRouter and local servers
do not speak. Every client has SDK retries off (`max_retries=0`): Temporal retries the
activity, and `provider_errors` tells it whether and when. Base URLs of the hosted
providers are explicit so that an unrelated `OPENAI_BASE_URL` in the environment can
never redirect a key mda was given for openai.com.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from my_deepagent.catalogue import msg
from my_deepagent.domain.model_spec import ModelSpec
from my_deepagent.errors import ConfigError
from my_deepagent.keys import find_key, require_key
from my_deepagent.settings import Settings, get_settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
OPENROUTER_HEADERS = {"X-Title": "my-deepagent"}
"""OpenRouter's app attribution header; no HTTP-Referer, mda has no canonical URL."""
KEYLESS_PLACEHOLDER = "not-needed"
"""Sent as the key to an openai-compatible server configured without one (local servers
ignore it, but the OpenAI SDK refuses to build a client with no key at all)."""


def build_chat_model(
    spec: ModelSpec | str, settings: Settings | None = None, *, max_tokens: int | None = None
) -> BaseChatModel:
    """A ready chat model for `spec`; a missing key or base URL is a one-line ConfigError.

    `max_tokens` caps each call's output (the persona's limit): what a budget
    reservation counts on.
    """
    if isinstance(spec, str):
        spec = ModelSpec.parse(spec)
    settings = settings or get_settings()
    if spec.provider == "scripted":
        from my_deepagent.agents.scripted import ScriptedChatModel

        return ScriptedChatModel(
            name=spec.model,
            latency_ms=settings.scripted_latency_ms,
            call_log=settings.scripted_call_log,
        )
    base_url, api_key = connection(spec, settings)
    if spec.provider == "anthropic":
        return _chat_anthropic(spec.model, settings, api_key=api_key, max_tokens=max_tokens)
    headers = OPENROUTER_HEADERS if spec.provider == "openrouter" else None
    return _chat_openai(
        spec.model,
        settings,
        base_url=base_url,
        api_key=api_key,
        default_headers=headers,
        max_tokens=max_tokens,
    )


def connection(spec: ModelSpec, settings: Settings) -> tuple[str, str]:
    """The base URL and key `spec` talks to; a missing one is a one-line ConfigError.

    Cheap (no SDK import), so `mda start` can check the keys of a run's personas before
    it creates anything.
    """
    if spec.provider == "openrouter":
        return settings.openrouter_base_url, require_key("openrouter", settings)
    if spec.provider == "openai":
        return OPENAI_BASE_URL, require_key("openai", settings)
    if spec.provider == "anthropic":
        return ANTHROPIC_BASE_URL, require_key("anthropic", settings)
    if spec.provider == "openai-compatible":
        if not settings.openai_compatible_base_url:
            raise ConfigError(
                msg("assets.compatible_base_url_missing", config=settings.paths.config_file)
            )
        found = find_key("openai-compatible", settings)
        return settings.openai_compatible_base_url, found.value if found else KEYLESS_PLACEHOLDER
    return "", ""  # scripted: offline, nothing to connect to


def _chat_openai(
    model: str,
    settings: Settings,
    *,
    base_url: str,
    api_key: str,
    default_headers: dict[str, str] | None = None,
    max_tokens: int | None = None,
) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=SecretStr(api_key),
        max_retries=0,
        timeout=settings.model_timeout_s,
        stream_usage=True,
        use_responses_api=False,
        default_headers=default_headers,
        max_tokens=max_tokens,
    )


def _chat_anthropic(
    model: str, settings: Settings, *, api_key: str, max_tokens: int | None = None
) -> BaseChatModel:
    """Anthropic's own API (its base URL is explicit, see the module docstring)."""
    from langchain_anthropic import ChatAnthropic

    options = {} if max_tokens is None else {"max_tokens": max_tokens}
    return ChatAnthropic(
        model=model,
        base_url=ANTHROPIC_BASE_URL,
        api_key=SecretStr(api_key),
        max_retries=0,
        timeout=settings.model_timeout_s,
        **options,
    )
