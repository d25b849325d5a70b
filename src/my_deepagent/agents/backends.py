"""The backend an agent works through: its worktree, a confined shell, state for the rest.

`LocalShellBackend(virtual_mode=True)` confines the file tools to the worktree but
runs `execute` as a plain shell of mda's process. `WorktreeShellBackend` runs each
command through `sandbox.ConfinedShell` instead: an OS sandbox that sees the worktree
and system folders only, with an environment built here, never inherited (no API
key of mda's process reaches it), and whose every process ends with the call. When
no sandbox can start, the command is refused in one line naming the fix.

deepagents writes large tool results and conversation summaries to the backend, which
would put them in the repository; `worktree_backend` routes those prefixes to the
agent's state instead. `grep` drops matches in secret files (`.env`, keys), whose
contents the safety middleware would refuse to `read_file`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from deepagents.backends import CompositeBackend, LocalShellBackend, StateBackend
from deepagents.backends.protocol import ExecuteResponse, GrepResult

from my_deepagent.agents.safety_rules import REFUSED_PREFIX, secret_path
from my_deepagent.domain.persona import SandboxSettings
from my_deepagent.sandbox.launcher import SandboxMode, choose_sandbox
from my_deepagent.sandbox.policy import SandboxPolicy
from my_deepagent.sandbox.runner import ConfinedShell, SandboxRefused

LARGE_TOOL_RESULTS_PREFIX = "/large_tool_results/"
CONVERSATION_HISTORY_PREFIX = "/conversation_history/"
STATE_PREFIXES = (LARGE_TOOL_RESULTS_PREFIX, CONVERSATION_HISTORY_PREFIX)
MAX_OUTPUT_BYTES = 100_000
SECRET_ENV_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
SECRET_ENV_PREFIXES = ("MDA_", "OPENAI", "ANTHROPIC", "OPENROUTER", "AWS_", "TEMPORAL_")


def agent_home(worktree: str | os.PathLike[str]) -> Path:
    """A private HOME for the worktree's shell, outside the worktree (not committed)."""
    digest = hashlib.sha256(str(Path(worktree).resolve()).encode()).hexdigest()[:16]
    home = Path(tempfile.gettempdir()) / f"mda-agent-home-{os.getuid()}-{digest}"
    (home / "tmp").mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def forbidden_env_name(name: str) -> bool:
    """Whether an environment variable may carry a credential (never given to agents)."""
    upper = name.upper()
    return upper.startswith(SECRET_ENV_PREFIXES) or any(m in upper for m in SECRET_ENV_MARKERS)


def checked_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    """`extra` for the agent's shell, refusing any name that may carry a credential.
    (The rest of its environment is fixed by `SandboxPolicy.environment`.)"""
    for name in extra or {}:
        if forbidden_env_name(name):
            raise ValueError(
                f"environment variable {name} may carry a credential; agents never get it"
            )
    return dict(extra or {})


def _response(stdout: bytes, stderr: bytes, exit_code: int, limit: int) -> ExecuteResponse:
    """Output as `LocalShellBackend` formats it: stderr lines tagged, capped, exit code."""
    parts = []
    if stdout:
        parts.append(stdout.decode("utf-8", errors="replace"))
    if stderr:
        lines = stderr.decode("utf-8", errors="replace").strip().split("\n")
        parts.extend(f"[stderr] {line}" for line in lines)
    output = "\n".join(parts) if parts else "<no output>"
    truncated = len(output.encode("utf-8")) > limit
    if truncated:
        output = output.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
        output += f"\n\n... Output truncated at {limit} bytes."
    if exit_code != 0:
        output = f"{output.rstrip()}\n\nExit code: {exit_code}"
    return ExecuteResponse(output=output, exit_code=exit_code, truncated=truncated)


def _timed_out(seconds: int) -> ExecuteResponse:
    return ExecuteResponse(
        output=(
            f"Error: Command timed out after {seconds} seconds and was killed with every "
            "process it started. Run long jobs with a larger timeout, or in smaller steps."
        ),
        exit_code=124,
        truncated=False,
    )


def _refused(reason: str) -> ExecuteResponse:
    return ExecuteResponse(output=REFUSED_PREFIX + reason, exit_code=126, truncated=False)


class WorktreeShellBackend(LocalShellBackend):
    """`LocalShellBackend` whose commands run confined by `shell` (see `sandbox`), or
    are refused in one line when no sandbox can start (`unavailable`)."""

    def __init__(
        self, *, shell: ConfinedShell | None, unavailable: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._shell = shell
        self._unavailable = unavailable

    def execute(self, command: str, *, timeout: int | None = None) -> ExecuteResponse:
        return asyncio.run(self.aexecute(command, timeout=timeout))

    async def aexecute(self, command: str, *, timeout: int | None = None) -> ExecuteResponse:  # noqa: ASYNC109
        seconds = self._seconds(command, timeout)
        if isinstance(seconds, ExecuteResponse):
            return seconds
        if self._shell is None:
            return _refused(f"the shell cannot run here: {self._unavailable}")
        try:
            outcome = await self._shell.run(command, seconds)
        except SandboxRefused as exc:
            return _refused(f"the shell cannot run here: {exc}")
        if outcome.timed_out:
            return _timed_out(seconds)
        return _response(outcome.stdout, outcome.stderr, outcome.exit_code, self._max_output_bytes)

    def _seconds(self, command: str, timeout: int | None) -> int | ExecuteResponse:
        if not command or not isinstance(command, str):
            return ExecuteResponse(output="Error: Command must be a non-empty string.", exit_code=1)
        seconds = timeout if timeout is not None else self._default_timeout
        if seconds <= 0:
            raise ValueError(f"timeout must be positive, got {seconds}")
        return seconds

    def grep(
        self,
        pattern: str,
        path: str | None = None,
        glob: str | None = None,
        *,
        max_count: int | None = None,
        context_lines: int = 0,
    ) -> GrepResult:
        result = super().grep(pattern, path, glob, max_count=max_count, context_lines=context_lines)
        return _without_secrets(result)

    async def agrep(
        self,
        pattern: str,
        path: str | None = None,
        glob: str | None = None,
        *,
        max_count: int | None = None,
        context_lines: int = 0,
    ) -> GrepResult:
        result = await super().agrep(
            pattern, path, glob, max_count=max_count, context_lines=context_lines
        )
        return _without_secrets(result)


def _without_secrets(result: GrepResult) -> GrepResult:
    if not result.matches:
        return result
    return replace(result, matches=[m for m in result.matches if not secret_path(m["path"])])


def worktree_backend(
    worktree: str | os.PathLike[str],
    *,
    timeout_s: int,
    env: Mapping[str, str] | None = None,
    sandbox: SandboxSettings | None = None,
    mode: SandboxMode = "auto",
) -> CompositeBackend:
    """The worktree as the agent's filesystem and shell; offloads kept in agent state.

    `env` adds variables to the minimal environment; a name that may carry a
    credential (`*_KEY`, `*TOKEN*`, `MDA_*`, ...) raises ValueError. `sandbox` is the
    persona's allowance (git writes, network); `mode` "off" runs the shell unconfined.
    """
    root = Path(worktree).resolve()
    allowed = sandbox or SandboxSettings()
    policy = SandboxPolicy(
        root=root,
        scratch=agent_home(root),
        env=checked_env(env),
        git_write=allowed.git == "write",
        network=allowed.network,
    )
    choice = choose_sandbox(mode)
    shell = WorktreeShellBackend(
        shell=ConfinedShell(policy, choice.kind) if choice.kind else None,
        unavailable=choice.problem,
        root_dir=root,
        virtual_mode=True,
        timeout=timeout_s,
        max_output_bytes=MAX_OUTPUT_BYTES,
        inherit_env=False,
    )
    return CompositeBackend(
        default=shell, routes={prefix: StateBackend() for prefix in STATE_PREFIXES}
    )
