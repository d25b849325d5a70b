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
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from my_deepagent.store.database import Database

BACKENDS = ["sqlite", "postgresql"]


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


async def new_postgres_database(server_url: str, template: str | None = None) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    global _database_count
    _database_count += 1
    name = f"mda_test_{os.getpid()}_{_database_count}"
    create = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    engine = create_async_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(create))
    finally:
        await engine.dispose()
    return name


async def _migrate(url: str) -> None:
    from my_deepagent.store.database import open_database

    async with open_database(url=url):
        pass


@pytest.fixture(params=BACKENDS)
async def empty_store_url(request: pytest.FixtureRequest, mda_home: Path) -> str:
    """A URL for an empty database: the default SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        from my_deepagent.settings import get_settings
        from my_deepagent.store.database import database_url

        return database_url(get_settings()).render_as_string(hide_password=False)
    server: str = request.getfixturevalue("postgres_server")
    return f"{server}/{await new_postgres_database(server)}"


@pytest.fixture(scope="session")
def migrated_templates() -> dict[str, str]:
    """Per backend, a database migrated once per session (filled on first use).

    Each test gets a copy: migrating a fresh database costs about 0.1 s, more than a
    copy. The migrations themselves are tested on empty databases (`empty_store_url`).
    """
    return {}


@pytest.fixture(params=BACKENDS)
async def store_url(
    request: pytest.FixtureRequest,
    mda_home: Path,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_templates: dict[str, str],
) -> str:
    """A URL for a migrated database, on each backend."""
    if request.param == "sqlite":
        from my_deepagent.settings import get_settings

        if "sqlite" not in migrated_templates:
            template = tmp_path_factory.mktemp("store-template") / "mda.db"
            await _migrate(f"sqlite+aiosqlite:///{template}")
            migrated_templates["sqlite"] = str(template)
        target = get_settings().paths.database_file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_templates["sqlite"], target)
        return f"sqlite+aiosqlite:///{target}"
    server: str = request.getfixturevalue("postgres_server")
    if "postgresql" not in migrated_templates:
        name = await new_postgres_database(server)
        await _migrate(f"{server}/{name}")
        migrated_templates["postgresql"] = name
    template_name = migrated_templates["postgresql"]
    return f"{server}/{await new_postgres_database(server, template=template_name)}"


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    """An open, migrated database on each backend."""
    from my_deepagent.store.database import open_database

    async with open_database(url=store_url) as database:
        yield database
