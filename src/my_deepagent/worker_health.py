"""A worker's health, for container health checks and liveness probes.

While it runs, a worker asks the Temporal server's health service every
`CHECK_INTERVAL_S` and, when the server answers, records the time in
`<data dir>/worker-health/<pid>.json`; it removes the file when it stops.
`mda worker health` (run in the same container, or with the same MDA_HOME) is healthy
when a live worker recorded an answer in the last `FRESH_FOR_S`: the process is up,
its event loop is not stuck, and it reaches the server. Files of processes that
no longer exist are removed on the way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.client import Client

    from my_deepagent.settings import Paths

CHECK_INTERVAL_S = 5.0
FRESH_FOR_S = 30.0
HEALTH_FOLDER = "worker-health"

log = logging.getLogger("mda.worker")


@dataclass(frozen=True)
class WorkerHealth:
    pid: int
    identity: str
    checked_at: float
    """When the server last answered (Unix time)."""


def health_dir(paths: Paths) -> Path:
    return paths.data_dir / HEALTH_FOLDER


async def report_health(client: Client, paths: Paths) -> None:
    """Record each answer of the server's health service, until cancelled."""
    path = health_dir(paths) / f"{os.getpid()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    failing = False
    try:
        while True:
            try:
                reached = await client.service_client.check_health(
                    timeout=timedelta(seconds=CHECK_INTERVAL_S)
                )
            except Exception as exc:
                reached = False
                if not failing:
                    log.warning("cannot reach the Temporal server: %s", exc)
            if reached:
                _write(path, WorkerHealth(os.getpid(), worker_identity(), time.time()))
            failing = not reached
            await asyncio.sleep(CHECK_INTERVAL_S)
    finally:
        path.unlink(missing_ok=True)


def healthy_workers(paths: Paths, now: float | None = None) -> list[WorkerHealth]:
    """The live workers of this data folder that reached the server lately."""
    now = time.time() if now is None else now
    found: list[WorkerHealth] = []
    folder = health_dir(paths)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        record = _read(path)
        if record is None or not _alive(record.pid):
            path.unlink(missing_ok=True)
        elif now - record.checked_at <= FRESH_FOR_S:
            found.append(record)
    return found


def _write(path: Path, record: WorkerHealth) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps(record.__dict__), encoding="utf-8")
    partial.replace(path)


def _read(path: Path) -> WorkerHealth | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return WorkerHealth(int(data["pid"]), str(data["identity"]), float(data["checked_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_identity(pid: int | None = None) -> str:
    """A worker's identity on the Temporal server: `<pid>@<host>` (this process's by
    default)."""
    return f"{os.getpid() if pid is None else pid}@{socket.gethostname()}"


__all__ = ["WorkerHealth", "health_dir", "healthy_workers", "report_health", "worker_identity"]
