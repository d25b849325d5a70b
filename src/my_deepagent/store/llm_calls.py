"""One row per model call actually made.

A phase activity that dies mid-way is retried and resumes its LangGraph thread from
the last checkpoint: calls that completed are not made again, but the usage of a
call may be reported twice (once before the crash, once after). The row's identity
is therefore the call itself, `<thread_id>:<message_id>` (the AI message id is stable
across a resume), inserted with `ON CONFLICT DO NOTHING`: never duplicated, and
recorded as soon as the call returns so a crash cannot lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select

from my_deepagent.store.budget import add_spend, scope_keys
from my_deepagent.store.database import Database
from my_deepagent.store.records import LlmCallRecord
from my_deepagent.store.tables import LlmCallRow, utc_now


def llm_call_key(thread_id: str, message_id: str) -> str:
    return f"{thread_id}:{message_id}"


@dataclass(frozen=True)
class RecordedCall:
    new: bool
    """False: this call was recorded before (a resumed attempt reporting it again)."""
    totals: dict[str, tuple[Decimal, Decimal]]
    """Each spend key's total before and after this call (empty when not new or when
    its cost is unknown)."""


async def record_llm_call(
    db: Database,
    *,
    thread_id: str,
    message_id: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    cost_usd: Decimal | None = None,
    cost_source: str | None = None,
    run_id: str | None = None,
    phase_key: str | None = None,
    persona_ref: str | None = None,
    session_id: str | None = None,
    day: date | None = None,
    reservation_id: int | None = None,
) -> RecordedCall:
    """Record the call unless it is recorded already, and in the same transaction add
    its cost to its budget scopes (the run or session, the persona and the UTC `day`,
    today by default) and drop its reservation."""
    keys = scope_keys(
        day=day or datetime.now(UTC).date(),
        run_id=run_id,
        session_id=session_id,
        persona_ref=persona_ref,
    )
    statement = (
        db.insert(LlmCallRow)
        .values(
            call_key=llm_call_key(thread_id, message_id),
            run_id=run_id,
            session_id=session_id,
            phase_key=phase_key,
            thread_id=thread_id,
            persona_ref=persona_ref,
            model=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=cached_tokens,
            reasoning_tokens=reasoning_tokens,
            cost_usd=None if cost_usd is None else str(cost_usd),
            cost_source=cost_source,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["call_key"])
    )
    async with db.write() as session:
        result = await session.execute(statement)
        new = bool(result.rowcount)  # type: ignore[attr-defined]
        cost = cost_usd if new and cost_usd is not None else Decimal(0)
        spend_keys = list(keys.values()) if new and cost_usd is not None else []
        totals = await add_spend(session, spend_keys, cost, reservation_id)
        return RecordedCall(new=new, totals=totals if cost_usd is not None else {})


async def list_llm_calls(db: Database, run_id: str) -> list[LlmCallRecord]:
    return await _calls_where(db, LlmCallRow.run_id == run_id)


async def session_llm_calls(db: Database, session_id: str) -> list[LlmCallRecord]:
    return await _calls_where(db, LlmCallRow.session_id == session_id)


async def _calls_where(db: Database, condition: ColumnElement[bool]) -> list[LlmCallRecord]:
    query = select(LlmCallRow).where(condition).order_by(LlmCallRow.id)
    async with db.read() as session:
        return [LlmCallRecord.model_validate(r) for r in (await session.scalars(query)).all()]


async def call_totals(
    db: Database,
    *,
    run_id: str | None = None,
    thread_id: str | None = None,
    session_id: str | None = None,
    since: datetime | None = None,
) -> tuple[int, int, int, int]:
    """(calls, input, output, cached tokens) over the calls of a run, a thread, a session,
    and/or those made at or after `since` (an aware datetime)."""
    query = select(
        func.count(LlmCallRow.id),
        func.coalesce(func.sum(LlmCallRow.input_tokens), 0),
        func.coalesce(func.sum(LlmCallRow.output_tokens), 0),
        func.coalesce(func.sum(LlmCallRow.cached_tokens), 0),
    )
    if run_id is not None:
        query = query.where(LlmCallRow.run_id == run_id)
    if thread_id is not None:
        query = query.where(LlmCallRow.thread_id == thread_id)
    if session_id is not None:
        query = query.where(LlmCallRow.session_id == session_id)
    if since is not None:
        query = query.where(LlmCallRow.created_at >= since)
    async with db.read() as session:
        row = (await session.execute(query)).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])
