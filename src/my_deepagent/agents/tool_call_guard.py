"""Never let malformed tool-call JSON end a run with a silent empty answer.

When a provider sends a tool call whose `arguments` are not valid JSON, langchain
moves it to `AIMessage.invalid_tool_calls`; with no valid call left, the agent loop
sees "no tool calls" and ends, and the phase "succeeds" with nothing done. A tool call
cut off by the output limit (`finish_reason` "length" / `stop_reason` "max_tokens")
is worse: when streamed, langchain's lenient partial-JSON parser closes the braces
and the tool runs with truncated arguments (a half-written file).

`ToolCallGuardMiddleware` calls the model again when that happens, up to
`max_attempts` calls in all, then raises the retryable `MalformedToolCallError` so
the activity fails loudly and Temporal retries it. A response that mixes valid and
invalid calls is passed on: the valid calls run, and langchain answers the invalid
ones with an error `ToolMessage` on the next model call, so the model repairs them.

Put it first in `middleware=[...]` (outermost): middleware after it, such as cost
accounting, then sees every attempt, including the discarded ones that were paid for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage

from my_deepagent.agents.provider_errors import MalformedToolCallError

logger = logging.getLogger(__name__)

TRUNCATION_REASONS = frozenset({"length", "max_tokens"})


def malformed_tool_calls(messages: Sequence[BaseMessage]) -> str | None:
    """Why the response's tool calls cannot be trusted, or None when they can."""
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        metadata = message.response_metadata
        reason = metadata.get("finish_reason") or metadata.get("stop_reason")
        if reason in TRUNCATION_REASONS and (message.tool_calls or message.invalid_tool_calls):
            return f"tool call cut off by the output token limit ({reason})"
        if message.invalid_tool_calls and not message.tool_calls:
            bad = message.invalid_tool_calls[0]
            return f"tool call {bad.get('name')!r} has invalid JSON arguments: " + _json_problem(
                bad.get("args")
            )
    return None


def _json_problem(args: str | None) -> str:
    if args is None:
        return "no arguments"
    try:
        json.loads(args)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at char {exc.pos}"
    return "arguments are not a JSON object"


class ToolCallGuardMiddleware(AgentMiddleware):
    """Re-ask the model when its only tool calls are malformed; then raise."""

    def __init__(self, max_attempts: int = 3) -> None:
        super().__init__()
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        problem = None
        for attempt in range(1, self.max_attempts + 1):
            response = await handler(request)
            problem = self._problem(response, attempt)
            if problem is None:
                return response
        raise self._exhausted(problem)

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        problem = None
        for attempt in range(1, self.max_attempts + 1):
            response = handler(request)
            problem = self._problem(response, attempt)
            if problem is None:
                return response
        raise self._exhausted(problem)

    def _problem(self, response: ModelResponse[Any], attempt: int) -> str | None:
        """What is wrong with this response's tool calls (logged), or None to accept it."""
        problem = malformed_tool_calls(response.result)
        if problem is not None:
            logger.warning("model call %d/%d: %s", attempt, self.max_attempts, problem)
        return problem

    def _exhausted(self, problem: str | None) -> MalformedToolCallError:
        return MalformedToolCallError(f"{problem} (after {self.max_attempts} model calls)")
