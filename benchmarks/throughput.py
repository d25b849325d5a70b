"""How many runs mda completes per second: offline spec-and-review runs (3 phases,
gates auto-approved), launched through mda's own client API, on one worker process
and on two, on SQLite and on PostgreSQL, against the embedded dev server.

Each batch starts `--runs` runs at once (each on its own copy of the example
repository, made before the clock starts) and waits until all have completed; the
figure is the time from the first start to the last completion. Every setup gets a
fresh database for each batch (a SQLite file, or a database on a throwaway
PostgreSQL cluster, both named by MDA_DATABASE_URL and migrated by `mda db upgrade`,
as a deployment's are), and the setups take turns batch by batch, so the machine's
noise falls on all alike; medians of `--batches`.

    .venv/bin/python benchmarks/throughput.py [--runs 100] [--batches 3]
        [--databases sqlite,postgresql] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_overhead import embedded_server, free_port, setup_environment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pg_cluster import Cluster, execute, start_cluster, stop_cluster

REQUIREMENTS = "Add due dates to todo items."


def spawn_workers(count: int, root: Path, concurrency: int | None) -> list[subprocess.Popen[bytes]]:
    extra = ["--concurrency", str(concurrency)] if concurrency else []
    workers = []
    for index in range(count):
        with (root / f"worker-{count}-{index}.log").open("ab") as log:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "my_deepagent", "worker", *extra],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
    return workers


async def wait_polled(workers: list[subprocess.Popen[bytes]]) -> None:
    from my_deepagent.client import live_worker_identities
    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_config import connect_client

    client = await connect_client()
    wanted = {f"{w.pid}@{socket.gethostname()}" for w in workers}
    while not wanted <= await live_worker_identities(client, get_settings().task_queue):
        assert all(w.poll() is None for w in workers), "a worker exited"
        await asyncio.sleep(0.1)


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


async def batch(runs: int, root: Path, label: str) -> float:
    """Seconds from the first start to the last completion of `runs` runs."""
    from my_deepagent.client import run_handle
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.examples import prepare_example_repo
    from my_deepagent.launch import RunRequest, plan_run, start_run
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import new_run_id
    from my_deepagent.temporal_config import connect_client

    catalog = load_user_catalog()
    client = await connect_client()
    inputs = []
    for index in range(runs):
        repo = prepare_example_repo(root / label / f"repo-{index}")
        request = RunRequest(
            template="spec-and-review", repo=repo, requirements=REQUIREMENTS, offline=True,
            auto_approve=True,
        )  # fmt: skip
        inputs.append(plan_run(request, catalog, new_run_id()))
    async with open_database() as db:
        started = time.perf_counter()
        for run_input in inputs:
            await start_run(client, db, run_input, REQUIREMENTS)
        results = await asyncio.gather(*(run_handle(client, r.run_id).result() for r in inputs))
        elapsed = time.perf_counter() - started
    failed = [r.error for r in results if r.state != "completed"]
    assert not failed, failed[:3]
    return elapsed


Setup = tuple[str, int]
"""(database, number of workers)."""


def fresh_database(kind: str, root: Path, label: str, cluster: Cluster | None) -> None:
    """Point this process and the workers it starts at a new, migrated database."""
    from my_deepagent.settings import reset_settings

    if kind == "sqlite":
        folder = root / "databases" / label
        folder.mkdir(parents=True)
        url = f"sqlite+aiosqlite:///{folder / 'mda.db'}"
    else:
        assert cluster is not None
        name = label.replace("-", "_")
        execute(cluster.url, f'CREATE DATABASE "{name}"')
        url = f"{cluster.url}/{name}"
    os.environ["MDA_DATABASE_URL"] = url
    reset_settings()
    command = [sys.executable, "-m", "my_deepagent", "db", "upgrade"]
    subprocess.run(command, check=True, capture_output=True)


async def measure(
    runs: int, batches: int, root: Path, databases: list[str], concurrency: int | None
) -> dict[Setup, list[float]]:
    cluster = start_cluster(free_port()) if "postgresql" in databases else None
    times: dict[Setup, list[float]] = {(kind, n): [] for kind in databases for n in (1, 2)}
    try:
        for number in range(batches):
            for kind, count in times:
                label = f"b{number}-{kind}-w{count}"
                fresh_database(kind, root, label, cluster)
                workers = spawn_workers(count, root, concurrency)
                try:
                    await wait_polled(workers)
                    times[(kind, count)].append(await batch(runs, root, label))
                finally:
                    stop(workers)
    finally:
        if cluster is not None:
            stop_cluster(cluster)
    return times


def report(times: dict[Setup, list[float]], runs: int, concurrency: int | None) -> None:
    limit = concurrency or "the worker's default"
    batches = len(next(iter(times.values())))
    print(
        f"{runs} offline spec-and-review runs (3 phases each), activities per worker: "
        f"{limit}; medians of {batches} batches:"
    )
    for (kind, count), values in times.items():
        median = statistics.median(values)
        print(
            f"  {kind:<10}  {count} worker{'s' if count > 1 else ' '}  {median:6.1f} s to all "
            f"completed   {runs / median:5.2f} runs/s   "
            f"(batches: {', '.join(f'{v:.1f}' for v in values)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Runs per second on one and two workers, SQLite and PostgreSQL."
    )
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()
    databases = [kind.strip() for kind in args.databases.split(",") if kind.strip()]
    if not set(databases) <= {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite, postgresql or both")
    root = Path(tempfile.mkdtemp(prefix="mda-bench-throughput-")).resolve()
    setup_environment(root, task_queue="bench-throughput")
    with embedded_server():
        times = asyncio.run(measure(args.runs, args.batches, root, databases, args.concurrency))
        report(times, args.runs, args.concurrency)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
