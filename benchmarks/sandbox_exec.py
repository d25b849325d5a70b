"""What the sandbox costs one `execute` call, measured side by side in one process.

The same trivial command (`true`) through the agent's real backend
(`worktree_backend(...).aexecute`), interleaved call by call so that the machine's
noise falls on all ways alike:

- unconfined: `MDA_SANDBOX=off` (a plain `/bin/sh -c` in a session of its own);
- sandboxed: the default, bubblewrap on Linux (Seatbelt on macOS);
- sandboxed with network: a persona with `sandbox: {network: true}` (slirp4netns too),
  when slirp4netns is installed.

    .venv/bin/python benchmarks/sandbox_exec.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from deepagents.backends import CompositeBackend

from my_deepagent.agents.backends import worktree_backend
from my_deepagent.domain.persona import SandboxSettings
from my_deepagent.sandbox.launcher import choose_sandbox


def repository(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "README.md").write_text("# bench\n")
    return repo


async def timed(backend: CompositeBackend) -> float:
    start = time.perf_counter()
    result = await backend.aexecute("true")
    elapsed = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(f"the command failed: {result.output}")
    return elapsed


async def measure(calls: int) -> dict[str, list[float]]:
    choice = choose_sandbox("auto")
    if choice.kind is None:
        raise SystemExit(f"no sandbox here: {choice.problem}")
    with tempfile.TemporaryDirectory(prefix="mda-bench-") as folder:
        repo = repository(Path(folder))
        ways = {
            "unconfined (MDA_SANDBOX=off)": worktree_backend(repo, timeout_s=30, mode="off"),
            f"sandboxed ({choice.kind})": worktree_backend(repo, timeout_s=30),
        }
        if shutil.which("slirp4netns") is not None and choice.kind == "bubblewrap":
            ways["sandboxed, network on (slirp4netns)"] = worktree_backend(
                repo, timeout_s=30, sandbox=SandboxSettings(network=True)
            )
        times: dict[str, list[float]] = {name: [] for name in ways}
        for backend in ways.values():  # warm up: first-call caches, the bwrap probe
            await timed(backend)
        for _ in range(calls):
            for name, backend in ways.items():
                times[name].append(await timed(backend))
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    times = asyncio.run(measure(args.calls))
    base = statistics.median(next(iter(times.values())))
    print(f"| medians of {args.calls} interleaved `execute('true')` calls | time | vs unconfined |")
    print("|---|---|---|")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"| {name} | {median * 1000:.2f} ms | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
