"""Alembic environment for mda's tables.

`ensure_schema()` hands in its own connection (already inside the locked
transaction), so the migrations join that transaction. With no connection (alembic's
command line, `alembic_config(url=...)`) it opens one from `sqlalchemy.url`.
`render_as_batch` lets later migrations alter SQLite tables (copy-and-move).
On PostgreSQL the same database holds LangGraph's checkpoint tables, which LangGraph
migrates itself: autogenerate leaves every table that is not mda's alone.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from my_deepagent.store.tables import Base, is_own_table


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=is_own_table,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url for the migrations")
    asyncio.run(_run_from_url(url))


_main()
