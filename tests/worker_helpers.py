"""Helpers of the durability and replay tests: worker processes this test starts and
kills itself, detached runs, and waits with deadlines (no sleep-based assertions).

Workers are appended to `RunEnv.workers`, so the `run_env` fixture stops them.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.client import Client

from my_deepagent.settings import get_settings
from my_deepagent.workflows.run_types import RunStatus
from run_harness import RunEnv

DEADLINE_S = 90.0


def write_explorer_persona(persona_id: str, model: str, capabilities: str, calls: int) -> str:
    """A user persona (`ID@1`) whose scripted `model` lists the repository `calls` times
    before it does its job: many model calls, for durability tests."""
    personas = get_settings().paths.user_personas_dir
    personas.mkdir(parents=True, exist_ok=True)
    (personas / f"{persona_id}@1.yaml").write_text(
        f"""\
id: {persona_id}
version: 1
description: Offline persona that lists the repository {calls} times first.
model: {model}
capabilities: {capabilities}
limits:
  max_cost_per_call_usd: 0.01
  max_tokens: 4096
  max_model_calls: {calls + 20}
system_prompt: |
  Explore the repository before you answer.
"""
    )
    return f"{persona_id}@1"


def spawn_worker(env: RunEnv, extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`mda worker` as a child process, logging to a file in MDA_HOME."""
    with (env.home / f"worker-{len(env.workers)}.log").open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", "worker"],
            env={**env.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    env.workers.append(worker)
    return worker


async def start_worker(env: RunEnv, client: Client, **extra_env: str) -> subprocess.Popen[bytes]:
    """A worker process (teardown stops it), once it polls this test's task queue."""
    from my_deepagent.client import live_worker_identities

    worker = spawn_worker(env, extra_env)
    identity = f"{worker.pid}@{socket.gethostname()}"
    deadline = time.monotonic() + DEADLINE_S
    while identity not in await live_worker_identities(client, get_settings().task_queue):
        assert worker.poll() is None, f"the worker exited; see {env.home}"
        assert time.monotonic() < deadline, f"no poll within {DEADLINE_S} s; see {env.home}"
        await asyncio.sleep(0.05)
    return worker


def kill(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)


async def mda(env: RunEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(env.mda, *args)


async def start_detached(env: RunEnv, repo: Path, *extra: str) -> str:
    result = await mda(
        env, "start", "spec-and-review", "--repo", str(repo), "-r", "Add due dates to tasks.",
        "--offline", "--yes", "--detach", "--json", *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run_id: str = json.loads(result.stdout)["run_id"]
    return run_id


def served(call_log: Path) -> list[str]:
    return call_log.read_text().split() if call_log.exists() else []


async def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def finish(client: Client, run_id: str) -> RunStatus:
    handle = client.get_workflow_handle(f"run-{run_id}", result_type=RunStatus)
    return await asyncio.wait_for(handle.result(), DEADLINE_S)


def report(run_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (get_settings().paths.reports_dir / f"{run_id}.json").read_text()
    )
    return document
