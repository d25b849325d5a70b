"""What the end-to-end run tests share: a real worker process, a real git repository,
and the `mda` command run as a person runs it.

Each test gets its own MDA_HOME and its own task queue on the session's dev server, so
a workflow of one test is never picked up by another test's worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from my_deepagent.examples import prepare_example_repo
from my_deepagent.settings import reset_settings

DEADLINE_S = 120.0


@dataclass
class RunEnv:
    home: Path
    repo: Path
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def mda(self, *args: str, timeout: float = DEADLINE_S) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "my_deepagent", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def mda_json(self, *args: str) -> Any:
        result = self.mda(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def start_worker(self, **extra_env: str) -> subprocess.Popen[bytes]:
        with (self.home / f"worker-{len(self.workers)}.log").open("ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "my_deepagent", "worker"],
                env={**self.env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.workers.append(worker)
        self.wait_until_polled(worker)
        return worker

    def wait_until_polled(self, worker: subprocess.Popen[bytes]) -> None:
        """Until `worker` polls this test's task queue (it first imports the agent stack).

        Asks the server (`live_worker_identities`) with a client of its own, so it runs
        from synchronous tests only (async tests: `worker_helpers.start_worker`).
        """
        asyncio.run(self._wait_until_polled(worker))

    async def _wait_until_polled(self, worker: subprocess.Popen[bytes]) -> None:
        from my_deepagent.client import live_worker_identities
        from my_deepagent.settings import get_settings
        from my_deepagent.temporal_config import connect_client

        identity = f"{worker.pid}@{socket.gethostname()}"
        client = await connect_client()
        deadline = time.monotonic() + DEADLINE_S
        while identity not in await live_worker_identities(client, get_settings().task_queue):
            if worker.poll() is not None:
                raise AssertionError(f"the worker exited ({worker.returncode}); see {self.home}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"no worker polled within {DEADLINE_S} s; see {self.home}")
            await asyncio.sleep(0.1)

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def wait_for(self, run_id: str, predicate: Any, what: str) -> dict[str, Any]:
        """Poll `mda runs show --json` until `predicate(view)`; fail with `what` otherwise."""
        deadline = time.monotonic() + DEADLINE_S
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = self.mda_json("runs", "show", run_id)
            if predicate(view):
                return view
            time.sleep(0.3)
        raise AssertionError(f"run {run_id} never reached {what}; last view: {view}")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=cwd or self.repo,
            env={**self.env, "GIT_OPTIONAL_LOCKS": "0"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout


@pytest.fixture
def run_env(
    mda_home: Path,
    configured_temporal: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunEnv]:
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("MDA_TASK_QUEUE", f"mda-test-{uuid.uuid4().hex[:10]}")
    reset_settings()
    repo = prepare_example_repo(tmp_path / "repo")
    env = RunEnv(home=mda_home, repo=repo, env=dict(os.environ))
    mda_home.mkdir(parents=True, exist_ok=True)
    try:
        yield env
    finally:
        env.stop_workers()


def checkout_snapshot(repo: Path) -> dict[str, bytes]:
    """The user's checkout: every working-tree file, HEAD, the index and `main`."""
    snapshot: dict[str, bytes] = {}
    for path in sorted(repo.rglob("*")):
        relative = path.relative_to(repo)
        if path.is_file() and relative.parts[0] != ".git":
            snapshot[str(relative)] = path.read_bytes()
    for name in ("HEAD", "index", "refs/heads/main"):
        snapshot[f".git/{name}"] = (repo / ".git" / name).read_bytes()
    return snapshot


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single `mda: error:` line of a command that failed with exit code 2."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mda: error: "), lines[0]
    return lines[0]
