"""Run one shell command confined by a policy, and end everything it started.

Whatever the sandbox, the command runs in a session of its own and the whole group
is killed when it finishes, times out or is cancelled. Under bubblewrap the command
also lives in a process namespace whose first process dies with its parent, so a
`setsid` or double-forked child ends with the call as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.sandbox.bubblewrap import bwrap_argv
from my_deepagent.sandbox.launcher import SandboxKind
from my_deepagent.sandbox.network import (
    NetworkUnavailable,
    Pipes,
    attach,
    network_problem,
    write_resolver,
)
from my_deepagent.sandbox.policy import GitLayout, SandboxPolicy, git_layout, redacted_git_config
from my_deepagent.sandbox.seatbelt import seatbelt_argv

KILL_WAIT_S = 5.0
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class SandboxRefused(Exception):
    """The command cannot run as the policy requires; the message is one line."""


@dataclass(frozen=True)
class Outcome:
    stdout: bytes
    stderr: bytes
    exit_code: int
    timed_out: bool = False


class ConfinedShell:
    """Runs commands for one root under one policy, with the sandbox `kind`."""

    def __init__(self, policy: SandboxPolicy, kind: SandboxKind) -> None:
        self.policy = policy
        self.kind = kind
        self.control = policy.scratch.with_name(policy.scratch.name + "-control")

    async def run(self, command: str, timeout_s: float) -> Outcome:
        pipes = Pipes() if self.kind == "bubblewrap" and self.policy.network else None
        slirp: subprocess.Popen[bytes] | None = None
        try:
            argv, env = await asyncio.to_thread(self._argv, command, pipes)
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=str(self.policy.root),
                start_new_session=True,
                pass_fds=pipes.child_fds() if pipes else (),
            )
            try:
                if pipes is not None:
                    pipes.close_child_ends()
                    slirp = await asyncio.to_thread(attach, pipes)
                stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
            except TimeoutError:
                _kill_group(process.pid)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.communicate(), KILL_WAIT_S)
                return Outcome(b"", b"", 124, timed_out=True)
            except NetworkUnavailable as exc:
                raise SandboxRefused(str(exc)) from None
            finally:
                _kill_group(process.pid)
                if process.returncode is None:
                    process.kill()
                    with contextlib.suppress(ProcessLookupError):
                        await process.wait()
            return Outcome(stdout, stderr, process.returncode or 0)
        finally:
            if slirp is not None:
                slirp.kill()
                slirp.wait()
            if pipes is not None:
                pipes.close()

    def run_blocking(self, command: str, timeout_s: float) -> Outcome:
        return asyncio.run(self.run(command, timeout_s))

    def _argv(self, command: str, pipes: Pipes | None) -> tuple[list[str], dict[str, str]]:
        """The command line and the environment of the process mda starts."""
        policy = self.policy
        policy.scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.kind == "off":
            return ["/bin/sh", "-c", command], self._host_env()
        layout = git_layout(policy.root)
        if self.kind == "seatbelt":
            tmp = policy.scratch / "tmp"
            tmp.mkdir(exist_ok=True, mode=0o700)
            return seatbelt_argv(policy, layout, command, tmp), self._host_env()
        resolver = None
        if pipes is not None:
            problem = network_problem()
            if problem is not None:
                raise SandboxRefused(problem)
            resolver = write_resolver(self._control_dir())
        argv = bwrap_argv(
            policy,
            command,
            layout=layout,
            redacted_config=self._redacted_config(layout),
            resolv_conf=resolver,
            info_fd=pipes.info_write if pipes else None,
            block_fd=pipes.block_read if pipes else None,
        )
        return argv, {"PATH": HOST_PATH}

    def _host_env(self) -> dict[str, str]:
        """Unconfined or under Seatbelt, HOME and TMPDIR are the scratch folder's."""
        env = self.policy.environment()
        env |= {
            "PATH": self.policy.env.get("PATH") or os.environ.get("PATH", HOST_PATH),
            "HOME": str(self.policy.scratch),
            "TMPDIR": str(self.policy.scratch / "tmp"),
        }
        (self.policy.scratch / "tmp").mkdir(exist_ok=True, mode=0o700)
        return env

    def _control_dir(self) -> Path:
        self.control.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.control

    def _redacted_config(self, layout: GitLayout | None) -> Path | None:
        """A copy of the repository's git config without credentials (outside the
        sandbox's reach), mounted over the real one."""
        if layout is None or not layout.config.is_file():
            return None
        text = redacted_git_config(layout.config.read_text(encoding="utf-8", errors="replace"))
        path = self._control_dir() / "git-config"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            temporary = path.with_suffix(".new")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)
        return path


def _kill_group(process_group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process_group, signal.SIGKILL)
