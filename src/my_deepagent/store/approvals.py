"""Approval gates: one row per gate, requested once, decided once.

The workflow is the authority on which gate is pending (it receives the signals);
these rows are its record for the report and the GUI. Both calls are idempotent for
retried activities: requesting an existing gate returns it, and repeating the decision
that already stands returns the row unchanged.
"""

from __future__ import annotations

from sqlalchemy import Select, select, update

from my_deepagent.store.database import Database
from my_deepagent.store.records import ApprovalRecord, ApprovalState
from my_deepagent.store.tables import ApprovalRow, utc_now


def gate_id(phase_key: str, round: int = 0) -> str:
    """The gate's name in signals and rows: `<phase_key>:<round>`."""
    return f"{phase_key}:{round}"


async def request_approval(
    db: Database, *, run_id: str, phase_key: str, round: int = 0
) -> ApprovalRecord:
    gate = gate_id(phase_key, round)
    statement = (
        db.insert(ApprovalRow)
        .values(
            run_id=run_id,
            gate=gate,
            phase_key=phase_key,
            round=round,
            state=ApprovalState.PENDING.value,
            feedback=None,
            source=None,
            requested_at=utc_now(),
            decided_at=None,
        )
        .on_conflict_do_nothing(index_elements=["run_id", "gate"])
    )
    async with db.write() as session:
        await session.execute(statement)
        row = await session.scalar(_where(run_id, gate))
        assert row is not None
        return ApprovalRecord.model_validate(row)


async def decide_approval(
    db: Database,
    *,
    run_id: str,
    gate: str,
    state: ApprovalState,
    feedback: str | None = None,
    source: str | None = None,
) -> ApprovalRecord | None:
    """Record the decision on a pending gate; None when the gate is unknown or was
    already decided otherwise."""
    if state is ApprovalState.PENDING:
        raise ValueError("a decision cannot be 'pending'")
    async with db.write() as session:
        await session.execute(
            update(ApprovalRow)
            .where(
                ApprovalRow.run_id == run_id,
                ApprovalRow.gate == gate,
                ApprovalRow.state == ApprovalState.PENDING.value,
            )
            .values(state=state.value, feedback=feedback, source=source, decided_at=utc_now())
        )
        row = await session.scalar(
            _where(run_id, gate).where(
                ApprovalRow.state == state.value,
                ApprovalRow.feedback.is_not_distinct_from(feedback),
            )
        )
        return None if row is None else ApprovalRecord.model_validate(row)


async def list_approvals(db: Database, run_id: str) -> list[ApprovalRecord]:
    query = select(ApprovalRow).where(ApprovalRow.run_id == run_id).order_by(ApprovalRow.id)
    async with db.read() as session:
        return [ApprovalRecord.model_validate(r) for r in (await session.scalars(query)).all()]


async def pending_approvals(db: Database) -> list[ApprovalRecord]:
    """Every gate waiting for a decision, oldest first (for `mda` listings and the GUI)."""
    query = (
        select(ApprovalRow)
        .where(ApprovalRow.state == ApprovalState.PENDING.value)
        .order_by(ApprovalRow.requested_at, ApprovalRow.id)
    )
    async with db.read() as session:
        return [ApprovalRecord.model_validate(r) for r in (await session.scalars(query)).all()]


def _where(run_id: str, gate: str) -> Select[ApprovalRow]:
    return select(ApprovalRow).where(ApprovalRow.run_id == run_id, ApprovalRow.gate == gate)
