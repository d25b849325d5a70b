"""What a running turn has done so far, for the REPL's live progress line.

`ProgressMiddleware` counts model calls, their tokens and the tool calls, in memory;
the turn activity heartbeats `progress` and the REPL reads the heartbeat details
from the workflow's pending activity. No database write on the turn's path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from my_deepagent.agents.usage import messages_of
from my_deepagent.sessions.progress import TurnProgress


class ProgressMiddleware(AgentMiddleware):
    """Fold what one invocation of the agent does into a `TurnProgress`."""

    def __init__(self) -> None:
        super().__init__()
        self.progress = TurnProgress()

    def reset(self) -> None:
        """Start counting a new turn."""
        self.progress = TurnProgress()

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        response = await handler(request)
        for message in messages_of(response):
            if isinstance(message, AIMessage):
                usage = message.usage_metadata
                self.progress = self.progress.with_model_call(
                    usage["input_tokens"] if usage else 0, usage["output_tokens"] if usage else 0
                )
        return response

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        call = request.tool_call
        self.progress = self.progress.with_tool_call(call["name"], call.get("args") or {})
        try:
            return await handler(request)
        finally:
            self.progress = self.progress.model_copy(update={"phase": "thinking"})
