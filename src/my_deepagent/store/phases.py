"""Phases of a run: one row per (phase, round); a request for changes starts a new round.

`record_phase` is an upsert, so an activity retried after it wrote the row writes
the same row again instead of failing or adding a second one.
"""

from __future__ import annotations

from sqlalchemy import select

from my_deepagent.store.database import Database
from my_deepagent.store.records import PhaseRecord, PhaseState
from my_deepagent.store.tables import PhaseRow, utc_now

_TERMINAL = frozenset({PhaseState.COMPLETED, PhaseState.FAILED, PhaseState.SKIPPED})


async def record_phase(
    db: Database,
    *,
    run_id: str,
    phase_key: str,
    round: int = 0,
    position: int,
    state: PhaseState,
    persona_ref: str | None = None,
    model: str | None = None,
    error: str | None = None,
) -> PhaseRecord:
    """Insert or update the phase row for (run, phase, round) and return it."""
    now = utc_now()
    finished_at = now if state in _TERMINAL else None
    insert = db.insert(PhaseRow).values(
        run_id=run_id,
        phase_key=phase_key,
        round=round,
        position=position,
        state=state.value,
        persona_ref=persona_ref,
        model=model,
        error=error,
        started_at=now,
        updated_at=now,
        finished_at=finished_at,
    )
    changes: dict[str, object] = {
        "state": state.value,
        "error": error,
        "updated_at": now,
        "finished_at": finished_at,
    }
    if persona_ref is not None:
        changes["persona_ref"] = persona_ref
    if model is not None:
        changes["model"] = model
    upsert = insert.on_conflict_do_update(
        index_elements=["run_id", "phase_key", "round"], set_=changes
    )
    async with db.write() as session:
        await session.execute(upsert)
        row = await session.scalar(
            select(PhaseRow).where(
                PhaseRow.run_id == run_id, PhaseRow.phase_key == phase_key, PhaseRow.round == round
            )
        )
        assert row is not None
        return PhaseRecord.model_validate(row)


async def list_phases(db: Database, run_id: str) -> list[PhaseRecord]:
    """In template order, rounds in order."""
    query = (
        select(PhaseRow)
        .where(PhaseRow.run_id == run_id)
        .order_by(PhaseRow.position, PhaseRow.round, PhaseRow.id)
    )
    async with db.read() as session:
        return [PhaseRecord.model_validate(row) for row in (await session.scalars(query)).all()]
