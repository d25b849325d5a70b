"""Model providers: spec parsing, client wiring, and real HTTP calls to a local stub.

The HTTP tests build the model with `build_chat_model("openai-compatible:...")`, so the
`ChatOpenAI` under test is the one the worker would use, talking to `openai_stub`
over a real loopback socket.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import Runnable
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.provider_errors import (
    ModelCallFailure,
    classify_model_error,
    parse_retry_after,
    temporal_model_errors,
)
from my_deepagent.agents.scripted import ScriptedChatModel
from my_deepagent.domain.model_spec import ModelSpec
from my_deepagent.errors import ConfigError
from my_deepagent.scrub import REDACTED
from my_deepagent.settings import Settings, get_settings, reset_settings
from openai_stub import ErrorReply, OpenAIStub, Reply, StubToolCall

NESTED_ARGS = {"path": "문서/설명.md", "meta": {"tags": ["é", "ü"], "depth": {"n": 2}}}


@tool
def read_doc(path: str, meta: dict[str, Any]) -> str:
    """Read a document, with metadata about the read."""
    return path


@pytest.fixture
def settings(openai_stub: OpenAIStub) -> Settings:
    return get_settings()


def _settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    return get_settings()


# --- spec parsing --------------------------------------------------------------------


def test_spec_keeps_colons_in_the_model_name() -> None:
    spec = ModelSpec.parse(" OpenRouter : meta-llama/llama-3.3-70b:free ")
    assert spec == ModelSpec(provider="openrouter", model="meta-llama/llama-3.3-70b:free")
    assert str(spec) == "openrouter:meta-llama/llama-3.3-70b:free"
    assert ModelSpec.parse("openai-compatible:qwen2.5:7b").model == "qwen2.5:7b"


@pytest.mark.parametrize("text", ["gpt4", "openai:", "", ":gpt-4", "bogus:model", "openai : "])
def test_malformed_spec_names_the_accepted_providers(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ModelSpec.parse(text)
    message = caught.value.message
    assert "\n" not in message
    for provider in ("openrouter", "openai", "anthropic", "openai-compatible", "scripted"):
        assert provider in message


# --- building clients ----------------------------------------------------------------


def _key(model: ChatOpenAI | ChatAnthropic) -> str:
    secret = model.openai_api_key if isinstance(model, ChatOpenAI) else model.anthropic_api_key
    assert secret is not None and not callable(secret)
    return secret.get_secret_value()


def test_openrouter_is_chat_completions_with_its_own_key_and_url(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with(
        monkeypatch, MDA_OPENROUTER_API_KEY="or-key", MDA_MODEL_TIMEOUT_S="42"
    )
    model = build_chat_model("openrouter:anthropic/claude-sonnet-4", settings)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "anthropic/claude-sonnet-4"
    assert model.openai_api_base == settings.openrouter_base_url
    assert _key(model) == "or-key"
    assert model.max_retries == 0
    assert model.request_timeout == 42
    assert model.stream_usage is True
    assert model.use_responses_api is False
    assert model.default_headers is not None and model.default_headers["X-Title"]


def test_openai_ignores_foreign_base_url_variables(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with(
        monkeypatch,
        MDA_OPENAI_API_KEY="sk-test",
        OPENAI_API_BASE="http://127.0.0.1:9/v1",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    model = build_chat_model("openai:gpt-4.1", settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "https://api.openai.com/v1"
    assert str(model.root_async_client.base_url).startswith("https://api.openai.com/v1")
    assert _key(model) == "sk-test"
    assert (model.max_retries, model.use_responses_api) == (0, False)


def test_anthropic_is_chat_anthropic_without_sdk_retries(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with(monkeypatch, MDA_ANTHROPIC_API_KEY="ant-key")
    model = build_chat_model("anthropic:claude-sonnet-4-5", settings)
    assert isinstance(model, ChatAnthropic)
    assert model.model == "claude-sonnet-4-5"
    assert _key(model) == "ant-key"
    assert model.max_retries == 0
    assert model.anthropic_api_url == "https://api.anthropic.com"
    assert model.default_request_timeout == settings.model_timeout_s


def test_openai_compatible_uses_configured_url_and_optional_key(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with(
        monkeypatch, MDA_OPENAI_COMPATIBLE_BASE_URL="http://127.0.0.1:8080/v1"
    )
    model = build_chat_model("openai-compatible:qwen2.5-coder", settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:8080/v1"
    assert _key(model) == "not-needed"
    assert model.stream_usage is True

    settings = _settings_with(monkeypatch, MDA_OPENAI_COMPATIBLE_API_KEY="local-key")
    model = build_chat_model("openai-compatible:qwen2.5-coder", settings)
    assert isinstance(model, ChatOpenAI)
    assert _key(model) == "local-key"


def test_openai_compatible_without_base_url_names_the_variable(mda_home: Path) -> None:
    with pytest.raises(ConfigError, match="MDA_OPENAI_COMPATIBLE_BASE_URL"):
        build_chat_model("openai-compatible:anything", get_settings())


@pytest.mark.parametrize(
    ("spec", "variable"),
    [
        ("openrouter:openai/gpt-4.1", "MDA_OPENROUTER_API_KEY"),
        ("openai:gpt-4.1", "MDA_OPENAI_API_KEY"),
        ("anthropic:claude-sonnet-4-5", "MDA_ANTHROPIC_API_KEY"),
    ],
)
def test_missing_key_names_the_keyring_the_variable_and_config_file(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, spec: str, variable: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "must-not-be-used")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "must-not-be-used")
    settings = _settings_with(monkeypatch, **{variable: "   "})
    with pytest.raises(ConfigError) as caught:
        build_chat_model(spec, settings)
    message = caught.value.message
    provider = spec.partition(":")[0]
    assert message.startswith(f"no key for {provider}: run `mda keys set {provider}`")
    assert f"export {variable}" in message
    assert str(settings.paths.config_file) in message
    assert "\n" not in message


def test_key_from_config_file(mda_home: Path) -> None:
    config = get_settings().paths.config_file
    config.parent.mkdir(parents=True)
    config.write_text('openrouter_api_key = "from-file"\n', encoding="utf-8")
    reset_settings()
    model = build_chat_model("openrouter:x/y", get_settings())
    assert isinstance(model, ChatOpenAI)
    assert _key(model) == "from-file"


def test_scripted_provider_builds_the_scripted_model(mda_home: Path) -> None:
    model = build_chat_model("scripted:echo", get_settings())
    assert isinstance(model, ScriptedChatModel)


def test_importing_the_provider_modules_stays_light() -> None:
    code = (
        "import sys, my_deepagent.agents.models, my_deepagent.agents.provider_errors;"
        "heavy = [m for m in ('openai', 'anthropic', 'langchain_openai', 'langchain_anthropic',"
        " 'langchain', 'temporalio') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- real HTTP against the stub ------------------------------------------------------


async def _call(
    model: Runnable[Any, Any], prompt: str, *, stream: bool
) -> AIMessage | AIMessageChunk:
    if not stream:
        result = await model.ainvoke(prompt)
        assert isinstance(result, AIMessage)
        return result
    merged: AIMessageChunk | None = None
    async for chunk in model.astream(prompt):
        assert isinstance(chunk, AIMessageChunk)
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    return merged


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streaming"])
async def test_nested_non_ascii_tool_call_round_trips(
    settings: Settings, openai_stub: OpenAIStub, stream: bool
) -> None:
    arguments = json.dumps(NESTED_ARGS, ensure_ascii=False)
    openai_stub.script(
        Reply(
            content="읽겠습니다 — é",
            tool_calls=(StubToolCall("read_doc", arguments, call_id="call-nested"),),
            prompt_tokens=321,
            completion_tokens=54,
        )
    )
    model = build_chat_model("openai-compatible:stub-model", settings).bind_tools([read_doc])
    message = await _call(model, "설명.md 파일을 읽어 주세요", stream=stream)

    assert message.tool_calls == [
        {"name": "read_doc", "args": NESTED_ARGS, "id": "call-nested", "type": "tool_call"}
    ]
    assert message.invalid_tool_calls == []
    assert message.content == "읽겠습니다 — é"
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 321
    assert message.usage_metadata["output_tokens"] == 54
    assert message.usage_metadata["total_tokens"] == 375

    [request] = openai_stub.requests
    assert request["model"] == "stub-model"
    assert request["messages"][-1]["content"] == "설명.md 파일을 읽어 주세요"
    assert request["tools"][0]["function"]["name"] == "read_doc"
    assert bool(request.get("stream")) is stream
    if stream:
        assert request["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("reply", "kind", "retryable", "retry_after"),
    [
        (ErrorReply(429, headers={"Retry-After": "7"}), "rate_limited", True, 7.0),
        (ErrorReply(429, headers={"retry-after-ms": "1500"}), "rate_limited", True, 1.5),
        (ErrorReply(500), "server_error", True, None),
        (ErrorReply(503, headers={"Retry-After": "2"}), "server_error", True, 2.0),
        (ErrorReply(529), "server_error", True, None),
        (ErrorReply(401, "bad key"), "auth_error", False, None),
        (ErrorReply(403), "permission_denied", False, None),
        (ErrorReply(400, "temperature is out of range"), "bad_request", False, None),
        (ErrorReply(404), "not_found", False, None),
        (ErrorReply(422), "bad_request", False, None),
        (ErrorReply(429, headers={"x-should-retry": "false"}), "rate_limited", False, None),
    ],
    ids=lambda value: str(getattr(value, "status", value)),
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streaming"])
async def test_http_errors_are_classified_after_exactly_one_request(
    settings: Settings,
    openai_stub: OpenAIStub,
    reply: ErrorReply,
    kind: str,
    retryable: bool,
    retry_after: float | None,
    stream: bool,
) -> None:
    openai_stub.script(reply)
    model = build_chat_model("openai-compatible:stub-model", settings)
    with pytest.raises(Exception) as caught:
        await _call(model, "hello", stream=stream)
    failure = classify_model_error(caught.value)
    assert failure is not None
    assert (failure.kind, failure.retryable, failure.retry_after_s) == (
        kind,
        retryable,
        retry_after,
    )
    assert failure.status == reply.status
    assert reply.message in failure.message
    assert "\n" not in failure.message
    assert len(openai_stub.requests) == 1


@pytest.mark.parametrize(
    ("reply", "kind", "retryable", "retry_after"),
    [
        (ErrorReply(429, headers={"retry-after": "3"}), "rate_limited", True, 3.0),
        (ErrorReply(529, "Overloaded"), "server_error", True, None),
        (ErrorReply(401, "invalid x-api-key"), "auth_error", False, None),
        (ErrorReply(400, "max_tokens: too large"), "bad_request", False, None),
    ],
    ids=lambda value: str(getattr(value, "status", value)),
)
async def test_anthropic_http_errors_are_classified(
    openai_stub: OpenAIStub,
    reply: ErrorReply,
    kind: str,
    retryable: bool,
    retry_after: float | None,
) -> None:
    openai_stub.script(reply)
    model = ChatAnthropic(
        model="claude-test", base_url=openai_stub.root_url, api_key=SecretStr("k"), max_retries=0
    )
    with pytest.raises(Exception) as caught:
        await model.ainvoke("hello")
    failure = classify_model_error(caught.value)
    assert failure is not None
    assert (failure.kind, failure.retryable, failure.retry_after_s) == (
        kind,
        retryable,
        retry_after,
    )
    assert failure.status == reply.status
    assert reply.message in failure.message
    assert len(openai_stub.requests) == 1


async def test_context_overflow_is_not_retryable(
    settings: Settings, openai_stub: OpenAIStub
) -> None:
    openai_stub.script(
        ErrorReply(400, "unsupported parameter: logit_bias"),
        ErrorReply(400, "context_length_exceeded: prompt is too long"),
    )
    model = build_chat_model("openai-compatible:stub-model", settings)
    with pytest.raises(Exception) as first:
        await model.ainvoke("a")
    with pytest.raises(Exception) as second:
        await model.ainvoke("b")
    plain = classify_model_error(first.value)
    assert plain is not None and plain.kind == "bad_request"
    failure = classify_model_error(second.value)
    assert failure is not None
    assert (failure.kind, failure.retryable, failure.status) == ("context_overflow", False, 400)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_server_is_a_retryable_connection_error(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with(
        monkeypatch, MDA_OPENAI_COMPATIBLE_BASE_URL=f"http://127.0.0.1:{_closed_port()}/v1"
    )
    model = build_chat_model("openai-compatible:stub-model", settings)
    with pytest.raises(Exception) as caught:
        await model.ainvoke("hello")
    failure = classify_model_error(caught.value)
    assert failure is not None
    assert (failure.kind, failure.retryable, failure.status) == ("connection_error", True, None)


async def test_client_timeout_is_retryable(
    openai_stub: OpenAIStub, mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with(
        monkeypatch, MDA_OPENAI_COMPATIBLE_BASE_URL=openai_stub.base_url, MDA_MODEL_TIMEOUT_S="0.2"
    )
    openai_stub.script(Reply(content="too late", delay_s=3.0))
    model = build_chat_model("openai-compatible:stub-model", settings)
    with pytest.raises(Exception) as caught:
        await model.ainvoke("hello")
    failure = classify_model_error(caught.value)
    assert failure is not None
    assert (failure.kind, failure.retryable) == ("timeout", True)
    assert len(openai_stub.requests) == 1


async def test_an_echoed_key_is_redacted_from_the_failure(
    openai_stub: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "local-7Hq2-secret-x9"
    settings = _settings_with(monkeypatch, MDA_OPENAI_COMPATIBLE_API_KEY=key)
    openai_stub.script(ErrorReply(401, f"Incorrect API key provided: {key}"))
    model = build_chat_model("openai-compatible:stub-model", settings)
    with pytest.raises(Exception) as caught:
        await model.ainvoke("hello")
    assert key in str(caught.value)
    failure = classify_model_error(caught.value)
    assert failure is not None
    assert failure.message.endswith(f"Incorrect API key provided: {REDACTED}")

    built = ModelCallFailure(
        kind="auth_error",
        retryable=False,
        message=f"got Authorization: Bearer abc.DEF-123 and sk-proj-Zx81aa9 and {key}",
    )
    error = built.to_application_error()
    assert error.message == (f"got Authorization: Bearer {REDACTED} and {REDACTED} and {REDACTED}")
    assert error.details[0]["message"] == error.message


# --- retry-after parsing and Temporal errors -------------------------------------------


def test_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"Retry-After-Ms": "250", "Retry-After": "9"}) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 01 Jan 2025 12:01:30 GMT"}, now) == 90.0
    assert parse_retry_after({"Retry-After": "Wed, 01 Jan 2025 11:00:00 GMT"}, now) == 0.0
    assert parse_retry_after({"Retry-After": "86400"}) == 3600.0
    for bad in ("soon", "-3", "nan", ""):
        assert parse_retry_after({"Retry-After": bad}) is None
    assert parse_retry_after({}) is None


def test_failure_becomes_an_application_error() -> None:
    from temporalio.exceptions import ApplicationError

    failure = ModelCallFailure(
        kind="rate_limited", retryable=True, status=429, retry_after_s=7.0, message="slow down"
    )
    error = failure.to_application_error()
    assert isinstance(error, ApplicationError)
    assert (error.type, error.non_retryable) == ("ModelCallFailure", False)
    assert error.next_retry_delay == timedelta(seconds=7)
    assert ModelCallFailure.model_validate(error.details[0]) == failure

    final = ModelCallFailure(kind="auth_error", retryable=False, status=401, message="bad key")
    error = final.to_application_error()
    assert (error.non_retryable, error.next_retry_delay) == (True, None)


async def test_temporal_model_errors_converts_only_provider_errors(
    settings: Settings, openai_stub: OpenAIStub
) -> None:
    from temporalio.exceptions import ApplicationError

    openai_stub.script(ErrorReply(401, "bad key"))
    model = build_chat_model("openai-compatible:stub-model", settings)
    with pytest.raises(ApplicationError) as caught, temporal_model_errors():
        await model.ainvoke("hello")
    assert caught.value.non_retryable
    assert "HTTP 401" in caught.value.message and "bad key" in caught.value.message

    with pytest.raises(KeyError), temporal_model_errors():
        raise KeyError("not a provider error")

    decided = ApplicationError("decided elsewhere", non_retryable=True)
    with pytest.raises(ApplicationError) as again, temporal_model_errors():
        raise decided from caught.value
    assert again.value is decided
