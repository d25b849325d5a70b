"""Malformed tool-call JSON is retried, never turned into a silent empty answer.

Real agents (deepagents and langchain's `create_agent`) with the real `ChatOpenAI`
talking to `openai_stub` over loopback HTTP. The stub sees every model call, so the
number of requests is the number of attempts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, tool

from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.provider_errors import MalformedToolCallError, classify_model_error
from my_deepagent.agents.tool_call_guard import ToolCallGuardMiddleware
from my_deepagent.settings import get_settings
from openai_stub import OpenAIStub, Reply, StubToolCall

GOOD_ARGS = {"path": "문서/설명.md", "meta": {"tags": ["é", "ü"], "depth": {"n": 2}}}
GOOD = StubToolCall("record", json.dumps(GOOD_ARGS, ensure_ascii=False))
BROKEN = StubToolCall("record", '{"path": "문서/설명.md",, "meta": {}}')
TOOL_DONE = "RECORDED-OK"


@pytest.fixture
def model(openai_stub: OpenAIStub) -> BaseChatModel:
    return build_chat_model("openai-compatible:stub-model", get_settings())


def recording_tool() -> tuple[BaseTool, list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    @tool
    async def record(path: str, meta: dict[str, Any]) -> str:
        """Record a document path with its metadata."""
        calls.append({"path": path, "meta": meta})
        return TOOL_DONE

    return record, calls


def _last_ai(result: dict[str, Any]) -> AIMessage:
    message = result["messages"][-1]
    assert isinstance(message, AIMessage)
    return message


async def test_deep_agent_retries_a_malformed_call_and_runs_the_tool(
    model: BaseChatModel, openai_stub: OpenAIStub
) -> None:
    from deepagents import create_deep_agent

    record, calls = recording_tool()
    openai_stub.script(Reply(tool_calls=(BROKEN,)), Reply(tool_calls=(GOOD,)))
    openai_stub.script(Reply(content="기록했습니다"), when=TOOL_DONE)
    agent = create_deep_agent(
        model=model, tools=[record], middleware=[ToolCallGuardMiddleware(max_attempts=3)]
    )
    result = await agent.ainvoke({"messages": [{"role": "user", "content": "record it"}]})

    assert calls == [GOOD_ARGS]
    assert _last_ai(result).content == "기록했습니다"
    assert len(openai_stub.requests) == 3
    ai_messages = [m for m in result["messages"] if isinstance(m, AIMessage)]
    assert all(not m.invalid_tool_calls for m in ai_messages)


async def test_without_the_guard_a_malformed_call_ends_the_run_silently(
    model: BaseChatModel, openai_stub: OpenAIStub
) -> None:
    """The library behaviour the guard exists for; if this starts failing, langchain
    changed how it treats invalid tool calls and the guard may be revisited."""
    record, calls = recording_tool()
    openai_stub.script(Reply(tool_calls=(BROKEN,)))
    agent = create_agent(model=model, tools=[record])
    result = await agent.ainvoke({"messages": [{"role": "user", "content": "record it"}]})

    assert calls == []
    assert len(openai_stub.requests) == 1
    last = _last_ai(result)
    assert (last.content, last.tool_calls) == ("", [])
    assert last.invalid_tool_calls


async def test_always_malformed_raises_a_retryable_error(
    model: BaseChatModel, openai_stub: OpenAIStub
) -> None:
    record, calls = recording_tool()
    openai_stub.script(Reply(tool_calls=(BROKEN,)), Reply(tool_calls=(BROKEN,)))
    agent = create_agent(
        model=model, tools=[record], middleware=[ToolCallGuardMiddleware(max_attempts=2)]
    )
    with pytest.raises(MalformedToolCallError) as caught:
        await agent.ainvoke({"messages": [{"role": "user", "content": "record it"}]})

    assert calls == []
    assert len(openai_stub.requests) == 2
    assert "'record'" in str(caught.value) and "2 model calls" in str(caught.value)
    failure = classify_model_error(caught.value)
    assert failure is not None
    assert (failure.kind, failure.retryable) == ("malformed_tool_call", True)


async def test_streamed_call_cut_off_by_the_token_limit_is_not_run(
    model: BaseChatModel, openai_stub: OpenAIStub
) -> None:
    """Streamed, truncated arguments parse leniently into a "valid" call: without the
    guard the tool would run with `path="문서/설"`."""
    record, calls = recording_tool()
    truncated = StubToolCall("record", '{"meta": {"tags": ["é"]}, "path": "문서/설')
    openai_stub.script(
        Reply(tool_calls=(truncated,), finish_reason="length"), Reply(tool_calls=(GOOD,))
    )
    openai_stub.script(Reply(content="done"), when=TOOL_DONE)
    agent = create_agent(model=model, tools=[record], middleware=[ToolCallGuardMiddleware()])
    chunks = [
        chunk
        async for chunk in agent.astream(
            {"messages": [{"role": "user", "content": "record it"}]}, stream_mode="messages"
        )
    ]

    assert chunks
    assert all(request.get("stream") for request in openai_stub.requests)
    assert calls == [GOOD_ARGS]
    assert len(openai_stub.requests) == 3


async def test_mixed_valid_and_malformed_calls_are_left_to_the_agent_loop(
    model: BaseChatModel, openai_stub: OpenAIStub
) -> None:
    record, calls = recording_tool()
    openai_stub.script(Reply(tool_calls=(GOOD, BROKEN)))
    openai_stub.script(Reply(content="done"), when=TOOL_DONE)
    agent = create_agent(model=model, tools=[record], middleware=[ToolCallGuardMiddleware()])
    result = await agent.ainvoke({"messages": [{"role": "user", "content": "record it"}]})

    assert calls == [GOOD_ARGS]
    assert _last_ai(result).content == "done"
    assert len(openai_stub.requests) == 2
    tool_replies = [m for m in openai_stub.requests[1]["messages"] if m["role"] == "tool"]
    assert len(tool_replies) == 2
    assert any(TOOL_DONE in str(m["content"]) for m in tool_replies)
    assert any(TOOL_DONE not in str(m["content"]) for m in tool_replies)


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ToolCallGuardMiddleware(max_attempts=0)
