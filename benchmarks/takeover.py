"""How fast a second worker takes over when the first dies mid-model-call.

Two worker processes poll the same task queue on the embedded dev server, each
logging the scripted model calls it serves to a file of its own. Each round starts
a one-phase offline run (2 model calls, each `--latency-ms` long), waits until one
worker has served the first call (so the second is in flight there), SIGKILLs that
worker, and times until the other worker serves the interrupted call, minus the
call's latency: what is left is Temporal noticing the dead worker (its activity
heartbeat timeout) and handing the retry to the living one. A new worker replaces
the killed one before the next round. Medians of `--rounds`.

    .venv/bin/python benchmarks/takeover.py [--rounds 5] [--latency-ms 1000]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_overhead import REQUIREMENTS, embedded_server, setup_environment


def spawn(root: Path, name: str, latency_ms: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MDA_SCRIPTED_LATENCY_MS": str(latency_ms),
        "MDA_SCRIPTED_CALL_LOG": str(root / f"{name}.calls"),
    }
    with (root / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", "worker"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip


def served(root: Path, name: str) -> int:
    path = root / f"{name}.calls"
    return len(path.read_text().split()) if path.exists() else 0


def wait_polling(root: Path, name: str) -> None:
    log = root / f"{name}.log"
    while not log.exists() or "polling task queue" not in log.read_text():
        time.sleep(0.05)


def start_run(root: Path, index: int) -> None:
    from my_deepagent.examples import prepare_example_repo

    repo = prepare_example_repo(root / f"repo-{index}")
    command = [
        sys.executable, "-m", "my_deepagent", "start", "bench-one", "--repo", str(repo),
        "--offline", "--yes", "--detach", "-r", REQUIREMENTS,
    ]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def round_trip(
    root: Path, index: int, workers: dict[str, subprocess.Popen[bytes]], latency_ms: int
) -> float:
    before = {name: served(root, name) for name in workers}
    start_run(root, index)
    while True:
        busy = [name for name in workers if served(root, name) > before[name]]
        if busy:
            break
        time.sleep(0.01)
    victim = busy[0]
    (other,) = [name for name in workers if name != victim]
    time.sleep(latency_ms / 2000)  # the second call is in flight on the victim
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait()
    killed = time.perf_counter()
    while served(root, other) <= before[other]:
        time.sleep(0.01)
    taken_over = time.perf_counter() - killed - latency_ms / 1000
    replacement = f"w{index + 2}"
    workers[replacement] = spawn(root, replacement, latency_ms)
    del workers[victim]
    wait_polling(root, replacement)
    return taken_over


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Seconds until a killed worker's call is re-issued."
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mda-bench-takeover-")).resolve()
    setup_environment(root, task_queue="bench-takeover")
    with embedded_server():
        workers = {name: spawn(root, name, args.latency_ms) for name in ("w0", "w1")}
        try:
            for name in workers:
                wait_polling(root, name)
            times = [round_trip(root, i, workers, args.latency_ms) for i in range(args.rounds)]
        finally:
            for worker in workers.values():
                worker.send_signal(signal.SIGTERM)
            for worker in workers.values():
                worker.wait(timeout=60)
    print(
        f"SIGKILL of the worker mid-call, another worker polling: the call re-issued after "
        f"{statistics.median(times):.1f} s (median of {len(times)}; "
        f"{', '.join(f'{t:.1f}' for t in times)})"
    )


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
