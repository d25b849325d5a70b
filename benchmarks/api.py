"""What the HTTP API costs: how fast a run's event reaches a follower, and how many
runs-list requests `mda serve` answers per second.

- **Event latency.** A run row in mda's database, `GET /api/runs/{id}/stream` open
  in an httpx client, then events written to the database one at a time (as the
  workflow's ledger activity writes them), at random moments (seeded). Measured:
  from just before the insert to the client reading that event off the stream;
  median and 90th percentile.
- **Runs list.** 1,000 runs in the database; `GET /api/runs?limit=50` (the web GUI's
  first page) and `limit=1000`, from 8 concurrent clients: requests per second, the
  median of 3 rounds.

`mda serve` runs as a real process on the embedded dev server and a fresh SQLite
database (no worker: nothing here runs a workflow).

    .venv/bin/python benchmarks/api.py [--events 60] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from run_overhead import embedded_server, free_port, setup_environment

RUNS = 1000
CLIENTS = 8


def start_serve(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "my_deepagent", "serve", "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("mda serve did not start")


async def seed_runs(count: int) -> str:
    """`count` finished runs, and one running run (its id) for the stream."""
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.records import RunState
    from my_deepagent.store.runs import create_run

    async with open_database(get_settings()) as db:
        for i in range(count):
            await create_run(
                db, repo_path=f"/bench/repo-{i}", base_branch="main",
                template_ref="spec-and-review@1", state=RunState.COMPLETED,
            )  # fmt: skip
        live = await create_run(
            db, repo_path="/bench/live", base_branch="main", template_ref="spec-and-review@1",
            state=RunState.RUNNING,
        )  # fmt: skip
    return live.id


async def event_latency(base: str, run_id: str, count: int) -> list[float]:
    """Seconds from writing each event to reading it off the stream."""
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.events import EventType, record_event

    pause = random.Random(7)
    latencies: list[float] = []
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as client,
        client.stream("GET", f"/api/runs/{run_id}/stream") as response,
        open_database(get_settings()) as db,
    ):
        lines = response.aiter_lines()

        async def next_event_id() -> int:
            async for line in lines:
                if line.startswith("id: "):
                    return int(line[4:])
            raise SystemExit("the stream ended")

        for i in range(count):
            before = time.perf_counter()
            await record_event(db, run_id, EventType.PHASE_STARTED, f"{run_id}:bench:{i}")
            await next_event_id()
            latencies.append(time.perf_counter() - before)
            await asyncio.sleep(pause.uniform(0.02, 0.25))  # not in step with the polling
    return latencies


async def list_rate(base: str, limit: int, requests: int) -> float:
    """Runs-list requests per second from `CLIENTS` concurrent clients."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        left = requests

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                answer = await client.get("/api/runs", params={"limit": limit})
                assert answer.status_code == 200

        await client.get("/api/runs", params={"limit": limit})  # warm
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return requests / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_environment(Path(folder))
        with embedded_server():
            run_id = asyncio.run(seed_runs(RUNS))
            port = free_port()
            serve = start_serve(port)
            base = f"http://127.0.0.1:{port}"
            try:
                latencies = asyncio.run(event_latency(base, run_id, args.events))
                rates = {
                    limit: [asyncio.run(list_rate(base, limit, args.requests)) for _ in range(3)]
                    for limit in (50, 1000)
                }
            finally:
                serve.terminate()
                serve.wait(timeout=20)
    ms = sorted(x * 1000 for x in latencies)
    p90 = ms[int(len(ms) * 0.9) - 1]
    print(f"event -> client: median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms "
          f"({len(ms)} events; the server reads new events every 100 ms)")  # fmt: skip
    for limit, found in rates.items():
        rounds = ", ".join(f"{r:.0f}" for r in found)
        rate = statistics.median(found)
        print(f"GET /api/runs?limit={limit} with {RUNS + 1} runs: median {rate:.0f} requests/s "
              f"({CLIENTS} clients; rounds {rounds})")  # fmt: skip


if __name__ == "__main__":
    main()
