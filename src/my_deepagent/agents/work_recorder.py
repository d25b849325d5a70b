"""Record a run phase's files in the repository after every tool call that may have
changed them, so another worker can take the phase over (see `git.run_work`).

The record is taken after the tool returns and before LangGraph checkpoints the step:
a worker killed in between leaves a record that already has the tool's effect, and
the worker that takes over runs the tool again on it (as the same worker would).
Subagents' tool calls pass through here too (they share the middleware).

Tool calls of one model response run concurrently; their records are taken one at a
time, each after its own call, so the last one sees what all of them did. A record
that fails (a git lock the agent's own git command holds, say) never fails the tool
call: it is logged, and the next record catches up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from my_deepagent.git.run_work import record_run_work
from my_deepagent.git.runner import WorkspaceError

logger = logging.getLogger(__name__)

READ_ONLY_TOOLS = frozenset({"ls", "read_file", "glob", "grep", "write_todos"})


class RunWorkMiddleware(AgentMiddleware[Any, Any, Any]):
    def __init__(self, worktree: Path, run_id: str) -> None:
        super().__init__()
        self.worktree = worktree
        self.run_id = run_id
        self._one_at_a_time = asyncio.Lock()

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        result = await handler(request)
        if request.tool_call["name"] not in READ_ONLY_TOOLS:
            async with self._one_at_a_time:
                try:
                    await asyncio.to_thread(record_run_work, self.worktree, self.run_id)
                except WorkspaceError as exc:
                    logger.warning("could not record run %s's files: %s", self.run_id, exc)
        return result
