"""Spend per budget scope, and reservations of the model calls in flight.

A scope key names what a cap counts: `run:<id>`, `session:<id>`, `day:<date>` and
`persona_day:<ref>:<date>` (UTC dates). `spend_totals` holds each key's spent sum,
updated in the transaction that records the call (`llm_calls.record_call`), so the
check before a call reads a few rows, not the ledger.

Before a model call the agent reserves its worst-case cost (`reserve`): in one write
transaction it reads what its scopes have spent plus what other calls in flight have
reserved, and inserts the reservation only if every blocking cap still holds it. Two
calls can therefore never both take the last dollar. SQLite serialises write
transactions (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock.
The reservation is deleted in the transaction that records the call, or when the call
fails. An attempt that died keeps its reservation until the retry of its thread
starts (`release_thread`) or `RESERVATION_TTL` passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from my_deepagent.domain.budget import Scope
from my_deepagent.store.database import Database
from my_deepagent.store.tables import BudgetReservationRow, SpendTotalRow, utc_now

RESERVATION_TTL = timedelta(hours=3)
"""Longer than an agent activity may run: an older reservation belongs to no live call."""
_ADVISORY_LOCK = 0x6D6461  # "mda": serialises reservations on PostgreSQL


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
    """What a scope has committed before this call: spent plus others' reservations."""

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
    """Reserve `amount` unless it would take a scope of `limits` past its cap."""
    now = utc_now()
    async with db.write() as session:
        await _lock(db, session)
        committed = await _committed(session, keys, now)
        over = next(
            (s for s, cap in limits.items() if s in committed and committed[s] + amount > cap),
            None,
        )
        if over is not None:
            return Standing(committed, None, over)
        row = BudgetReservationRow(
            thread_id=thread_id, scope_keys=" ".join(keys.values()), usd=str(amount), created_at=now
        )
        session.add(row)
        await session.flush()
        return Standing(committed, row.id)


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
    session: AsyncSession, keys: Sequence[str], cost: Decimal, reservation_id: int | None
) -> dict[str, tuple[Decimal, Decimal]]:
    """Add one recorded call's cost to its scopes (inside the recording transaction) and
    drop its reservation; each key's total (before, after)."""
    now = utc_now()
    if reservation_id is not None:
        await session.execute(
            delete(BudgetReservationRow).where(BudgetReservationRow.id == reservation_id)
        )
    rows = {
        row.scope_key: row
        for row in (
            await session.scalars(select(SpendTotalRow).where(SpendTotalRow.scope_key.in_(keys)))
        ).all()
    }
    changes: dict[str, tuple[Decimal, Decimal]] = {}
    for key in keys:
        row = rows.get(key)
        before = Decimal(row.usd) if row is not None else Decimal(0)
        after = before + cost
        if row is None:
            session.add(SpendTotalRow(scope_key=key, usd=str(after), calls=1, updated_at=now))
        else:
            row.usd, row.calls, row.updated_at = str(after), row.calls + 1, now
        changes[key] = (before, after)
    return changes


async def spent(db: Database, keys: Sequence[str]) -> dict[str, Decimal]:
    """Spent so far per key (0 for a key nothing was spent under)."""
    async with db.read() as session:
        rows = (
            await session.scalars(select(SpendTotalRow).where(SpendTotalRow.scope_key.in_(keys)))
        ).all()
    found = {row.scope_key: Decimal(row.usd) for row in rows}
    return {key: found.get(key, Decimal(0)) for key in keys}


async def spent_matching(db: Database, pattern: str) -> dict[str, Decimal]:
    """Spent per key for the keys matching the SQL LIKE `pattern` (`persona_day:%:<date>`)."""
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(SpendTotalRow).where(SpendTotalRow.scope_key.like(pattern))
            )
        ).all()
    return {row.scope_key: Decimal(row.usd) for row in rows}


async def _committed(
    session: AsyncSession, keys: Mapping[Scope, str], now: datetime
) -> dict[Scope, Decimal]:
    wanted = list(keys.values())
    totals = {
        row.scope_key: Decimal(row.usd)
        for row in (
            await session.scalars(select(SpendTotalRow).where(SpendTotalRow.scope_key.in_(wanted)))
        ).all()
    }
    live = (
        await session.scalars(
            select(BudgetReservationRow).where(
                BudgetReservationRow.created_at >= now - RESERVATION_TTL
            )
        )
    ).all()
    committed: dict[Scope, Decimal] = {}
    for scope, key in keys.items():
        held = sum((Decimal(r.usd) for r in live if key in r.scope_keys.split(" ")), Decimal(0))
        committed[scope] = totals.get(key, Decimal(0)) + held
    return committed


async def _lock(db: Database, session: AsyncSession) -> None:
    if db.dialect == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})"))
