"""Spend per budget scope, and reservations of model calls in flight across processes.

A scope key names what a cap counts: `run:<id>`, `session:<id>`, `day:<date>` and
`persona_day:<ref>:<date>` (UTC dates). `spend_totals` holds each key's spent sum in
nano-dollars, every call's cost rounded up (so a cap errs on the safe side; the
ledger keeps each exact cost). It is updated by one upsert in the transaction that
records the call (`add_spend`, from `llm_calls.record_llm_call`), which returns the
new totals: what the budget guard keeps in memory between calls.

A run's calls come from one activity at a time, and a session's too, so their caps
are checked in the worker's memory (`agents/budget_guard.py`). The day and persona
caps are shared by every run and session on every worker: a call reserves its worst
case here first (`reserve`), in one write transaction that reads what the scopes
have spent plus what other calls in flight reserved, and inserts the reservation only
if every stopping cap still holds it. SQLite serialises write transactions (`BEGIN
IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock. The reservation is
deleted in the transaction that records the call (under the same lock), or when the
call fails; one left
by a dead attempt goes when the retry of its thread starts (`release_thread`) or
after `RESERVATION_TTL`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import ColumnElement, Select, TextClause, bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from my_deepagent.domain.budget import Scope
from my_deepagent.store.database import Database
from my_deepagent.store.tables import BudgetReservationRow, SpendTotalRow, UtcDateTime, utc_now

RESERVATION_TTL = timedelta(hours=3)
"""Longer than an agent activity may run: an older reservation belongs to no live call."""
NANOS_PER_USD = 1_000_000_000
_ADVISORY_LOCK = 0x6D6461  # "mda": serialises reservations on PostgreSQL


def to_nanos(usd: Decimal) -> int:
    """Whole nano-dollars, rounded up."""
    return int((usd * NANOS_PER_USD).to_integral_value(rounding=ROUND_CEILING))


def from_nanos(nanos: int) -> Decimal:
    return Decimal(nanos) / NANOS_PER_USD


def scope_keys(
    *, day: date, run_id: str | None, session_id: str | None, persona_ref: str | None
) -> dict[Scope, str]:
    keys: dict[Scope, str] = {"day": f"day:{day.isoformat()}"}
    if run_id is not None:
        keys["run"] = f"run:{run_id}"
    if session_id is not None:
        keys["session"] = f"session:{session_id}"
    if persona_ref is not None:
        keys["persona_day"] = f"persona_day:{persona_ref}:{day.isoformat()}"
    return keys


@dataclass(frozen=True)
class Standing:
    """What the scopes had committed before this call: spent plus others' reservations."""

    committed: dict[Scope, Decimal]
    reservation_id: int | None
    """None: the call did not fit under the cap of `over`."""
    over: Scope | None = None


async def reserve(
    db: Database,
    *,
    thread_id: str,
    keys: Mapping[Scope, str],
    amount: Decimal,
    limits: Mapping[Scope, Decimal],
) -> Standing:
    """Reserve `amount` against `keys` unless it would take a scope of `limits` past
    its cap."""
    now, nanos = utc_now(), to_nanos(amount)
    async with db.write() as session:
        await _lock(session)
        committed = await _committed(session, keys, now)
        over = next(
            (
                scope
                for scope, cap in limits.items()
                if scope in committed and committed[scope] + nanos > to_nanos(cap)
            ),
            None,
        )
        usd = {scope: from_nanos(value) for scope, value in committed.items()}
        if over is not None:
            return Standing(usd, None, over)
        row = BudgetReservationRow(
            thread_id=thread_id, scope_keys=" ".join(keys.values()), usd_nanos=nanos,
            created_at=now,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return Standing(usd, row.id)


async def release(db: Database, reservation_id: int) -> None:
    async with db.write() as session:
        await session.execute(
            delete(BudgetReservationRow).where(BudgetReservationRow.id == reservation_id)
        )


async def release_thread(db: Database, thread_id: str) -> None:
    """Drop the reservations of a thread's earlier attempt (it is dead: Temporal retries
    an agent activity only after the attempt failed or stopped heartbeating)."""
    async with db.write() as session:
        await session.execute(
            delete(BudgetReservationRow).where(BudgetReservationRow.thread_id == thread_id)
        )


async def add_spend(
    session: AsyncSession,
    keys: Sequence[str],
    cost: Decimal,
    reservation_id: int | None,
) -> dict[str, tuple[Decimal, Decimal]]:
    """Add one recorded call's cost to its scopes (inside the recording transaction, one
    statement) and drop its reservation; each key's total (before, after)."""
    if reservation_id is not None:
        # Under the reservations' lock: a `reserve` reading between this delete and the
        # spend below (PostgreSQL reads each statement afresh) would count the call nowhere.
        await _lock(session)
        await session.execute(
            delete(BudgetReservationRow).where(BudgetReservationRow.id == reservation_id)
        )
    if not keys:
        return {}
    nanos = to_nanos(cost)
    values = {f"k{i}": key for i, key in enumerate(keys)}
    rows = (
        await session.execute(_upsert(len(keys)), {**values, "nanos": nanos, "now": utc_now()})
    ).all()
    return {key: (from_nanos(after - nanos), from_nanos(after)) for key, after in rows}


@functools.cache
def _upsert(count: int) -> TextClause:
    """One statement adding a call to `count` totals, returning the new ones (the same SQL
    on SQLite and PostgreSQL; plain text, as SQLAlchemy's multi-row upsert costs more to
    compile than to run)."""
    rows = ", ".join(f"(:k{i}, :nanos, 1, :now)" for i in range(count))
    return text(
        "INSERT INTO spend_totals (scope_key, usd_nanos, calls, updated_at) "
        f"VALUES {rows} ON CONFLICT (scope_key) DO UPDATE SET "
        "usd_nanos = spend_totals.usd_nanos + excluded.usd_nanos, "
        "calls = spend_totals.calls + 1, updated_at = excluded.updated_at "
        "RETURNING scope_key, usd_nanos"
    ).bindparams(bindparam("now", type_=UtcDateTime()))


async def spent(db: Database, keys: Sequence[str]) -> dict[str, Decimal]:
    """Spent so far per key (0 for a key nothing was spent under)."""
    found = await _totals(db, SpendTotalRow.scope_key.in_(keys))
    return {key: found.get(key, Decimal(0)) for key in keys}


async def spent_matching(db: Database, pattern: str) -> dict[str, Decimal]:
    """Spent per key for the keys matching the SQL LIKE `pattern` (`persona_day:%:<date>`)."""
    return await _totals(db, SpendTotalRow.scope_key.like(pattern))


def _totals_query(condition: ColumnElement[bool]) -> Select[str, int]:
    return select(SpendTotalRow.scope_key, SpendTotalRow.usd_nanos).where(condition)


async def _totals(db: Database, condition: ColumnElement[bool]) -> dict[str, Decimal]:
    async with db.read() as session:
        rows = (await session.execute(_totals_query(condition))).all()
    return {key: from_nanos(nanos) for key, nanos in rows}


async def _committed(
    session: AsyncSession, keys: Mapping[Scope, str], now: datetime
) -> dict[Scope, int]:
    wanted = list(keys.values())
    rows = (await session.execute(_totals_query(SpendTotalRow.scope_key.in_(wanted)))).all()
    totals: dict[str, int] = {key: nanos for key, nanos in rows}
    live = (
        await session.execute(
            select(BudgetReservationRow.scope_keys, BudgetReservationRow.usd_nanos).where(
                BudgetReservationRow.created_at >= now - RESERVATION_TTL
            )
        )
    ).all()
    committed: dict[Scope, int] = {}
    for scope, key in keys.items():
        held = sum(nanos for joined, nanos in live if key in joined.split(" "))
        committed[scope] = int(totals.get(key, 0)) + held
    return committed


async def _lock(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})"))
