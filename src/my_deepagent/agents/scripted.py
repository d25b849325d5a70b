"""`scripted:<name>`: an offline chat model, so mda runs end to end with no API key.

It stands in for the remote model only: deepagents, the tools, the checkpointer and
the workflows around it are the real ones. What it answers is decided by
`scripted_replies.decide`, a pure function of the messages and the bound tools.

The ids are pure functions too. An `AIMessage.id` is a hash of everything the call
received (messages without their ids, which LangGraph assigns at random, the bound
tools, the model name, and the LangGraph thread id when there is one), and each tool
call id is derived from it. So a call retried after a crash returns the very same
message, while two turns of one conversation never share an id (the second sees more
messages): LangGraph's `add_messages` replaces a message whose id it already holds.
The thread id keeps two runs with identical prompts from producing the same ids, which
would look like one call to anything that records usage by message id.

Usage is counted with tiktoken (`tokens.py`): input is the messages plus the tool
schemas, output the text plus the tool calls' names and JSON arguments.
A name ending in `-explore-<N>` makes the model call `ls` N times before it writes
an artifact, `-drafts-<N>` write N draft files first (see `scripted_replies`).
`latency_ms` (from `MDA_SCRIPTED_LATENCY_MS`) delays every call, for demos and for
tests that need a call to be in flight when a worker dies; `MDA_SCRIPTED_CRASH_FILE`
makes the worker kill itself at a planned point of a call (`scripted_crash`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from my_deepagent.agents.scripted_crash import crash_point
from my_deepagent.agents.scripted_replies import Reply, decide, draft_calls, explore_calls
from my_deepagent.tokens import (
    content_text,
    count_message_tokens,
    count_tokens,
    count_tool_schema_tokens,
    tool_call_text,
)

PROVIDER = "scripted"


def _canonical(message: BaseMessage) -> dict[str, Any]:
    """What a message says, without its id (LangGraph assigns those at random)."""
    return {
        "type": message.type,
        "content": message.content,
        "name": message.name,
        "tool_calls": [
            {"name": c["name"], "args": c["args"], "id": c["id"]}
            for c in getattr(message, "tool_calls", None) or ()
        ],
        "tool_call_id": getattr(message, "tool_call_id", None),
        "status": getattr(message, "status", None),
    }


def call_key(
    model_name: str,
    messages: Sequence[BaseMessage],
    tools: Sequence[dict[str, Any]],
    thread_id: str | None = None,
) -> str:
    """The hex digest every id of one call's answer derives from."""
    payload = {
        "model": model_name,
        "thread": thread_id,
        "tools": sorted(tool_name(t) for t in tools),
        "messages": [_canonical(m) for m in messages],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", tool).get("name", ""))


def output_tokens(message: AIMessage) -> int:
    """Tokens the model produced: its text, and each tool call's name and JSON args."""
    calls = sum(count_tokens(part) for call in message.tool_calls for part in tool_call_text(call))
    return count_tokens(content_text(message)) + calls


class ScriptedChatModel(BaseChatModel):
    """A deterministic offline chat model that writes schema-valid artifacts."""

    model_name: str = "default"
    latency_ms: int = Field(default=0, ge=0)
    call_log: str | None = None
    """A file that gets one line per call actually served (`MDA_SCRIPTED_CALL_LOG`): how
    durability tests count the calls a crash made the worker repeat."""

    def __init__(
        self,
        name: str = "default",
        latency_ms: int = 0,
        call_log: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_name=name, latency_ms=latency_ms, call_log=call_log, **kwargs)

    @property
    def _llm_type(self) -> str:
        return PROVIDER

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "latency_ms": self.latency_ms}

    @property
    def model_spec(self) -> str:
        return f"{PROVIDER}:{self.model_name}"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in OpenAI's format; `tool_choice` is accepted and ignored."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def respond(
        self,
        messages: Sequence[BaseMessage],
        tools: Sequence[dict[str, Any]] = (),
        thread_id: str | None = None,
    ) -> AIMessage:
        """The answer to `messages`: the same input always gives the same message."""
        reply: Reply = decide(
            messages,
            frozenset(tool_name(t) for t in tools),
            explore=explore_calls(self.model_name),
            drafts=draft_calls(self.model_name),
        )
        key = call_key(self.model_spec, messages, tools, thread_id)
        tool_calls = [
            {
                "name": name,
                "args": args,
                "id": "call_" + hashlib.sha256(f"{key}:{index}".encode()).hexdigest()[:24],
                "type": "tool_call",
            }
            for index, (name, args) in enumerate(reply.tool_calls)
        ]
        message = AIMessage(
            content=reply.content,
            tool_calls=tool_calls,
            id=f"scripted-{key[:32]}",
            response_metadata={
                "model_name": self.model_spec,
                "model_provider": PROVIDER,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            },
        )
        used_in = count_message_tokens(messages) + count_tool_schema_tokens(tools)
        used_out = output_tokens(message)
        message.usage_metadata = UsageMetadata(
            input_tokens=used_in, output_tokens=used_out, total_tokens=used_in + used_out
        )
        return message

    @staticmethod
    def _thread_id(run_manager: Any) -> str | None:
        metadata = getattr(run_manager, "metadata", None) or {}
        thread = metadata.get("thread_id")
        return str(thread) if thread is not None else None

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        crash_point("before", self.call_log)
        if self.latency_ms:
            time.sleep(self.latency_ms / 2000)
            crash_point("during", self.call_log)
            time.sleep(self.latency_ms / 2000)
        message = self.respond(messages, kwargs.get("tools") or (), self._thread_id(run_manager))
        self._log_served(message)
        crash_point("after", self.call_log)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        crash_point("before", self.call_log)
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 2000)
            crash_point("during", self.call_log)
            await asyncio.sleep(self.latency_ms / 2000)
        message = self.respond(messages, kwargs.get("tools") or (), self._thread_id(run_manager))
        self._log_served(message)
        crash_point("after", self.call_log)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _log_served(self, message: AIMessage) -> None:
        if self.call_log:
            with open(self.call_log, "a", encoding="utf-8") as log:  # noqa: PTH123
                log.write(f"{message.id}\n")
