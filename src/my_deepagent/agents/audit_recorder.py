"""Write every tool call of an agent to the audit trail (`my_deepagent.audit`).

`AuditMiddleware` is the outermost tool-call wrapper `build_agent` installs, so it
sees what the model is answered: a call mda's safety rules refused (`refused`, with
the rule's reason), one whose tool reported an error (`error`, its first line), or
one that raised. Subagents' calls pass through it too (they share the middleware).
A call cancelled before it finished (a turn interrupted, a worker shutting down)
did not complete and gets no line.

`where` names the call's run and phase or session and turn; a session's cached
agent moves it to each new turn (`begin_turn`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict

from my_deepagent.agents.safety_rules import REFUSED_PREFIX
from my_deepagent.audit import Outcome, append, entry
from my_deepagent.tokens import content_text

logger = logging.getLogger(__name__)


class AuditWhere(BaseModel):
    """Whose calls these are: a run's phase, or a session's turn."""

    model_config = ConfigDict(frozen=True)

    run_id: str | None = None
    phase: str | None = None
    session_id: str | None = None
    turn: int | None = None


class AuditMiddleware(AgentMiddleware[Any, Any, Any]):
    def __init__(self, path: Path, where: AuditWhere) -> None:
        super().__init__()
        self.path = path
        self.where = where

    def begin_turn(self, turn: int) -> None:
        self.where = self.where.model_copy(update={"turn": turn})

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        started = time.monotonic()
        try:
            result = await handler(request)
        except Exception as exc:
            self._write(request, started, "error", f"{type(exc).__name__}: {exc}")
            raise
        outcome, reason = _outcome(result)
        self._write(request, started, outcome, reason)
        return result

    def _write(
        self, request: ToolCallRequest, started: float, outcome: Outcome, reason: str | None
    ) -> None:
        call = request.tool_call
        record = entry(
            tool=call["name"],
            call_id=call.get("id"),
            args=call.get("args") or {},
            duration_ms=round((time.monotonic() - started) * 1000),
            outcome=outcome,
            reason=reason,
            **self.where.model_dump(),
        )
        try:
            append(self.path, record)
        except OSError as exc:  # a full disk must not fail the agent's call
            logger.error("could not write the audit trail %s: %s", self.path, exc)


def _outcome(result: ToolMessage | Command[Any]) -> tuple[Outcome, str | None]:
    if not isinstance(result, ToolMessage) or result.status != "error":
        return "ok", None
    text = content_text(result).strip()
    if text.startswith(REFUSED_PREFIX):
        return "refused", text.removeprefix(REFUSED_PREFIX)
    return "error", text.splitlines()[0] if text else None
