"""Chat sessions: sessions, their messages, large message bodies, llm_calls.session_id.

Revision ID: 0003
Revises: 0002

SQLite cannot add a foreign key to an existing table, so `llm_calls` changes in batch
mode (alembic copies the table into a new one with the column and its constraint);
PostgreSQL gets plain `ALTER TABLE`s from the same code.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _session_fk() -> sa.ForeignKey:
    return sa.ForeignKey("sessions.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("repo_path", sa.Text(), nullable=False),
        sa.Column("project_key", sa.String(16), nullable=False),
        sa.Column("persona_ref", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("context", sa.Integer(), nullable=False),
        sa.Column("compact_threshold", sa.Float(), nullable=True),
        sa.Column("total_input_tokens", sa.Integer(), nullable=False),
        sa.Column("total_output_tokens", sa.Integer(), nullable=False),
        sa.Column("total_cached_tokens", sa.Integer(), nullable=False),
        sa.Column("context_tokens", sa.Integer(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("compactions", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_updated_at", "sessions", ["updated_at"])
    op.create_index("ix_sessions_project_key", "sessions", ["project_key"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), _session_fk(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tool_calls", sa.JSON(), nullable=True),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column("is_summary", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("turn", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("session_id", "seq", name="uq_messages_session_id_seq"),
        sa.UniqueConstraint("session_id", "client_id", name="uq_messages_session_id_client_id"),
    )

    op.create_table(
        "message_bodies",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_message_bodies"),
    )

    with op.batch_alter_table("llm_calls") as batch:
        batch.add_column(sa.Column("session_id", sa.String(32), nullable=True))
        batch.create_foreign_key(
            "fk_llm_calls_session_id_sessions",
            "sessions",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_llm_calls_session_id", ["session_id"])


def downgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.drop_index("ix_llm_calls_session_id")
        batch.drop_constraint("fk_llm_calls_session_id_sessions", type_="foreignkey")
        batch.drop_column("session_id")
    for table in ("message_bodies", "messages", "sessions"):
        op.drop_table(table)
