"""The ledger: runs, phases, artifacts, run events, approvals, llm calls.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies: a migration must not change when the live code does.
ACTIVE_RUN_WHERE = "state IN ('pending', 'running', 'awaiting_approval')"


def _run_fk() -> sa.ForeignKey:
    return sa.ForeignKey("runs.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("repo_path", sa.Text(), nullable=False),
        sa.Column("base_branch", sa.String(255), nullable=False),
        sa.Column("template_ref", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("bindings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index(
        "uq_runs_active_repo_branch",
        "runs",
        ["repo_path", "base_branch"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN_WHERE),
        postgresql_where=sa.text(ACTIVE_RUN_WHERE),
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])

    op.create_table(
        "phases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("phase_key", sa.String(100), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("persona_ref", sa.String(200), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_phases"),
        sa.UniqueConstraint(
            "run_id", "phase_key", "round", name="uq_phases_run_id_phase_key_round"
        ),
    )

    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("phase_key", sa.String(100), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.UniqueConstraint(
            "run_id",
            "phase_key",
            "round",
            "revision",
            name="uq_artifacts_run_id_phase_key_round_revision",
        ),
    )

    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("phase_key", sa.String(100), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_events"),
        sa.UniqueConstraint("idempotency_key", name="uq_run_events_idempotency_key"),
    )
    op.create_index("ix_run_events_run_id_id", "run_events", ["run_id", "id"])

    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("gate", sa.String(200), nullable=False),
        sa.Column("phase_key", sa.String(100), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("source", sa.String(40), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.UniqueConstraint("run_id", "gate", name="uq_approvals_run_id_gate"),
    )

    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_key", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=True),
        sa.Column("phase_key", sa.String(100), nullable=True),
        sa.Column("thread_id", sa.Text(), nullable=False),
        sa.Column("persona_ref", sa.String(200), nullable=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_llm_calls"),
        sa.UniqueConstraint("call_key", name="uq_llm_calls_call_key"),
    )
    op.create_index("ix_llm_calls_run_id", "llm_calls", ["run_id"])


def downgrade() -> None:
    for table in ("llm_calls", "approvals", "run_events", "artifacts", "phases", "runs"):
        op.drop_table(table)
