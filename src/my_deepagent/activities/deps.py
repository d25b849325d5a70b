"""What every activity of a worker shares: settings, the catalog, the database.

Opened once when the worker starts and closed when it stops, so an activity never
pays for a connection or a catalog load. The LangGraph checkpointer lives here too
(`checkpointer`), opened by `store.checkpoints`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from my_deepagent.settings import Settings, get_settings

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from my_deepagent.domain.catalog import Catalog
    from my_deepagent.store.database import Database


@dataclass(frozen=True)
class ActivityDeps:
    settings: Settings
    catalog: Catalog
    db: Database
    checkpointer: BaseCheckpointSaver[str]


@asynccontextmanager
async def open_deps(settings: Settings | None = None) -> AsyncIterator[ActivityDeps]:
    """Open the database (migrated), the checkpointer and the catalog for one worker."""
    from my_deepagent.domain.catalog import load_catalog
    from my_deepagent.store.checkpoints import open_checkpointer
    from my_deepagent.store.database import open_database

    settings = settings or get_settings()
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(open_database(settings))
        checkpointer = await stack.enter_async_context(open_checkpointer(settings))
        yield ActivityDeps(
            settings=settings,
            catalog=load_catalog(settings.paths),
            db=db,
            checkpointer=checkpointer,
        )
