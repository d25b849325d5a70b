"""Server-sent event streams: a run's events, a session's messages and turns.

A run's stream sends each event of mda's database as one SSE message whose `id` is
the event's row id, so a client that reconnects with `Last-Event-ID` gets exactly
the events it missed, and ends with an `end` message once the run has ended. The
database is read every `POLL_S` seconds: the same ledger `mda runs show --follow`
reads, and the workflow writes every event there before it moves on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from my_deepagent.api.models import EventView

if TYPE_CHECKING:
    from my_deepagent.api.app import ApiState
    from my_deepagent.store.records import EventRecord

POLL_S = 0.1
PROGRESS_POLL_S = 0.5
"""A turn's progress is read from Temporal (the activity's heartbeat), less often."""
KEEP_ALIVE_S = 15.0
END_GRACE_S = 2.0
FINAL_EVENTS = frozenset({"run.completed", "run.failed", "run.rejected", "run.aborted"})
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def sse(data: Any, *, event: str, event_id: int | None = None) -> bytes:
    """One SSE message (JSON data on one line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def event_view(event: EventRecord) -> EventView:
    return EventView(
        id=event.id,
        type=event.type.value,
        phase=event.phase_key,
        payload=event.payload,
        at=event.created_at.isoformat(),
    )


async def run_events(st: ApiState, run_id: str, after: int) -> AsyncIterator[bytes]:
    """The run's events after `after`, as they are written, then `end`."""
    from my_deepagent.store.events import list_events
    from my_deepagent.store.runs import get_run

    cursor, quiet_since, ended_at = after, time.monotonic(), 0.0
    last_type = ""
    yield b"retry: 1000\n\n"
    while True:
        rows = await list_events(st.db, run_id, after_id=cursor, limit=500)
        for row in rows:
            yield sse(event_view(row).model_dump(), event="run_event", event_id=row.id)
            cursor, last_type = row.id, row.type.value
        if rows:
            quiet_since = time.monotonic()
            continue
        record = await get_run(st.db, run_id)
        if record is None or not record.is_active:
            # The run's state is written just before its last event: end once that
            # event is sent, or after a grace period (a run that never recorded one).
            ended_at = ended_at or time.monotonic()
            if last_type in FINAL_EVENTS or time.monotonic() - ended_at > END_GRACE_S:
                state = record.state.value if record is not None else "gone"
                yield sse({"state": state}, event="end")
                return
        if time.monotonic() - quiet_since > KEEP_ALIVE_S:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_S)


async def session_events(st: ApiState, session_id: str, after: int) -> AsyncIterator[bytes]:
    """The session's messages after seq `after` as they are written, and the running
    turn's progress when it changes; `end` once the session has ended."""
    from my_deepagent.sessions.client import session_handle, turn_progress
    from my_deepagent.sessions.views import message_json
    from my_deepagent.store.messages import is_marker, messages_after
    from my_deepagent.store.sessions import get_session

    handle = session_handle(st.client, session_id)
    cursor, quiet_since, shown, next_progress = after, time.monotonic(), None, 0.0
    yield b"retry: 1000\n\n"
    while True:
        rows = await messages_after(st.db, session_id, cursor)
        for row in rows:
            if not is_marker(row):  # a /clear or rewind leaves one; it is no message
                yield sse(message_json(row), event="message", event_id=row.seq)
            cursor = row.seq
        if rows:
            quiet_since = time.monotonic()
            continue
        now = time.monotonic()
        if now >= next_progress:
            next_progress = now + PROGRESS_POLL_S
            progress = await _progress(st, handle, turn_progress)
            if progress != shown:
                shown = progress
                yield sse(progress, event="progress")
                quiet_since = now
            record = await get_session(st.db, session_id)
            if record is None or not record.is_active:
                yield sse({"state": record.state if record else "gone"}, event="end")
                return
        if now - quiet_since > KEEP_ALIVE_S:
            yield b": keep-alive\n\n"
            quiet_since = now
        await asyncio.sleep(POLL_S)


async def _progress(st: ApiState, handle: Any, read: Any) -> dict[str, Any] | None:
    """The running turn's counts, or None between turns (or when nobody answers)."""
    try:
        found = await read(st.client, handle)
    except Exception:  # no workflow yet, or the server is restarting: no progress
        return None
    return found.model_dump(mode="json") if found is not None else None
