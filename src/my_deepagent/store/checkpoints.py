"""The LangGraph checkpointer agent threads live in, so a retried activity resumes them.

SQLite (embedded mode) keeps checkpoints in their own file, `checkpoints.db` beside
`mda.db`: an agent step writes a checkpoint every few seconds, and on the ledger's file
those writes would queue behind (and hold up) the CLI's and the API's transactions.
With `MDA_DATABASE_URL` naming a SQLite file, the checkpoints sit beside that file.
The connection gets WAL and a busy timeout like the ledger's, because the worker and
a `mda` command reading a thread may open the file at once.

PostgreSQL (`MDA_DATABASE_URL=postgresql+...`) uses `AsyncPostgresSaver` on a
connection pool, in the same database as the ledger; psycopg takes a plain libpq DSN,
so the SQLAlchemy driver suffix is dropped. Its `setup()` migrations are not safe to
run from two workers at once, so they run under an advisory lock.

Durability is chosen per invocation (`ainvoke(..., durability=...)`), not here: see
`activities/phase.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from my_deepagent.store.database import SQLITE_BUSY_TIMEOUT_MS

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from my_deepagent.settings import Settings

CHECKPOINTS_FILE = "checkpoints.db"
POOL_MAX_SIZE = 10
_SETUP_LOCK_KEY = 0x6D64615F636B70  # "mda_ckp"


def checkpoints_file(settings: Settings) -> str:
    """`checkpoints.db` beside mda's SQLite file: in the data folder, or beside the file
    `MDA_DATABASE_URL` names, so workers sharing that file share the threads too."""
    if settings.database_url is not None:
        database = make_url(settings.database_url).database
        if database:
            return str(Path(database).expanduser().resolve().parent / CHECKPOINTS_FILE)
    return str(settings.paths.data_dir / CHECKPOINTS_FILE)


def libpq_dsn(database_url: str) -> str | None:
    """`postgresql://...` for a PostgreSQL `database_url` (any driver suffix), else None."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """The checkpointer for `settings`, its tables created, closed on exit."""
    dsn = libpq_dsn(settings.database_url) if settings.database_url else None
    if dsn is None:
        async with _sqlite_saver(settings) as saver:
            yield saver
    else:
        async with _postgres_saver(dsn) as pg_saver:
            yield pg_saver


@asynccontextmanager
async def _sqlite_saver(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[str]]:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(checkpoints_file(settings))
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        yield saver


@asynccontextmanager
async def _postgres_saver(dsn: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg import AsyncConnection
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import AsyncConnectionPool

    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
        dsn,
        max_size=POOL_MAX_SIZE,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open(wait=True)
    try:
        saver = AsyncPostgresSaver(pool)
        async with pool.connection() as lock_conn:
            await lock_conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK_KEY,))
            try:
                await saver.setup()
            finally:
                await lock_conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))
        yield saver
    finally:
        await pool.close()
