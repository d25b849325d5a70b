"""Budget caps: spend per scope, and the reservations of model calls in flight.

Revision ID: 0007
Revises: 0006

`spend_totals` holds what each budget scope has spent, in nano-dollars (each call's
cost rounded up, so a cap errs on the safe side; the ledger keeps the exact costs), so
the check before a model call reads a few rows instead of summing the ledger. It starts from the
calls already in `llm_calls`. `budget_reservations` holds the worst-case cost of each
call in flight until it is recorded. `sessions.budget` keeps a session's own caps
(`mda chat --budget-usd`, and the raises), so a session restarted from its row keeps
them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    totals = op.create_table(
        "spend_totals",
        sa.Column("scope_key", sa.String(300), nullable=False),
        sa.Column("usd_nanos", sa.BigInteger(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope_key", name="pk_spend_totals"),
    )
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("thread_id", sa.Text(), nullable=False),
        sa.Column("scope_keys", sa.Text(), nullable=False),
        sa.Column("usd_nanos", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_reservations"),
    )
    op.create_index("ix_budget_reservations_thread_id", "budget_reservations", ["thread_id"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("budget", sa.JSON(), nullable=True))
    _backfill(totals)


def _backfill(totals: sa.Table) -> None:
    """Totals of the calls recorded before this revision (same keys as `store.budget`)."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT run_id, session_id, persona_ref, cost_usd, created_at FROM llm_calls "
            "WHERE cost_usd IS NOT NULL"
        )
    )
    sums: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for run_id, session_id, persona_ref, cost, created in rows:
        day = _day(created)
        keys = [f"day:{day}"]
        if run_id:
            keys.append(f"run:{run_id}")
        if session_id:
            keys.append(f"session:{session_id}")
        if persona_ref:
            keys.append(f"persona_day:{persona_ref}:{day}")
        for key in keys:
            sums[key] += _nanos(Decimal(cost))
            counts[key] += 1
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as mda's own column type stores it there
    if sums:
        op.bulk_insert(
            totals,
            [
                {"scope_key": k, "usd_nanos": v, "calls": counts[k], "updated_at": now}
                for k, v in sums.items()
            ],
        )


def _nanos(usd: Decimal) -> int:
    """Whole nano-dollars, rounded up (as `store.budget.to_nanos`)."""
    return int((usd * 1_000_000_000).to_integral_value(rounding=ROUND_CEILING))


def _day(created: object) -> str:
    if isinstance(created, datetime):
        moment = created if created.tzinfo else created.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date().isoformat()
    return str(created)[:10]  # SQLite hands back the stored ISO text


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("budget")
    op.drop_index("ix_budget_reservations_thread_id", table_name="budget_reservations")
    op.drop_table("budget_reservations")
    op.drop_table("spend_totals")
