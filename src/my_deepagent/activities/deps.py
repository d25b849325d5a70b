"""What every activity of a worker shares: settings, the catalog, the database.

Opened once when the worker starts and closed when it stops, so an activity never
pays for a connection. The LangGraph checkpointer lives here too (`checkpointer`),
opened by `store.checkpoints`. The catalog is loaded again when a file in the user's
asset folders changed: the detached worker outlives `mda personas`/`templates`
edits, and a run pinned to a persona added after the worker started must find it.
A user folder that no longer loads keeps the last good catalog (and is logged).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from my_deepagent.errors import MdaError
from my_deepagent.settings import Paths, Settings, get_settings

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from my_deepagent.domain.catalog import Catalog
    from my_deepagent.store.database import Database


log = logging.getLogger("mda.worker")

_Stamp = tuple[tuple[str, int, int], ...]


class CatalogCache:
    """The catalog of shipped and user assets, reloaded when a user asset file changed."""

    def __init__(self, paths: Paths) -> None:
        from my_deepagent.domain.catalog import load_catalog

        self._paths = paths
        self._stamp = self._current_stamp()
        self._catalog = load_catalog(paths)

    def get(self) -> Catalog:
        from my_deepagent.domain.catalog import load_catalog

        stamp = self._current_stamp()
        if stamp != self._stamp:
            try:
                self._catalog = load_catalog(self._paths)
            except MdaError as exc:
                log.warning("keeping the catalog loaded before: %s", exc.message)
            self._stamp = stamp
        return self._catalog

    def _current_stamp(self) -> _Stamp:
        folders = (
            self._paths.user_personas_dir,
            self._paths.user_templates_dir,
            self._paths.user_schemas_dir,
        )
        found: list[tuple[str, int, int]] = []
        for folder in folders:
            try:
                files = sorted(folder.iterdir())
            except OSError:
                continue
            for file in files:
                try:
                    info = file.stat()
                except OSError:
                    continue
                found.append((str(file), info.st_mtime_ns, info.st_size))
        return tuple(found)


@dataclass(frozen=True)
class ActivityDeps:
    settings: Settings
    catalogs: CatalogCache
    db: Database
    checkpointer: BaseCheckpointSaver[str]

    @property
    def catalog(self) -> Catalog:
        return self.catalogs.get()


@asynccontextmanager
async def open_deps(settings: Settings | None = None) -> AsyncIterator[ActivityDeps]:
    """Open the database (migrated), the checkpointer and the catalog for one worker."""
    from my_deepagent.store.checkpoints import open_checkpointer
    from my_deepagent.store.database import open_database

    settings = settings or get_settings()
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(open_database(settings))
        checkpointer = await stack.enter_async_context(open_checkpointer(settings))
        yield ActivityDeps(
            settings=settings,
            catalogs=CatalogCache(settings.paths),
            db=db,
            checkpointer=checkpointer,
        )
