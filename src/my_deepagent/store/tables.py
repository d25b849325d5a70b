"""The ledger's tables (SQLAlchemy 2 declarative). Alembic migrations must match them.

`tests/test_store_schema.py` compares the migrated database with this metadata, so a
column added here without a migration fails the suite. States and event types are
plain strings checked in Python (`records`): widening a closed set needs no migration.
Constraint names follow `NAMING_CONVENTION` so later SQLite batch migrations can name
what they alter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from my_deepagent.store.records import ACTIVE_RUN_STATES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTIVE_RUN_WHERE = "state IN ({})".format(", ".join(f"'{s.value}'" for s in ACTIVE_RUN_STATES))


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index(
            "uq_runs_active_repo_branch",
            "repo_path",
            "base_branch",
            unique=True,
            sqlite_where=text(ACTIVE_RUN_WHERE),
            postgresql_where=text(ACTIVE_RUN_WHERE),
        ),
        Index("ix_runs_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    repo_path: Mapped[str] = mapped_column(Text)
    base_branch: Mapped[str] = mapped_column(String(255))
    template_ref: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    requirements: Mapped[str] = mapped_column(Text)
    bindings: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PhaseRow(Base):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("run_id", "phase_key", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    phase_key: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    persona_ref: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("run_id", "phase_key", "round", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    phase_key: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)  # 0: first write, 1: after the repair turn
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool | None] = mapped_column(Boolean)  # None: not validated yet
    errors: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    validated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RunEventRow(Base):
    __tablename__ = "run_events"
    __table_args__ = (Index("ix_run_events_run_id_id", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    phase_key: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApprovalRow(Base):
    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("run_id", "gate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    gate: Mapped[str] = mapped_column(String(200))
    phase_key: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    feedback: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(40))  # cli, web, temporal, timeout
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LlmCallRow(Base):
    """One row per model call actually made: a run's (`run_id`) or a session's (`session_id`)."""

    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_run_id", "run_id"),
        Index("ix_llm_calls_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_key: Mapped[str] = mapped_column(Text, unique=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    phase_key: Mapped[str | None] = mapped_column(String(100))
    thread_id: Mapped[str] = mapped_column(Text)
    persona_ref: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    cached_tokens: Mapped[int] = mapped_column(Integer)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, server_default="0")
    cost_usd: Mapped[str | None] = mapped_column(String(40))
    """A decimal string; NULL when the model has no known price (never 0 for unknown)."""
    cost_source: Mapped[str | None] = mapped_column(String(20))
    """"provider" (reported with the response) or "price" (computed from the price)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ModelPriceRow(Base):
    """A model's price from OpenRouter's list, in dollars per million tokens (decimal
    strings), as of `fetched_at`; the whole list is replaced by each refresh."""

    __tablename__ = "model_prices"

    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    input: Mapped[str] = mapped_column(String(40))
    output: Mapped[str] = mapped_column(String(40))
    cached_input: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SpendTotalRow(Base):
    """What has been spent in one budget scope (`run:<id>`, `session:<id>`,
    `day:<date>`, `persona_day:<ref>:<date>`): the sum of its calls' known costs in
    nano-dollars (each rounded up), updated in the transaction that records each call."""

    __tablename__ = "spend_totals"

    scope_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    usd_nanos: Mapped[int] = mapped_column(BigInteger)
    calls: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BudgetReservationRow(Base):
    """The worst-case cost of a model call in flight, counted against its scopes'
    caps until the call is recorded (or its attempt is known dead)."""

    __tablename__ = "budget_reservations"
    __table_args__ = (Index("ix_budget_reservations_thread_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(Text)
    scope_keys: Mapped[str] = mapped_column(Text)
    """The scope keys it counts against, space separated."""
    usd_nanos: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportRow(Base):
    """The last report written for a run (`activities/report.py`); rewritten on resume."""

    __tablename__ = "reports"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SessionRow(Base):
    """A chat session. The totals are caches recomputed from `llm_calls` and
    `messages` by `sessions.refresh_session_totals`, so `mda sessions list` reads one row."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_updated_at", "updated_at"),
        Index("ix_sessions_project_key", "project_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    repo_path: Mapped[str] = mapped_column(Text)
    project_key: Mapped[str] = mapped_column(String(16))
    persona_ref: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    context: Mapped[int] = mapped_column(Integer)  # the agent context (thread) in use
    compact_threshold: Mapped[float | None] = mapped_column(Float)  # None: the global setting
    total_input_tokens: Mapped[int] = mapped_column(Integer)
    total_output_tokens: Mapped[int] = mapped_column(Integer)
    total_cached_tokens: Mapped[int] = mapped_column(Integer)
    context_tokens: Mapped[int] = mapped_column(Integer)
    turns: Mapped[int] = mapped_column(Integer)
    compactions: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unconfined_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    budget: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The session's own budget caps (`BudgetCaps`); None: the configuration's."""
    """When a turn first ran with the agent's shell unconfined (`MDA_SANDBOX=off`)."""


class MessageRow(Base):
    """One chat message. Seqs are assigned by the session workflow; a row is written once
    (`ON CONFLICT DO NOTHING`) and never deleted: /clear and compaction archive it."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        UniqueConstraint("session_id", "client_id"),  # NULLs never collide
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    tool_calls: Mapped[list[dict[str, str]] | None] = mapped_column(JSON(none_as_null=True))
    token_count: Mapped[int] = mapped_column(Integer)
    is_summary: Mapped[bool] = mapped_column(Boolean)
    archived: Mapped[bool] = mapped_column(Boolean)
    client_id: Mapped[str | None] = mapped_column(String(64))
    turn: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageBodyRow(Base):
    """A large message body (over 16 KiB) by content hash, so an update carries the hash."""

    __tablename__ = "message_bodies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def is_own_table(name: str | None, type_: str, _parents: object) -> bool:
    """For alembic's `include_name`: a table is mda's when it is in `Base.metadata`
    (on PostgreSQL LangGraph keeps its checkpoint tables in the same database)."""
    return type_ != "table" or name in Base.metadata.tables
