"""The embedded Temporal server: lifecycle through `mda server`, durability across a
restart, the port-held error, a server that stops answering, the pid file, and the
namespace setup done at every start.

Lifecycle tests run their own server (own MDA_HOME, free ports); the search attribute
test uses the session server, which the same `server.py` code started. Every wait has
a deadline (`DEADLINE_S`), so a broken server fails its test with a message instead
of running into pytest's timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from my_deepagent.cli.main import main
from my_deepagent.embedded import processes
from my_deepagent.embedded.namespace import prepare_namespace
from my_deepagent.embedded.server import (
    EmbeddedServerConfig,
    ServerInfo,
    read_pid_file,
    running_server,
    start_server,
    stop_server,
    write_pid_file,
)
from my_deepagent.errors import ServerError
from my_deepagent.search_attributes import MDA_KIND, MDA_REPO, MDA_TEMPLATE
from my_deepagent.settings import get_settings, reset_settings

if TYPE_CHECKING:
    from conftest import TemporalTestServer

VENV_BIN = Path(sys.executable).parent
DEADLINE_S = 30.0


@workflow.defn(sandboxed=False)
class WaitForSignal:
    """Waits for one `finish` signal and returns its value."""

    def __init__(self) -> None:
        self.value: str | None = None

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.value is not None)
        assert self.value is not None
        return self.value

    @workflow.signal
    def finish(self, value: str) -> None:
        self.value = value


@pytest.fixture
def server_env(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, unused_tcp_port_factory: Callable[[], int]
) -> Iterator[EmbeddedServerConfig]:
    """MDA_HOME and free ports for a server of this test only; stopped afterwards."""
    monkeypatch.setenv("MDA_TEMPORAL_PORT", str(unused_tcp_port_factory()))
    monkeypatch.setenv("MDA_TEMPORAL_UI_PORT", str(unused_tcp_port_factory()))
    monkeypatch.setenv("MDA_TEMPORAL_START_TIMEOUT_S", "60")
    reset_settings()
    config = EmbeddedServerConfig.from_settings()
    yield config
    stop_server(config)


def _mda(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "mda"), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_start_status_second_start_stop(
    server_env: EmbeddedServerConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    # A pid file naming a live process that is not our server (this test) is stale.
    server_env.paths.run_dir.mkdir(parents=True)
    server_env.pid_file.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "host": "127.0.0.1",
                "port": server_env.port,
                "ui_port": server_env.ui_port,
                "database_file": str(server_env.database_file),
                "log_file": str(server_env.log_file),
                "binary": "temporal",
                "started_at": "2020-01-01T00:00:00+00:00",
            }
        )
    )
    assert main(["server", "status"]) == 3
    assert "no embedded Temporal server is running" in capsys.readouterr().out

    assert main(["server", "start"]) == 0
    assert "Temporal server started at" in capsys.readouterr().out
    first = running_server(server_env)
    assert first is not None and first.pid != os.getpid()

    assert main(["server", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["running"] is True and status["answering"] is True
    assert status["address"] == f"127.0.0.1:{server_env.port}"
    assert status["ui_url"] == f"http://127.0.0.1:{server_env.ui_port}"
    assert status["pid"] == first.pid
    assert status["database"] == str(server_env.database_file)
    assert status["uptime_s"] >= 0

    assert main(["server", "start"]) == 0
    assert "already running" in capsys.readouterr().out
    second = running_server(server_env)
    assert second is not None and second.pid == first.pid
    assert sorted(p.name for p in server_env.paths.run_dir.iterdir()) == [
        "temporal.json",
        "temporal.lock",
    ]

    # A pid file written by a later mda version, with keys this one does not know,
    # still names the running server (not "no server", which would start a second one).
    future = {**asdict(first), "owner": "mda 9", "grpc": {"tls": False}}
    server_env.pid_file.write_text(json.dumps(future))
    assert read_pid_file(server_env) == first
    assert main(["server", "start"]) == 0
    assert "already running" in capsys.readouterr().out

    listed = subprocess.run(
        [str(VENV_BIN / "temporal"), "workflow", "list", "--address", first.address],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr

    assert main(["server", "logs", "-n", "20"]) == 0
    assert "Temporal Server:" in capsys.readouterr().out

    assert main(["server", "stop"]) == 0
    assert f"stopped (pid {first.pid})" in capsys.readouterr().out
    assert not first.is_alive()
    assert read_pid_file(server_env) is None
    assert main(["server", "status"]) == 3
    assert main(["server", "stop"]) == 0
    assert "no embedded Temporal server is running" in capsys.readouterr().out


async def test_data_survives_a_restart(server_env: EmbeddedServerConfig) -> None:
    task_queue = f"restart-{uuid.uuid4()}"
    workflow_id = f"wait-{uuid.uuid4()}"
    first = await start_server(server_env)
    client = await Client.connect(first.info.address)
    async with Worker(client, task_queue=task_queue, workflows=[WaitForSignal]):
        handle = await client.start_workflow(
            WaitForSignal.run, id=workflow_id, task_queue=task_queue
        )
        await _wait_for_history_length(handle, at_least=3)  # the first workflow task completed

    stop_server(server_env)
    assert not first.info.is_alive()
    second = await start_server(server_env)
    assert not second.already_running and second.info.pid != first.info.pid

    client = await Client.connect(second.info.address)
    handle = client.get_workflow_handle(workflow_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    async with Worker(client, task_queue=task_queue, workflows=[WaitForSignal]):
        await handle.signal(WaitForSignal.finish, "done")
        assert await handle.result() == "done"


async def _wait_for_history_length(handle: WorkflowHandle[Any, Any], at_least: int) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        described = await handle.describe()
        length = described.raw_description.workflow_execution_info.history_length
        if length >= at_least:
            return
        assert time.monotonic() < deadline, (
            f"workflow {handle.id} has {length} history events after {DEADLINE_S:g} s, "
            f"expected {at_least}: did the worker run its first workflow task?"
        )
        await asyncio.sleep(0.05)


def test_port_held_by_another_program(
    server_env: EmbeddedServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", server_env.port))
        listener.listen()
        result = _mda("server", "start")
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"mda: error: port {server_env.port} on 127.0.0.1 is held by another program; "
            "set MDA_TEMPORAL_PORT to a free port or stop that program\n"
        )
        assert read_pid_file(server_env) is None

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", server_env.ui_port))
        listener.listen()
        assert main(["server", "start"]) == 2
        assert read_pid_file(server_env) is None


async def test_a_child_that_exits_is_reported_from_its_log(
    server_env: EmbeddedServerConfig,
) -> None:
    server_env.database_file.mkdir(parents=True)  # the server cannot open a directory
    with pytest.raises(ServerError, match=r"exited with code 1 \(.*unable to open database") as e:
        await start_server(server_env)
    assert e.value.exit_code == 1  # a runtime failure, not bad input
    assert read_pid_file(server_env) is None


def test_a_server_that_stops_answering(
    server_env: EmbeddedServerConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGSTOP keeps the process (and its connections) but no call gets an answer."""
    info = asyncio.run(start_server(server_env)).info
    _stop(info.pid)
    try:
        assert main(["server", "status", "--json"]) == 4
        document = json.loads(capsys.readouterr().out)
        assert (document["running"], document["answering"]) == (True, False)

        with pytest.raises(ServerError, match="does not answer") as not_answering:
            asyncio.run(start_server(replace(server_env, start_timeout_s=1.0)))
        assert not_answering.value.exit_code == 1

        with pytest.raises(TimeoutError, match="no answer within 1 s"):
            asyncio.run(_prepare_after_the_server_hangs(info))
    finally:
        processes.signal_group(info.pid, signal.SIGCONT)
    assert main(["server", "status"]) == 0


async def _prepare_after_the_server_hangs(info: ServerInfo) -> None:
    processes.signal_group(info.pid, signal.SIGCONT)
    client = await Client.connect(info.address)
    _stop(info.pid)
    await prepare_namespace(client, "default", retention_days=30, timeout_s=1.0)


def _stop(pid: int) -> None:
    """SIGSTOP the server, and wait until every thread of it has stopped: a thread busy on
    the other core could otherwise still answer the next call."""
    processes.signal_group(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                continue
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"the server ({pid}) did not stop within 10 s")


def test_liveness_checks_never_reap_another_child(
    server_env: EmbeddedServerConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    """A long-lived mda process has other children; a reused pid must keep its exit status."""
    other = subprocess.Popen(["sh", "-c", "exit 7"])
    os.waitid(os.P_PID, other.pid, os.WEXITED | os.WNOWAIT)  # exited, still unreaped
    server_env.paths.run_dir.mkdir(parents=True)
    write_pid_file(
        server_env,
        ServerInfo(
            pid=other.pid,
            host="127.0.0.1",
            port=server_env.port,
            ui_port=server_env.ui_port,
            database_file=str(server_env.database_file),
            log_file=str(server_env.log_file),
            binary="temporal",
            started_at="2020-01-01T00:00:00+00:00",
        ),
    )
    assert running_server(server_env) is None
    assert main(["server", "status"]) == 3
    assert main(["server", "stop"]) == 0
    assert "stale pid file" in capsys.readouterr().out
    assert other.wait(timeout=DEADLINE_S) == 7


async def test_concurrent_starts_share_one_server(server_env: EmbeddedServerConfig) -> None:
    results = await asyncio.gather(start_server(server_env), start_server(server_env))
    assert sorted(r.already_running for r in results) == [False, True]
    assert results[0].info == results[1].info


async def test_start_prepares_the_namespace(
    temporal_server: TemporalTestServer, temporal_client: Client
) -> None:
    listed = await temporal_client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=temporal_server.namespace)
    )
    for key in (MDA_REPO, MDA_TEMPLATE, MDA_KIND):
        assert listed.custom_attributes[key.name] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    described = await temporal_client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=temporal_server.namespace)
    )
    retention = described.config.workflow_execution_retention_ttl.ToTimedelta()
    assert retention == timedelta(days=temporal_server.config.retention_days)

    repo = f"/repos/{uuid.uuid4()}"
    handle = await temporal_client.start_workflow(
        WaitForSignal.run,
        id=f"sa-{uuid.uuid4()}",
        task_queue=f"no-worker-{uuid.uuid4()}",
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(MDA_REPO, repo),
                SearchAttributePair(MDA_TEMPLATE, "feature"),
                SearchAttributePair(MDA_KIND, "run"),
            ]
        ),
    )
    query = f"MdaRepo = '{repo}' AND MdaTemplate = 'feature' AND MdaKind = 'run'"
    try:
        deadline = time.monotonic() + DEADLINE_S
        found: list[str] = []
        while not found:  # visibility is eventually consistent
            assert time.monotonic() < deadline, f"no workflow matched {query!r} in {DEADLINE_S:g} s"
            found = [w.id async for w in temporal_client.list_workflows(query)]
            await asyncio.sleep(0.05)
        assert found == [handle.id]
    finally:
        await handle.terminate()


async def test_start_refuses_when_a_server_is_configured(
    server_env: EmbeddedServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    reset_settings()
    assert get_settings().temporal_port == server_env.port
    result = _mda("server", "start")
    assert result.returncode == 2
    assert result.stderr.startswith("mda: error: Temporal is configured at 127.0.0.1:1")
    assert result.stderr.count("\n") == 1
    assert read_pid_file(server_env) is None


def test_logs_follow_prints_new_lines_until_interrupted(server_env: EmbeddedServerConfig) -> None:
    server_env.log_file.parent.mkdir(parents=True)
    server_env.log_file.write_text("first\nsecond\nthird\n")
    follower = subprocess.Popen(
        [str(VENV_BIN / "mda"), "server", "logs", "-n", "2", "--follow"],
        stdout=subprocess.PIPE,
        text=True,
        # A person's terminal delivers Ctrl-C; a CI job started in the background of a
        # non-interactive shell inherits SIGINT ignored, which Python would keep.
        preexec_fn=_default_sigint,
    )
    try:
        assert follower.stdout is not None
        lines = _lines_of(follower.stdout)
        assert _next_line(lines) == "second\n"
        assert _next_line(lines) == "third\n"
        with server_env.log_file.open("a") as log:
            log.write("fourth\n")
        assert _next_line(lines) == "fourth\n"
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=DEADLINE_S) == 0
    finally:
        follower.kill()
        follower.wait()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _lines_of(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines, read by a thread so that waiting for one can have a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _next_line(lines: queue.Queue[str]) -> str:
    try:
        return lines.get(timeout=DEADLINE_S)
    except queue.Empty:
        pytest.fail(f"`mda server logs --follow` printed no line within {DEADLINE_S:g} s")
