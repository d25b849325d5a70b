"""Which sandbox this machine can start, decided once per process.

`MDA_SANDBOX=off` runs the agent's shell unconfined, on the user's explicit word (it
is recorded on the run or session and shown in the report and the REPL banner).
Otherwise Linux needs bubblewrap able to create namespaces here and macOS uses
`sandbox-exec`; where neither can start, the shell is refused with one line that
names the fix, never silently run unconfined. That line is English for the agent (its
shell's refusal says it) and in the person's language for `mda doctor`.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from my_deepagent.catalogue import english, msg
from my_deepagent.sandbox.bubblewrap import BWRAP
from my_deepagent.sandbox.seatbelt import SANDBOX_EXEC

SandboxMode = Literal["auto", "off"]
SandboxKind = Literal["bubblewrap", "seatbelt", "off"]
PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SandboxChoice:
    """The sandbox to use (`kind`), or why none can start: `problem`, one line in
    English, and `explain`, the same line in the person's language."""

    kind: SandboxKind | None
    problem: str | None = None
    explain: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    @property
    def shown_problem(self) -> str | None:
        """`problem` in the person's language."""
        return self.explain() if self.explain is not None else self.problem


def choose_sandbox(mode: SandboxMode) -> SandboxChoice:
    if mode == "off":
        return SandboxChoice(kind="off")
    return _detected()


@functools.cache
def _detected() -> SandboxChoice:
    if sys.platform == "darwin":
        if shutil.which(SANDBOX_EXEC) is None:
            return SandboxChoice(
                None,
                english("workspace.sandbox_exec_missing", program=SANDBOX_EXEC),
                lambda: msg("workspace.sandbox_exec_missing", program=SANDBOX_EXEC),
            )
        return SandboxChoice(kind="seatbelt")
    if not sys.platform.startswith("linux"):
        return SandboxChoice(
            None,
            english("workspace.sandbox_platform", platform=sys.platform),
            lambda: msg("workspace.sandbox_platform", platform=sys.platform),
        )
    if shutil.which(BWRAP) is None:
        return SandboxChoice(
            None,
            english("workspace.sandbox_no_bubblewrap"),
            lambda: msg("workspace.sandbox_no_bubblewrap"),
        )
    problem = _bubblewrap_probe()
    if problem is not None:
        return SandboxChoice(
            None,
            english("workspace.sandbox_bubblewrap_fails", problem=problem),
            lambda: msg("workspace.sandbox_bubblewrap_fails", problem=problem),
        )
    return SandboxChoice(kind="bubblewrap")


def _bubblewrap_probe() -> str | None:
    """Start the smallest sandbox with every namespace unshared; why it failed, or None."""
    argv = [BWRAP, "--unshare-all", "--die-with-parent", "--cap-drop", "ALL"]
    argv += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"bwrap exited with {done.returncode}"
