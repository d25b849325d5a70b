"""The activities behind a session's state-changing commands: /clear, /agent and
/model, /remember and /forget, and ending the session. Compaction has its own module.

Each is idempotent, so a retry after a lost completion changes nothing twice: the
context number comes from the workflow, archiving archives what is still visible,
a note written once is found again by its text, a note forgotten once is not
missed by the retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from temporalio import activity

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.activities.phase import setup_errors
from my_deepagent.agents.models import connection
from my_deepagent.domain.model_spec import ModelSpec
from my_deepagent.errors import MdaError
from my_deepagent.sessions.memory import (
    MemoryEntry,
    ensure_memory,
    forget,
    list_entries,
    memory_dir,
    remember,
)
from my_deepagent.store.messages import archive_live_messages
from my_deepagent.store.sessions import (
    end_session,
    set_session_agent,
    set_session_context,
)
from my_deepagent.workflows.session_types import (
    ContextInput,
    EndInput,
    MemoryResult,
    MemoryWrite,
    SwitchInput,
)


def _note_with(folder: Path, text: str) -> MemoryEntry | None:
    """The note an earlier attempt of this write made (same text), if any."""
    for entry in list_entries(folder):
        with contextlib.suppress(OSError):
            if (folder / entry.file_name).read_text(encoding="utf-8").strip() == text.strip():
                return entry
    return None


class SessionCommandActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="session_clear")
    async def session_clear(self, input: ContextInput) -> None:
        await archive_live_messages(
            self.deps.db, input.session_id, context=input.context, marker_seq=input.marker_seq
        )

    @activity.defn(name="session_context")
    async def session_context(self, input: ContextInput) -> None:
        await set_session_context(self.deps.db, input.session_id, input.context)

    @activity.defn(name="session_switch")
    async def session_switch(self, input: SwitchInput) -> None:
        change = input.change
        with setup_errors():
            self.deps.catalog.persona(change.persona_ref)
            connection(ModelSpec.parse(change.model), self.deps.settings)
        await set_session_agent(
            self.deps.db,
            input.session_id,
            persona_ref=change.persona_ref,
            model=change.model,
            context=input.context,
        )

    @activity.defn(name="session_memory")
    async def session_memory(self, input: MemoryWrite) -> MemoryResult:
        folder = memory_dir(self.deps.settings.paths.data_dir, input.project_key)
        retry = activity.info().attempt > 1
        with setup_errors():
            await asyncio.to_thread(ensure_memory, folder)
            if input.remember is not None:
                found = (
                    await asyncio.to_thread(_note_with, folder, input.remember) if retry else None
                )
                if found is None:
                    found = await asyncio.to_thread(remember, folder, input.remember)
                entry = found
            elif input.forget is not None:
                try:
                    entry = await asyncio.to_thread(forget, folder, input.forget)
                except MdaError:
                    if not retry:
                        raise
                    slug = input.forget.removesuffix(".md")
                    return MemoryResult(slug=slug, file_name=f"{slug}.md")
            else:
                raise MdaError.english("chat.memory_write_empty")
        return MemoryResult(slug=entry.slug, file_name=entry.file_name)

    @activity.defn(name="session_end")
    async def session_end(self, input: EndInput) -> None:
        await end_session(self.deps.db, input.session_id)
