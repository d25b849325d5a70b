"""What a running turn has done so far, for the REPL's live progress line (S7).

`ProgressMiddleware` counts model calls, their tokens and the tool calls, in memory;
the turn activity heartbeats `snapshot()` and the REPL reads the heartbeat details
from the workflow's pending activity. No database write on the turn's path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from my_deepagent.agents.usage import messages_of
from my_deepagent.sessions.progress import TurnProgress, shorten_tool_call

RECENT_TOOLS = 5


class ProgressMiddleware(AgentMiddleware):
    """Count what one invocation of the agent does (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.recent: deque[str] = deque(maxlen=RECENT_TOOLS)
        self.reset()

    def reset(self) -> None:
        """Start counting a new turn."""
        self.model_calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.tool_calls = 0
        self.recent.clear()
        self.phase = "thinking"

    def snapshot(self) -> TurnProgress:
        return TurnProgress(
            model_calls=self.model_calls,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            tool_calls=self.tool_calls,
            recent_tools=tuple(self.recent),
            phase="tool" if self.phase == "tool" else "thinking",
        )

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        self.phase = "thinking"
        response = await handler(request)
        for message in messages_of(response):
            if isinstance(message, AIMessage):
                self.model_calls += 1
                if message.usage_metadata:
                    self.input_tokens += message.usage_metadata["input_tokens"]
                    self.output_tokens += message.usage_metadata["output_tokens"]
        return response

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        call = request.tool_call
        self.tool_calls += 1
        self.recent.append(shorten_tool_call(call["name"], call.get("args") or {}))
        self.phase = "tool"
        try:
            return await handler(request)
        finally:
            self.phase = "thinking"
