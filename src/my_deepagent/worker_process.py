"""The detached worker of embedded mode: `python -m my_deepagent worker` in its own
session, its output in `<log_dir>/worker.log`, its pid in `<run_dir>/worker.json`.

Commands that start runs start it when no worker polls mda's task queue, so a first
`mda start` needs no second terminal; `mda worker stop` ends it. As for the server
(`server_process.py`), a pid counts as our worker only while its command line is
still the worker's, and start and stop hold a file lock.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from my_deepagent import server_process
from my_deepagent.settings import Paths

WORKER_MODULE_ARGS = ("-m", "my_deepagent", "worker")
COMMAND_MARKER = "my_deepagent worker"
STOP_GRACE_S = 20.0
"""Longer than the worker's graceful shutdown (10 s): SIGKILL is the last resort."""
LOCK_WAIT_S = 2 * STOP_GRACE_S + 5.0
LOG_ROTATE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class WorkerInfo:
    """The content of the pid file."""

    pid: int
    identity: str
    log_file: str
    started_at: str

    def is_alive(self) -> bool:
        return server_process.is_running(self.pid, is_worker)


@dataclass(frozen=True)
class WorkerStop:
    outcome: Literal["stopped", "not_running", "stale"]
    info: WorkerInfo | None


def pid_file(paths: Paths) -> Path:
    return paths.run_dir / "worker.json"


def log_file(paths: Paths) -> Path:
    return paths.log_dir / "worker.log"


def _lock_file(paths: Paths) -> Path:
    return paths.run_dir / "worker.lock"


def is_worker(pid: int) -> bool:
    command = server_process.process_command_line(pid)
    return command is not None and COMMAND_MARKER in command


def read_pid_file(paths: Paths) -> WorkerInfo | None:
    try:
        document: Any = json.loads(pid_file(paths).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("pid"), int):
        return None
    known = {field.name for field in fields(WorkerInfo)}
    try:
        return WorkerInfo(**{k: v for k, v in document.items() if k in known})
    except TypeError:
        return None


def running_worker(paths: Paths) -> WorkerInfo | None:
    info = read_pid_file(paths)
    return info if info is not None and info.is_alive() else None


def start_worker(paths: Paths) -> tuple[WorkerInfo, bool]:
    """The detached worker, spawned unless it runs; True when this call spawned it.

    It inherits the environment, so it talks to the same server and database and polls
    the same task queue (`MDA_TASK_QUEUE`).
    """
    for folder in (paths.log_dir, paths.run_dir):
        folder.mkdir(parents=True, exist_ok=True)
    with server_process.locked(_lock_file(paths), LOCK_WAIT_S):
        info = running_worker(paths)
        if info is not None:
            return info, False
        target = log_file(paths)
        server_process.rotate(target, LOG_ROTATE_BYTES)
        command = [sys.executable, *WORKER_MODULE_ARGS]
        started_at = datetime.now(UTC).isoformat()
        with target.open("ab") as log:
            log.write(f"--- mda {started_at}: {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server_process.remember_child(process)
        info = WorkerInfo(
            pid=process.pid,
            identity=f"{process.pid}@{socket.gethostname()}",
            log_file=str(target),
            started_at=started_at,
        )
        _write_pid_file(paths, info)
        return info, True


def stop_worker(paths: Paths) -> WorkerStop:
    """SIGTERM (graceful shutdown), SIGKILL after `STOP_GRACE_S`, drop the pid file."""
    with server_process.locked(_lock_file(paths), LOCK_WAIT_S):
        info = read_pid_file(paths)
        if info is None:
            return WorkerStop("not_running", None)
        if not info.is_alive():
            pid_file(paths).unlink(missing_ok=True)
            return WorkerStop("stale", info)
        server_process.stop_group(info.pid, is_worker, STOP_GRACE_S, "the mda worker")
        pid_file(paths).unlink(missing_ok=True)
        return WorkerStop("stopped", info)


def _write_pid_file(paths: Paths, info: WorkerInfo) -> None:
    server_process.write_json_atomic(pid_file(paths), asdict(info))
