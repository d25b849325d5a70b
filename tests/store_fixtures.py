"""Fixtures for the store tests: every test runs on SQLite and, when the PostgreSQL
server binaries are installed, on a throwaway PostgreSQL cluster too (`pg_cluster`),
started once per session; each test gets a fresh database in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pg_cluster import ClusterUnavailable, execute, start_cluster, stop_cluster
from suite_database import SUITE_DATABASE

if TYPE_CHECKING:
    from my_deepagent.store.database import Database

BACKENDS = [SUITE_DATABASE] if SUITE_DATABASE else ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server(unused_tcp_port_factory: Callable[[], int]) -> Iterator[str]:
    """`postgresql+asyncpg://mda@127.0.0.1:<port>`, a throwaway cluster for the session."""
    try:
        cluster = start_cluster(unused_tcp_port_factory())
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield cluster.url
    finally:
        stop_cluster(cluster)


_database_count = 0


def new_postgres_database(server_url: str, template: str | None = None) -> str:
    """A new database on the cluster (a copy of `template` when given): its name."""
    global _database_count
    _database_count += 1
    name = f"mda_test_{os.getpid()}_{_database_count}"
    create = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    execute(server_url, create)
    return name


def drop_postgres_database(server_url: str, name: str) -> None:
    execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
