"""Fixtures for the store tests: every test runs on SQLite and, when the PostgreSQL
server binaries are installed, on a throwaway PostgreSQL cluster too.

The cluster (initdb + pg_ctl, trust auth, loopback, a free port, fsync off) is
started once per session; each test gets a fresh database in it. initdb refuses to
run as root, so under root the cluster runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from suite_database import SUITE_DATABASE

if TYPE_CHECKING:
    from my_deepagent.store.database import Database

BACKENDS = [SUITE_DATABASE] if SUITE_DATABASE else ["sqlite", "postgresql"]


def postgres_bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _cluster_user() -> str | None:
    """The user to run the cluster as: ourselves, or `postgres` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to run initdb as")
    return "postgres"


@pytest.fixture(scope="session")
def postgres_server(unused_tcp_port_factory: Callable[[], int]) -> Iterator[str]:
    """`postgresql+asyncpg://mda@127.0.0.1:<port>`, a throwaway cluster for the session."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian: postgresql-15)")
    user = _cluster_user()
    root = Path(tempfile.mkdtemp(prefix="mda-pg-"))
    if user is not None:
        shutil.chown(root, user)
    data, port = root / "data", unused_tcp_port_factory()
    run: dict[str, Any] = {"check": True, "capture_output": True, "user": user}
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "mda", "--auth=trust", "-E", "UTF8", "--no-sync"],
        **run,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", root / "log", "-w", "start"], **run
    )
    try:
        yield f"postgresql+asyncpg://mda@127.0.0.1:{port}"
    finally:
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], **run)
        shutil.rmtree(root, ignore_errors=True)


_database_count = 0


def new_postgres_database(server_url: str, template: str | None = None) -> str:
    """A new database on the cluster (a copy of `template` when given): its name."""
    global _database_count
    _database_count += 1
    name = f"mda_test_{os.getpid()}_{_database_count}"
    create = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    _admin(server_url, create)
    return name


def drop_postgres_database(server_url: str, name: str) -> None:
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server_url: str, statement: str) -> None:
    import psycopg

    from my_deepagent.store.checkpoints import libpq_dsn

    dsn = libpq_dsn(f"{server_url}/postgres")
    assert dsn is not None
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement.encode())


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once per session by `mda db upgrade` (mda's tables and the
    agent checkpoint tables), copied for each test: a copy costs less than migrating."""
    name = new_postgres_database(postgres_server)
    home = tmp_path_factory.mktemp("postgres-template-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDA_", "TEMPORAL_"))}
    env.update(MDA_HOME=str(home), MDA_DATABASE_URL=f"{postgres_server}/{name}")
    subprocess.run(
        [sys.executable, "-m", "my_deepagent", "db", "upgrade"], env=env, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    return name


@pytest.fixture
def postgres_database(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """A URL for a migrated PostgreSQL database of this test's own, dropped after it."""
    name = new_postgres_database(postgres_server, template=postgres_template)
    yield f"{postgres_server}/{name}"
    drop_postgres_database(postgres_server, name)


async def _migrate(url: str) -> None:
    from my_deepagent.store.database import open_database

    async with open_database(url=url, migrate=True):
        pass


@pytest.fixture(params=BACKENDS)
async def empty_store_url(request: pytest.FixtureRequest, mda_home: Path) -> str:
    """A URL for an empty database: the default SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        from my_deepagent.settings import get_settings
        from my_deepagent.store.database import database_url

        return database_url(get_settings()).render_as_string(hide_password=False)
    server: str = request.getfixturevalue("postgres_server")
    name = new_postgres_database(server)
    request.addfinalizer(lambda: drop_postgres_database(server, name))
    return f"{server}/{name}"


_sqlite_template: list[str] = []


@pytest.fixture(params=BACKENDS)
async def store_url(
    request: pytest.FixtureRequest, mda_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A URL for a migrated database, on each backend.

    SQLite: a copy of a file migrated once per session; PostgreSQL: `postgres_database`.
    The migrations themselves are tested on empty databases (`empty_store_url`).
    """
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database")
        return url
    from my_deepagent.settings import get_settings

    if not _sqlite_template:
        template = tmp_path_factory.mktemp("store-template") / "mda.db"
        await _migrate(f"sqlite+aiosqlite:///{template}")
        _sqlite_template.append(str(template))
    target = get_settings().paths.database_file
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template[0], target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    """An open, migrated database on each backend."""
    from my_deepagent.store.database import open_database

    async with open_database(url=store_url) as database:
        yield database
