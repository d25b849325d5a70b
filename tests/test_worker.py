"""The worker as a real process: it polls, stops gracefully on SIGTERM, and in embedded
mode `ensure_worker` starts a detached one only when no worker polls."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import Client

from my_deepagent.cli.main import main
from my_deepagent.client import ensure_worker, live_worker_identities
from my_deepagent.embedded.worker_process import read_pid_file, running_worker
from my_deepagent.settings import get_settings
from my_deepagent.worker import build_worker

POLL_WAIT_S = 60.0


@pytest.fixture
def queue(mda_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """This test's own task queue (`MDA_TASK_QUEUE`), for the code and its subprocesses."""
    from my_deepagent.settings import reset_settings

    name = f"test-worker-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("MDA_TASK_QUEUE", name)
    reset_settings()
    return name


async def wait_for_poller(client: Client, queue: str, identity: str) -> None:
    async with asyncio.timeout(POLL_WAIT_S):
        polling = False
        while not polling:
            await asyncio.sleep(0.1)
            polling = identity in await live_worker_identities(client, queue)


@activity.defn(name="noop")
async def noop() -> None:
    return None


@workflow.defn(name="Idle")
class Idle:
    """A worker polls the workflow queue only when it has a workflow."""

    @workflow.run
    async def run(self) -> None:
        return None


def spawn_worker(log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m my_deepagent worker` (what `mda worker` runs) on the test's own queue."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", "worker", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_cli_worker_polls_and_stops_gracefully_on_sigterm(
    configured_temporal: object, temporal_client: Client, tmp_path: Path, queue: str
) -> None:
    log = tmp_path / "worker.log"
    process = spawn_worker(log, "--concurrency", "3")
    try:
        await wait_for_poller(temporal_client, queue, f"{process.pid}@{socket.gethostname()}")
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, POLL_WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = await asyncio.to_thread(log.read_text)
    assert code == 0, text
    assert "received SIGTERM" in text
    assert "worker stopped" in text
    assert "3 activities at once" in text


async def test_ensure_worker_leaves_a_polling_worker_alone(
    configured_temporal: object, temporal_client: Client, queue: str
) -> None:
    worker = build_worker(
        temporal_client, None, task_queue=queue, workflows=[Idle], activities=[noop]
    )
    async with worker:
        identity = f"{os.getpid()}@{socket.gethostname()}"
        await wait_for_poller(temporal_client, queue, identity)
        assert await ensure_worker(temporal_client) == "polling"
    assert read_pid_file(get_settings().paths) is None


async def test_ensure_worker_starts_nothing_for_a_configured_server(
    configured_temporal: object, temporal_client: Client, queue: str
) -> None:
    assert await ensure_worker(temporal_client) == "none"
    assert read_pid_file(get_settings().paths) is None


@pytest.fixture
async def embedded_client(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, unused_tcp_port_factory: Callable[[], int]
) -> AsyncIterator[Client]:
    """Embedded mode on free ports: mda starts (and here stops) its own server."""
    from my_deepagent.embedded.server import EmbeddedServerConfig, stop_server
    from my_deepagent.settings import reset_settings
    from my_deepagent.temporal_config import connect_client

    monkeypatch.setenv("MDA_TEMPORAL_PORT", str(unused_tcp_port_factory()))
    monkeypatch.setenv("MDA_TEMPORAL_UI_PORT", str(unused_tcp_port_factory()))
    reset_settings()
    try:
        yield await connect_client()
    finally:
        stop_server(EmbeddedServerConfig.from_settings())


async def test_embedded_ensure_worker_starts_one_detached_worker_and_stop_ends_it(
    queue: str, embedded_client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = get_settings().paths
    try:
        assert await ensure_worker(embedded_client) == "started"
        first = running_worker(paths)
        assert first is not None
        assert await ensure_worker(embedded_client) == "polling"
        assert read_pid_file(paths) == first
        assert main(["worker", "status"]) == 0
        assert str(first.pid) in capsys.readouterr().out
    finally:
        assert await asyncio.to_thread(main, ["worker", "stop"]) == 0
    assert f"mda worker stopped (pid {first.pid})" in capsys.readouterr().out
    assert running_worker(paths) is None
    assert not paths.run_dir.joinpath("worker.json").exists()
    log = await asyncio.to_thread((paths.log_dir / "worker.log").read_text)
    assert "received SIGTERM" in log
    assert "worker stopped" in log
    assert main(["worker", "status"]) == 3
    assert main(["worker", "stop"]) == 0
    assert "no detached mda worker is running" in capsys.readouterr().out


async def test_the_worker_accepts_mdas_workflows_and_activities(
    mda_home: Path, temporal_client: Client
) -> None:
    """The sandbox checks the workflows' imports when the Worker is built."""
    from my_deepagent.activities.deps import open_deps
    from my_deepagent.worker import STICKY_QUEUE_TIMEOUT

    async with open_deps(get_settings()) as deps:
        worker = build_worker(
            temporal_client, deps, task_queue=f"test-worker-{uuid.uuid4().hex[:8]}"
        )
    assert worker.config()["sticky_queue_schedule_to_start_timeout"] == STICKY_QUEUE_TIMEOUT
    names = {fn.__name__ for fn in worker.config()["activities"]}
    assert names == {
        "update_ledger", "run_phase", "validate_artifact", "prepare_run", "write_report",
        "session_turn", "session_compact", "session_clear", "session_context", "session_switch",
        "session_memory", "session_end", "session_rewind_files", "session_rewind_conversation",
    }  # fmt: skip
    workflows = {defn.__name__ for defn in worker.config()["workflows"]}
    assert workflows == {"RunWorkflow", "SessionWorkflow"}


@pytest.mark.parametrize(
    ("script", "said"), [("exit 3", "exit code 3"), ("kill -9 $$", "signal SIGKILL")]
)
def test_a_detached_process_that_ends_at_once_says_how(
    tmp_path: Path, script: str, said: str
) -> None:
    """What `mda` reports when the worker it started exits before polling."""
    from my_deepagent.embedded import processes

    spawned = processes.spawn_detached(["sh", "-c", script], tmp_path / "log", 1024)
    spawned.process.wait(timeout=30)
    assert not processes.is_running(spawned.process.pid, lambda pid: True)
    assert processes.exit_status(spawned.process.pid) == said
    assert processes.exit_status(1) == "exit status unknown"


def test_a_starting_child_counts_as_running_whatever_its_command_line_says(
    tmp_path: Path,
) -> None:
    """Between fork and exec a child's command line is still its parent's: a detached
    worker checked then must not look as if it had exited at start."""
    from my_deepagent.embedded import processes

    spawned = processes.spawn_detached(["sleep", "30"], tmp_path / "log", 1024)
    try:
        # A recogniser that never recognises it stands for that window.
        assert processes.is_running(spawned.process.pid, lambda pid: False)
        spawned.process.kill()
        spawned.process.wait(timeout=30)
        assert not processes.is_running(spawned.process.pid, lambda pid: True)
        assert processes.exit_status(spawned.process.pid) == "signal SIGKILL"
    finally:
        if spawned.process.poll() is None:
            spawned.process.kill()
