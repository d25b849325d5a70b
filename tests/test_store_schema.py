"""The store's schema: migrations apply once, race safely, and match the tables."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from my_deepagent.errors import ConfigError
from my_deepagent.settings import get_settings
from my_deepagent.store.database import Database, connect, database_url, ensure_schema
from my_deepagent.store.tables import Base, is_own_table

LEDGER_TABLES = {
    "runs",
    "phases",
    "artifacts",
    "run_events",
    "approvals",
    "llm_calls",
    "reports",
    "sessions",
    "messages",
    "message_bodies",
}


async def _revision(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.scalars(text("SELECT version_num FROM alembic_version"))).all())


async def _tables(db: Database) -> set[str]:
    from sqlalchemy import inspect

    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_migrations_apply_on_a_fresh_database_and_again_as_a_no_op(
    empty_store_url: str,
) -> None:
    db = connect(empty_store_url)
    try:
        assert "runs" not in await _tables(db)
        await ensure_schema(db)
        assert await _tables(db) >= LEDGER_TABLES
        assert await _revision(db) == ["0007"]
        await ensure_schema(db)
        assert await _revision(db) == ["0007"]
    finally:
        await db.close()


async def _migrate_to(db: Database, command_name: str, revision: str) -> None:
    from alembic import command

    from my_deepagent.store.database import alembic_config

    def run(connection: Connection) -> None:
        getattr(command, command_name)(alembic_config(connection), revision)

    async with db.engine.connect() as conn, conn.begin():
        await conn.run_sync(run)


async def test_0003_keeps_existing_llm_calls_and_their_run_cascade(empty_store_url: str) -> None:
    """SQLite rebuilds llm_calls to add the session foreign key: rows and run FK survive."""
    db = connect(empty_store_url)
    try:
        await _migrate_to(db, "upgrade", "0002")
        async with db.write() as session:
            for run_id in ("r1", "r2"):
                await session.execute(
                    text(
                        "INSERT INTO runs (id, repo_path, base_branch, template_ref, state,"
                        " requirements, bindings, created_at, updated_at) VALUES (:id, '/r',"
                        " :id, 't@1', 'completed', '', '{}', CURRENT_TIMESTAMP,"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"id": run_id},
                )
                await session.execute(
                    text(
                        "INSERT INTO llm_calls (call_key, run_id, thread_id, model, input_tokens,"
                        " output_tokens, cached_tokens, created_at) VALUES (:key, :id, 't', 'm',"
                        " 5, 6, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"key": run_id, "id": run_id},
                )
        await ensure_schema(db)
        assert await _revision(db) == ["0007"]
        async with db.write() as session:
            await session.execute(text("DELETE FROM runs WHERE id = 'r1'"))
        async with db.read() as session:
            rows = (await session.execute(text("SELECT call_key, session_id FROM llm_calls"))).all()
        assert [tuple(row) for row in rows] == [("r2", None)]

        await _migrate_to(db, "downgrade", "0002")
        assert "sessions" not in await _tables(db)
        await ensure_schema(db)
        assert await _revision(db) == ["0007"]
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_compare) == []
    finally:
        await db.close()


def _compare(connection: Connection) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": is_own_table}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_compare) == []


async def test_active_run_index_is_partial_on_the_active_states(db: Database) -> None:
    """compare_metadata does not look at index predicates: check the WHERE here."""
    if db.dialect == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE name = 'uq_runs_active_repo_branch'"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_runs_active_repo_branch'"
    async with db.read() as session:
        definition = str(await session.scalar(text(query)))
    assert "UNIQUE" in definition.upper()
    for state in ("pending", "running", "awaiting_approval"):
        assert f"'{state}'" in definition
    assert "'completed'" not in definition


def test_concurrent_processes_both_migrate_a_fresh_database(empty_store_url: str) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from my_deepagent.store.database import open_database

        async def main() -> None:
            async with open_database(url=sys.argv[1], migrate=True):
                pass

        asyncio.run(main())
        """
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_store_url], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    assert [code for code, _ in results] == [0, 0, 0, 0], results

    async def check() -> list[str]:
        db = connect(empty_store_url)
        try:
            return await _revision(db)
        finally:
            await db.close()

    import asyncio

    assert asyncio.run(check()) == ["0007"]


@pytest.mark.embedded_database
async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(mda_home: Path) -> None:
    db = connect(database_url(get_settings()))
    try:
        async with db.read() as session:
            assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await session.scalar(text("PRAGMA foreign_keys")) == 1
            assert await session.scalar(text("PRAGMA busy_timeout")) == 30_000
    finally:
        await db.close()
    assert get_settings().paths.database_file.exists()


@pytest.mark.embedded_database
def test_database_url_defaults_to_the_sqlite_file(mda_home: Path) -> None:
    url = database_url(get_settings())
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == str(get_settings().paths.database_file)


def test_database_url_takes_postgresql_from_the_environment(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from my_deepagent.settings import reset_settings

    monkeypatch.setenv("MDA_DATABASE_URL", "postgresql://mda:secret@db.example/mda")
    reset_settings()
    url = database_url(get_settings())
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.database, url.password) == ("db.example", "mda", "secret")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("not a url", "is not a database URL"), ("mysql://u:pw@h/db", "is not supported")],
)
def test_database_url_refuses_other_databases_in_one_line(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    from my_deepagent.settings import reset_settings

    monkeypatch.setenv("MDA_DATABASE_URL", value)
    reset_settings()
    with pytest.raises(ConfigError, match=fragment) as caught:
        database_url(get_settings())
    assert "\n" not in caught.value.message
    assert "pw" not in caught.value.message


def test_importing_the_store_package_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, my_deepagent.store, my_deepagent.store.records; "
        "print(any(m.split('.')[0] in ('sqlalchemy', 'alembic') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
