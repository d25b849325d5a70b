"""The backend an agent works through: its worktree, a clean shell, and state for the rest.

`LocalShellBackend(virtual_mode=True)` confines the file tools to the worktree, but
its `execute` kills only the shell on a timeout: a command's children keep running
(DESIGN.md 5). `WorktreeShellBackend` runs each command in its own process group and
kills the whole group when the command times out, is cancelled, or finishes, so
nothing an agent starts outlives its command. Its environment is built here, never
inherited: no API key of mda's process reaches the agent's shell.

deepagents writes large tool results and conversation summaries to the backend, which
would put them in the repository; `worktree_backend` routes those prefixes to the
agent's state instead. `grep` drops matches in secret files (`.env`, keys), whose
contents the safety middleware would refuse to `read_file`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from deepagents.backends import CompositeBackend, LocalShellBackend, StateBackend
from deepagents.backends.protocol import ExecuteResponse, GrepResult

from my_deepagent.agents.safety_rules import secret_path

LARGE_TOOL_RESULTS_PREFIX = "/large_tool_results/"
CONVERSATION_HISTORY_PREFIX = "/conversation_history/"
STATE_PREFIXES = (LARGE_TOOL_RESULTS_PREFIX, CONVERSATION_HISTORY_PREFIX)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_OUTPUT_BYTES = 100_000
KILL_WAIT_S = 5.0
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


def agent_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of the agent's shell: PATH, HOME, LANG, TMPDIR, `extra`."""
    env = {
        "PATH": os.environ.get("PATH", DEFAULT_PATH),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, value in (extra or {}).items():
        if forbidden_env_name(name):
            raise ValueError(
                f"environment variable {name} may carry a credential; agents never get it"
            )
        env[name] = value
    return env


def _kill_group(process_group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process_group, signal.SIGKILL)


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


class WorktreeShellBackend(LocalShellBackend):
    """`LocalShellBackend` whose commands die with their whole process group."""

    def execute(self, command: str, *, timeout: int | None = None) -> ExecuteResponse:
        seconds = self._seconds(command, timeout)
        if isinstance(seconds, ExecuteResponse):
            return seconds
        process = subprocess.Popen(
            command,
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env,
            cwd=str(self.cwd),
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            try:
                process.communicate(timeout=KILL_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
            return _timed_out(seconds)
        finally:
            _kill_group(process.pid)
        return _response(stdout, stderr, process.returncode, self._max_output_bytes)

    async def aexecute(self, command: str, *, timeout: int | None = None) -> ExecuteResponse:  # noqa: ASYNC109
        seconds = self._seconds(command, timeout)
        if isinstance(seconds, ExecuteResponse):
            return seconds
        process = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env,
            cwd=str(self.cwd),
            start_new_session=True,
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), seconds)
        except TimeoutError:
            _kill_group(process.pid)
            try:
                await asyncio.wait_for(process.communicate(), KILL_WAIT_S)
            except TimeoutError:
                process.kill()
            return _timed_out(seconds)
        finally:
            _kill_group(process.pid)
        return _response(stdout, stderr, process.returncode or 0, self._max_output_bytes)

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
) -> CompositeBackend:
    """The worktree as the agent's filesystem and shell; offloads kept in agent state.

    `env` adds variables to the minimal environment; a name that may carry a
    credential (`*_KEY`, `*TOKEN*`, `MDA_*`, ...) raises ValueError.
    """
    root = Path(worktree).resolve()
    shell = WorktreeShellBackend(
        root_dir=root,
        virtual_mode=True,
        timeout=timeout_s,
        max_output_bytes=MAX_OUTPUT_BYTES,
        env=agent_env(agent_home(root), env),
        inherit_env=False,
    )
    return CompositeBackend(
        default=shell, routes={prefix: StateBackend() for prefix in STATE_PREFIXES}
    )
