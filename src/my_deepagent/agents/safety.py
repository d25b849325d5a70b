"""The safety rules as middleware: refused tool calls come back to the model as errors.

Every agent and subagent mda builds carries `SafetyMiddleware` (see `builder.py`). It
looks at each call of deepagents' shell and file tools before the tool runs, judges it
with `safety_rules` (what the model wrote) and `file_guard` (where a path leads on
disk), and on a refusal answers with an error `ToolMessage` carrying the one-line
reason instead of running the tool. The model reads why and what to do instead, and
the run goes on; nothing is raised, so one refused call cannot fail a phase or a turn.
The rules are the first line; the OS sandbox around the shell (`sandbox`) is the one
that holds when a command slips past them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import Any, Literal

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from my_deepagent.agents.file_guard import check_file_access
from my_deepagent.agents.safety_rules import REFUSED_PREFIX, Refusal, check_command, check_path
from my_deepagent.git.runner import WorkspaceError, run_git

logger = logging.getLogger(__name__)

SHELL_TOOL = "execute"
PATH_ARGUMENTS = {
    "read_file": ("file_path",),
    "write_file": ("file_path",),
    "edit_file": ("file_path",),
    "delete": ("file_path",),
    "ls": ("path",),
    "glob": ("path",),
    "grep": ("path",),
}
"""deepagents 0.7.32's file tools and the arguments that name a path."""

Place = Literal["worktree", "repository"]
"""What the agent's root is called in refusals: a run's worktree, a session's repository."""

__all__ = ["REFUSED_PREFIX", "SafetyMiddleware", "checked_out_branch"]


BRANCH_JUDGED_WORDS = ("reset", "stash", "clean", "checkout", "restore")
"""Commands whose verdict depends on the checked-out branch (allowed on mda's own)."""


def _judged_by_branch(command: str) -> bool:
    return any(word in command for word in BRANCH_JUDGED_WORDS)


def checked_out_branch(worktree: Path) -> str | None:
    """The branch checked out in `worktree`, or None (detached, not a repository)."""
    try:
        completed = run_git(
            ["symbolic-ref", "--short", "-q", "HEAD"], cwd=worktree, check=False, timeout_s=5
        )
    except WorkspaceError:
        return None
    branch = completed.stdout.strip()
    return branch if completed.returncode == 0 and branch else None


class SafetyMiddleware(AgentMiddleware):
    """Answer refused shell and file tool calls with an error instead of running them."""

    def __init__(
        self,
        worktree: str | os.PathLike[str],
        own_branches: Collection[str] = (),
        place: Place = "worktree",
    ) -> None:
        super().__init__()
        self.worktree = Path(worktree).resolve()
        self.own_branches = frozenset(own_branches)
        self.place = place

    def judge(self, name: str, args: dict[str, Any]) -> Refusal | None:
        """The refusal for calling tool `name` with `args`, or None to let it run."""
        if name == SHELL_TOOL:
            command = str(args.get("command") or "")
            branch = checked_out_branch(self.worktree) if _judged_by_branch(command) else None
            return check_command(
                command,
                worktree=self.worktree,
                own_branches=self.own_branches,
                current_branch=branch,
            )
        for argument in PATH_ARGUMENTS.get(name, ()):
            value = args.get(argument)
            if isinstance(value, str) and value:
                refusal = check_path(value) or check_file_access(
                    self.worktree, name, value, self.place
                )
                if refusal is not None:
                    return refusal
        return None

    def _refused(self, request: ToolCallRequest) -> ToolMessage | None:
        call = request.tool_call
        refusal = self.judge(call["name"], call.get("args") or {})
        if refusal is None:
            return None
        logger.warning("refused %s (%s): %s", call["name"], refusal.rule, call.get("args"))
        return self._message(request, refusal.reason)

    def _message(self, request: ToolCallRequest, reason: str) -> ToolMessage:
        call = request.tool_call
        if self.place == "repository":
            reason = reason.replace("the worktree", "the repository").replace(
                "worktree", "repository"
            )
        return ToolMessage(
            content=REFUSED_PREFIX + reason,
            name=call["name"],
            tool_call_id=call["id"] or "",
            status="error",
        )

    def _file_tool_failed(self, request: ToolCallRequest, exc: Exception) -> ToolMessage:
        """A file tool that raised on a path (a link loop, a path the checks above did
        not foresee) answers with a refusal naming the model's path, never a real one."""
        call = request.tool_call
        logger.warning("file tool %s raised %s", call["name"], type(exc).__name__)
        args = call.get("args") or {}
        written = next((str(args[a]) for a in PATH_ARGUMENTS[call["name"]] if a in args), "")
        return self._message(
            request,
            f"{written or 'that path'} cannot be used: it does not stay inside the worktree",
        )

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            return handler(request)
        except (ValueError, OSError) as exc:
            if request.tool_call["name"] not in PATH_ARGUMENTS:
                raise
            return self._file_tool_failed(request, exc)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        # Judging a reset, a discard or a delete runs git: off the event loop, so the activity's
        # heartbeat task keeps beating. Everything else is judged inline.
        call = request.tool_call
        runs_git = call["name"] == "delete" or (
            call["name"] == SHELL_TOOL
            and _judged_by_branch(str((call.get("args") or {}).get("command") or ""))
        )
        refused = (
            await asyncio.to_thread(self._refused, request) if runs_git else self._refused(request)
        )
        if refused is not None:
            return refused
        try:
            return await handler(request)
        except (ValueError, OSError) as exc:
            if call["name"] not in PATH_ARGUMENTS:
                raise
            return self._file_tool_failed(request, exc)
