"""The detached worker of embedded mode: `python -m my_deepagent worker` in its own
session, its output in `<log_dir>/worker.log`, its pid in `<run_dir>/worker.json`.

Commands that start runs start it when no worker polls mda's task queue, so a first
`mda start` needs no second terminal; `mda worker stop` ends it. As for the server
(`processes.py`), a pid counts as our worker only while its command line is
still the worker's, and start and stop hold a file lock.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from my_deepagent.catalogue import msg
from my_deepagent.embedded import processes
from my_deepagent.settings import Paths
from my_deepagent.worker_health import worker_identity

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
        return processes.is_running(self.pid, is_worker)


@dataclass(frozen=True)
class WorkerStop:
    outcome: processes.StopOutcome
    info: WorkerInfo | None


def pid_file(paths: Paths) -> Path:
    return paths.run_dir / "worker.json"


def log_file(paths: Paths) -> Path:
    return paths.log_dir / "worker.log"


def _lock_file(paths: Paths) -> Path:
    return paths.run_dir / "worker.lock"


def is_worker(pid: int) -> bool:
    command = processes.process_command_line(pid)
    return command is not None and COMMAND_MARKER in command


def read_pid_file(paths: Paths) -> WorkerInfo | None:
    return processes.read_pid_file(pid_file(paths), WorkerInfo)


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
    with processes.locked(_lock_file(paths), LOCK_WAIT_S):
        info = running_worker(paths)
        if info is not None:
            return info, False
        target = log_file(paths)
        command = [sys.executable, *WORKER_MODULE_ARGS]
        spawned = processes.spawn_detached(command, target, LOG_ROTATE_BYTES)
        pid = spawned.process.pid
        info = WorkerInfo(
            pid=pid,
            identity=worker_identity(pid),
            log_file=str(target),
            started_at=spawned.started_at.isoformat(),
        )
        _write_pid_file(paths, info)
        return info, True


def stop_worker(paths: Paths) -> WorkerStop:
    """SIGTERM (graceful shutdown), SIGKILL after `STOP_GRACE_S`, drop the pid file."""
    with processes.locked(_lock_file(paths), LOCK_WAIT_S):
        info = read_pid_file(paths)
        outcome = processes.stop_detached(pid_file(paths), info, _terminate)
        return WorkerStop(outcome, info)


def _terminate(info: WorkerInfo) -> None:
    processes.stop_group(info.pid, is_worker, STOP_GRACE_S, msg("operations.what_worker"))


def _write_pid_file(paths: Paths, info: WorkerInfo) -> None:
    processes.write_json_atomic(pid_file(paths), asdict(info))
