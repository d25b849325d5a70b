"""Which sandbox this machine can start, decided once per process.

`MDA_SANDBOX=off` runs the agent's shell unconfined, on the user's explicit word (it
is recorded on the run or session and shown in the report and the REPL banner).
Otherwise Linux needs bubblewrap able to create namespaces here and macOS uses
`sandbox-exec`; where neither can start, the shell is refused with one line that
names the fix, never silently run unconfined.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Literal

from my_deepagent.sandbox.bubblewrap import BWRAP
from my_deepagent.sandbox.seatbelt import SANDBOX_EXEC

SandboxMode = Literal["auto", "off"]
SandboxKind = Literal["bubblewrap", "seatbelt", "off"]
PROBE_TIMEOUT_S = 10.0
OFF_HINT = "or set MDA_SANDBOX=off to accept running the agent's shell unconfined"


@dataclass(frozen=True)
class SandboxChoice:
    """The sandbox to use (`kind`), or why none can start (`problem`, one line)."""

    kind: SandboxKind | None
    problem: str | None = None


def choose_sandbox(mode: SandboxMode) -> SandboxChoice:
    if mode == "off":
        return SandboxChoice(kind="off")
    return _detected()


@functools.cache
def _detected() -> SandboxChoice:
    if sys.platform == "darwin":
        if shutil.which(SANDBOX_EXEC) is None:
            return SandboxChoice(None, f"{SANDBOX_EXEC} is missing on this Mac ({OFF_HINT})")
        return SandboxChoice(kind="seatbelt")
    if not sys.platform.startswith("linux"):
        return SandboxChoice(None, f"mda has no sandbox for {sys.platform} ({OFF_HINT})")
    if shutil.which(BWRAP) is None:
        return SandboxChoice(
            None, f"bubblewrap is not installed (install it: apt install bubblewrap; {OFF_HINT})"
        )
    problem = _bubblewrap_probe()
    if problem is not None:
        return SandboxChoice(
            None, f"bubblewrap cannot create a sandbox here ({problem}; {OFF_HINT})"
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
