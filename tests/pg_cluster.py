"""A throwaway PostgreSQL cluster on loopback, for the tests and the benchmarks.

`start_cluster` runs initdb and pg_ctl from Debian's server packages (trust auth,
loopback only, fsync off: nothing here must survive a crash) on the port given; under
root the cluster runs as the `postgres` system user, since initdb refuses root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ClusterUnavailable(Exception):
    """No cluster can be started here; the message says why."""


@dataclass(frozen=True)
class Cluster:
    root: Path
    port: int
    bin_dir: Path
    user: str | None

    @property
    def url(self) -> str:
        """`postgresql+asyncpg://mda@127.0.0.1:<port>` (append `/<database>`)."""
        return f"postgresql+asyncpg://mda@127.0.0.1:{self.port}"


def postgres_bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def start_cluster(port: int) -> Cluster:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ClusterUnavailable(
            "PostgreSQL server binaries are not installed (Debian: postgresql-15)"
        )
    user = _cluster_user()
    root = Path(tempfile.mkdtemp(prefix="mda-pg-"))
    if user is not None:
        shutil.chown(root, user)
    cluster = Cluster(root=root, port=port, bin_dir=bin_dir, user=user)
    data = root / "data"
    _run(cluster, "initdb", "-D", data, "-U", "mda", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run(cluster, "pg_ctl", "-D", data, "-o", options, "-l", root / "log", "-w", "start")
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    _run(cluster, "pg_ctl", "-D", cluster.root / "data", "-m", "immediate", "stop")
    shutil.rmtree(cluster.root, ignore_errors=True)


def execute(server_url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) on the server at
    `server_url` (a cluster's `url`), connected to its `postgres` database."""
    import psycopg

    from my_deepagent.store.checkpoints import libpq_dsn

    dsn = libpq_dsn(f"{server_url}/postgres")
    assert dsn is not None
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement.encode())


def _run(cluster: Cluster, program: str, *args: Any) -> None:
    subprocess.run(
        [cluster.bin_dir / program, *args], check=True, capture_output=True, user=cluster.user
    )


def _cluster_user() -> str | None:
    """The user to run the cluster as: ourselves, or `postgres` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterUnavailable(
            "running as root and there is no `postgres` user to run initdb as"
        ) from None
    return "postgres"
