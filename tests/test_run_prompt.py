"""`mda start` attached to a terminal asks at each gate, and notices a gate answered
elsewhere. Driven through a real pseudo-terminal, as a person would use it."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

from run_harness import DEADLINE_S, RunEnv


class Terminal:
    """The output side of a pseudo-terminal, read with deadlines."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.text = ""

    def wait_for(self, needle: str) -> str:
        return self.wait_for_after(needle, 0)

    def wait_for_after(self, needle: str, start: int) -> str:
        """Wait until `needle` shows after the first `start` characters of output."""
        deadline = time.monotonic() + DEADLINE_S
        while needle not in self.text[start:]:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {needle!r}; the terminal shows:\n{self.text}"
            ready, _, _ = select.select([self.master], [], [], min(remaining, 0.5))
            if ready:
                try:
                    self.text += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    assert needle in self.text[start:], f"never saw {needle!r}:\n{self.text}"
        return self.text

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())


def test_gates_are_asked_inline_and_noticed_when_answered_elsewhere(run_env: RunEnv) -> None:
    run_env.start_worker()
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "my_deepagent", "start", "spec-and-review",
         "--repo", str(run_env.repo), "--offline", "-r", "Add due dates."],
        stdin=slave, stdout=slave, stderr=slave, env=run_env.env,
    )  # fmt: skip
    os.close(slave)
    terminal = Terminal(master)
    try:
        found = re.search(r"Run ([0-9a-f]{32}) started", terminal.wait_for(" started: "))
        assert found is not None
        terminal.wait_for("Gate spec:1 (phase spec, round 1): [a]pprove")
        terminal.type("a")
        terminal.wait_for("Gate review:1")
        assert run_env.mda("approve", found.group(1)).returncode == 0  # from elsewhere
        terminal.wait_for("Gate review:1 was answered elsewhere.")
        terminal.wait_for(f"Run {found.group(1)} completed.")
        assert process.wait(timeout=DEADLINE_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
