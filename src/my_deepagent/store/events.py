"""Run events: a closed set of types, each row written once.

Activities are retried, so the row's identity is its idempotency key, built by
`event_key` from what the workflow knows deterministically (run id, event type,
phase, round, a caller's discriminator such as the resume number) and never from
the activity's attempt number or the clock. A second insert with the same key is
`ON CONFLICT DO NOTHING` and reports that it was not new.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from my_deepagent.store.database import Database
from my_deepagent.store.records import EventRecord, EventType
from my_deepagent.store.tables import RunEventRow, utc_now

__all__ = ["EventRecord", "EventType", "event_key", "list_events", "record_event"]


def event_key(
    run_id: str,
    event_type: EventType,
    *,
    phase_key: str | None = None,
    round: int | None = None,
    part: str | int | None = None,
) -> str:
    """`<run_id>:<type>[:phase=<key>][:round=<n>][:<part>]`.

    For example `<run_id>:phase.started:phase=spec:round=0`. `part` tells apart events
    of one type that may repeat (the resume number, a signal's sequence number).
    """
    parts = [run_id, EventType(event_type).value]
    if phase_key is not None:
        parts.append(f"phase={phase_key}")
    if round is not None:
        parts.append(f"round={round}")
    if part is not None:
        parts.append(str(part))
    return ":".join(parts)


async def record_event(
    db: Database,
    run_id: str,
    event_type: EventType,
    idempotency_key: str,
    payload: dict[str, Any] | None = None,
    *,
    phase_key: str | None = None,
) -> bool:
    """Write the event unless its key exists; True when this call wrote it."""
    statement = (
        db.insert(RunEventRow)
        .values(
            run_id=run_id,
            type=EventType(event_type).value,
            idempotency_key=idempotency_key,
            phase_key=phase_key,
            payload=payload or {},
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    async with db.write() as session:
        result = await session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_events(
    db: Database, run_id: str, *, after_id: int = 0, limit: int | None = None
) -> list[EventRecord]:
    """Events in the order written; `after_id` is the cursor for following a run live."""
    query = (
        select(RunEventRow)
        .where(RunEventRow.run_id == run_id, RunEventRow.id > after_id)
        .order_by(RunEventRow.id)
    )
    if limit is not None:
        query = query.limit(limit)
    async with db.read() as session:
        return [EventRecord.model_validate(row) for row in (await session.scalars(query)).all()]
