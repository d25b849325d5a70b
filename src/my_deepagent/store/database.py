"""Opening mda's database: SQLite by default, PostgreSQL with `MDA_DATABASE_URL`.

SQLite (embedded mode) is shared by the CLI, the worker and the API, each its own
process, so every connection sets WAL (readers never block the writer), a 30 s
busy_timeout (a writer waits instead of failing) and foreign keys ON. The sqlite3
driver's legacy transaction handling is switched off and SQLAlchemy emits the BEGIN
itself: `BEGIN IMMEDIATE` for writes, so two writers queue on the file lock up front
rather than one failing with SQLITE_BUSY when it upgrades a read lock; `BEGIN` for
reads. DDL is then transactional too, which is what makes `ensure_schema` safe to
call from two processes at once (on PostgreSQL an advisory lock does the same).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from my_deepagent.catalogue import msg
from my_deepagent.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

    from my_deepagent.settings import Settings
    from my_deepagent.store.tables import Base

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "mda_sqlite_begin"
_MIGRATION_LOCK_KEY = 0x6D64615F6C6467  # "mda_ldg": one advisory lock for migrations
T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    """An engine and its two session factories: `write()` and `read()` transactions."""

    engine: AsyncEngine
    _writer: async_sessionmaker[AsyncSession]
    _reader: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, committed on exit, rolled back on an exception."""
        async with self._writer.begin() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader.begin() as session:
            yield session

    def insert(self, entity: type[Base]) -> SqliteInsert | PgInsert:
        """`INSERT` with this dialect's `on_conflict_do_nothing` / `on_conflict_do_update`."""
        if self.dialect == "postgresql":
            return postgresql.insert(entity)
        return sqlite.insert(entity)

    async def close(self) -> None:
        await self.engine.dispose()


def database_url(settings: Settings) -> URL:
    """`MDA_DATABASE_URL`, or the SQLite file in the data dir (created if missing)."""
    if settings.database_url is None:
        db_file = settings.paths.database_file
        db_file.parent.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite+aiosqlite", database=str(db_file))
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        raise ConfigError(msg("operations.database_url_invalid")) from None
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return url.set(drivername="sqlite+aiosqlite")
    shown = repr(url.render_as_string(hide_password=True))
    raise ConfigError(msg("operations.database_url_unsupported", url=shown))


def connect(url: URL | str) -> Database:
    """A `Database` on `url`, without touching the schema (see `open_database`)."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    reader_engine = engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
    return Database(
        engine=engine,
        _writer=async_sessionmaker(engine, expire_on_commit=False),
        _reader=async_sessionmaker(reader_engine, expire_on_commit=False),
    )


@asynccontextmanager
async def open_database(
    settings: Settings | None = None, *, url: URL | str | None = None, migrate: bool | None = None
) -> AsyncIterator[Database]:
    """The database from `settings` (or `url`), its schema at head, disposed on exit.

    `migrate=None` migrates only the embedded SQLite file (nothing configured: it just
    works). A configured database (`MDA_DATABASE_URL`, or an explicit `url`) is shared
    by many processes and versions, so it is migrated on purpose, by `mda db upgrade`:
    here a schema behind this mda's is one line naming that command. An unreachable
    database is one line too.
    """
    if url is None:
        from my_deepagent.settings import get_settings

        settings = settings or get_settings()
        url = database_url(settings)
        if migrate is None:
            migrate = settings.database_url is None
    db = connect(url)
    try:
        state = await reach(db, schema_state(db))
        if state.pending:
            if not migrate:
                raise ConfigError(state.upgrade_hint(describe(db)), exit_code=1)
            await ensure_schema(db)
        yield db
    finally:
        await db.close()


def describe(db: Database) -> str:
    """The database's URL with its password hidden, for messages."""
    return db.engine.url.render_as_string(hide_password=True)


async def reach(db: Database, work: Awaitable[T]) -> T:
    """`await work` (a first contact), or one line naming the database when it is down."""
    from sqlalchemy.exc import DBAPIError

    try:
        return await work
    except (OSError, DBAPIError) as exc:
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = lines[0] if lines else msg("cli.no_message")
        raise ConfigError(
            msg("operations.database_unreachable", where=describe(db), problem=first),
            exit_code=1,
        ) from None


async def ensure_schema(db: Database) -> None:
    """Apply pending alembic migrations; safe to call from concurrent processes.

    Runs inside one write transaction: on SQLite `BEGIN IMMEDIATE` holds the file's
    write lock, on PostgreSQL a transaction-scoped advisory lock; the second caller
    waits, then finds the schema at head and does nothing.
    """
    async with db.engine.connect() as conn, conn.begin():
        if db.dialect == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        await conn.run_sync(_upgrade_to_head)


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this mda's migrations."""

    current: str | None
    """The applied revision (None: an empty database)."""
    head: str
    pending: tuple[str, ...]
    """Revisions `ensure_schema` would apply, oldest first."""

    def upgrade_hint(self, where: str) -> str:
        count = len(self.pending)
        if not self.current:
            return msg("operations.database_empty", where=where, head=self.head, count=count)
        return msg(
            "operations.database_behind",
            where=where,
            current=self.current,
            head=self.head,
            count=count,
        )


async def schema_state(db: Database) -> SchemaState:
    """The database's revision and what is pending, without changing anything."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    async with db.engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise ConfigError(
            msg("operations.database_too_new", where=describe(db), current=current),
            exit_code=1,
        )
    pending = [r.revision for r in script.iterate_revisions(head, current)]
    return SchemaState(current=current, head=head, pending=tuple(reversed(pending)))


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Any:
    """An alembic `Config` for the packaged migrations (no alembic.ini needed).

    For a new migration: `command.revision(alembic_config(url=...), "message",
    rev_id="0002", autogenerate=True)` against a database at the previous head;
    `command.check(alembic_config(url=...))` says whether tables and head agree.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    return config


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see `_on_begin`)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")
