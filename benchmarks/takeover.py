"""How fast a killed worker's model call is re-issued, two ways side by side.

Worker processes poll the same task queue on the embedded dev server, each logging
the scripted model calls it serves to a file of its own. Each round starts a
one-phase offline run (2 model calls, each `--latency-ms` long), waits until a
worker has served the first call (so the second is in flight there), SIGKILLs that
worker, and times until the interrupted call is served again, minus the call's
latency. Two cases, interleaved round by round:

- heartbeat: a second worker is already polling. It started before the kill, so it
  knows nothing of it: Temporal notices the dead worker through the activity's
  heartbeat timeout, then retries after the retry policy's first interval.
- takeover: the only worker is killed and a new one is started at once. Before it
  polls, it fails the dead worker's attempt (`my_deepagent.takeover`) with a retry
  delay of zero. Timed from the kill (= the new worker's spawn), so its process
  start-up is included; the new worker's log says when it took over and polled.

Medians of `--rounds`.

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

from run_overhead import REQUIREMENTS, embedded_server, log_time, setup_environment


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


def wait_busy(
    root: Path, workers: dict[str, subprocess.Popen[bytes]], before: dict[str, int]
) -> str:
    while True:
        busy = [name for name in workers if served(root, name) > before[name]]
        if busy:
            return busy[0]
        time.sleep(0.01)


def kill(workers: dict[str, subprocess.Popen[bytes]], name: str, latency_ms: int) -> float:
    time.sleep(latency_ms / 2000)  # the second call is in flight on the victim
    workers[name].send_signal(signal.SIGKILL)
    workers[name].wait()
    del workers[name]
    return time.perf_counter()


def wait_served(root: Path, name: str, before: int) -> float:
    while served(root, name) <= before:
        time.sleep(0.01)
    return time.perf_counter()


def heartbeat_round(
    root: Path, index: int, workers: dict[str, subprocess.Popen[bytes]], latency_ms: int
) -> float:
    """Two workers poll; the busy one is killed; the other re-issues the call."""
    before = {name: served(root, name) for name in workers}
    start_run(root, index)
    victim = wait_busy(root, workers, before)
    (other,) = [name for name in workers if name != victim]
    killed = kill(workers, victim, latency_ms)
    return wait_served(root, other, before[other]) - killed - latency_ms / 1000


def takeover_round(
    root: Path, index: int, workers: dict[str, subprocess.Popen[bytes]], latency_ms: int
) -> tuple[float, float, float]:
    """One worker polls; it is killed and a new one started at once, which takes the
    call over. Seconds from the kill to the re-issue (less the latency), to the new
    worker's takeover, and to its first poll."""
    (only,) = workers
    before = served(root, only)
    start_run(root, index)
    while served(root, only) <= before:
        time.sleep(0.01)
    killed = kill(workers, only, latency_ms)
    killed_at = time.time()
    new = f"t{index}"
    workers[new] = spawn(root, new, latency_ms)
    reissued = wait_served(root, new, 0) - killed - latency_ms / 1000
    took_over = log_time(root / f"{new}.log", "activities of dead workers taken over") - killed_at
    polled = log_time(root / f"{new}.log", "polling task queue") - killed_at
    return reissued, took_over, polled


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Seconds until a killed worker's call is re-issued."
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mda-bench-takeover-")).resolve()
    setup_environment(root, task_queue="bench-takeover")
    heartbeat: list[float] = []
    takeover: list[tuple[float, float, float]] = []
    with embedded_server():
        workers = {name: spawn(root, name, args.latency_ms) for name in ("w0", "w1")}
        try:
            for name in workers:
                wait_polling(root, name)
            for index in range(args.rounds):
                heartbeat.append(heartbeat_round(root, 2 * index, workers, args.latency_ms))
                takeover.append(takeover_round(root, 2 * index + 1, workers, args.latency_ms))
                name = f"w{index + 2}"
                workers[name] = spawn(root, name, args.latency_ms)
                wait_polling(root, name)
        finally:
            for worker in workers.values():
                worker.send_signal(signal.SIGTERM)
            for worker in workers.values():
                worker.wait(timeout=60)
    reissued, took_over, polled = (list(column) for column in zip(*takeover, strict=True))
    print(f"SIGKILL of the worker mid-call, medians of {args.rounds} interleaved rounds:")
    print(f"  second worker already polling (heartbeat bound): re-issued after "
          f"{statistics.median(heartbeat):.2f} s ({listing(heartbeat)})")  # fmt: skip
    print(f"  a new worker started after the kill (takeover): re-issued after "
          f"{statistics.median(reissued):.2f} s ({listing(reissued)})")  # fmt: skip
    print(f"    the new worker took over {statistics.median(took_over):.2f} s after the kill "
          f"and polled at {statistics.median(polled):.2f} s (its start-up)")  # fmt: skip
    ready = [r - max(t, p) for r, t, p in takeover]
    print(f"    re-issued {statistics.median(ready):.2f} s after the new worker was ready "
          f"({listing(ready)})")  # fmt: skip


def listing(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
