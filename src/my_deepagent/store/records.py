"""What leaves the store: closed sets of states and event types, and frozen records.

Pydantic only, no SQLAlchemy, so workflow code and the CLI can import it cheaply.
Callers never hold ORM objects: a row becomes a frozen record inside its session.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class RunState(StrEnum):
    PENDING = "pending"  # row created, workflow not started yet
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"  # on an approval gate or a budget prompt
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    ABORTED = "aborted"


ACTIVE_RUN_STATES: tuple[RunState, ...] = (
    RunState.PENDING,
    RunState.RUNNING,
    RunState.AWAITING_APPROVAL,
)
"""At most one run in these states per (repository, base branch)."""


class PhaseState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    ABORTED = "aborted"
    TIMED_OUT = "timed_out"


class EventType(StrEnum):
    """The closed set of run event types. Adding one is a code change, not a migration."""

    RUN_STARTED = "run.started"
    RUN_RESUMED = "run.resumed"
    RUN_COMPLETED = "run.completed"
    RUN_FAILED = "run.failed"
    RUN_REJECTED = "run.rejected"
    RUN_ABORTED = "run.aborted"
    PHASE_STARTED = "phase.started"
    PHASE_COMPLETED = "phase.completed"
    PHASE_FAILED = "phase.failed"
    PHASE_SKIPPED = "phase.skipped"
    ARTIFACT_WRITTEN = "artifact.written"
    ARTIFACT_VALIDATED = "artifact.validated"
    ARTIFACT_INVALID = "artifact.invalid"
    REPAIR_STARTED = "repair.started"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_GRANTED = "approval.granted"
    APPROVAL_REJECTED = "approval.rejected"
    APPROVAL_CHANGES_REQUESTED = "approval.changes_requested"
    APPROVAL_IGNORED = "approval.ignored"
    APPROVAL_TIMED_OUT = "approval.timed_out"
    APPROVAL_ABORTED = "approval.aborted"
    BUDGET_WARNING = "budget.warning"
    BUDGET_EXCEEDED = "budget.exceeded"
    """A model call did not fit under a cap: the phase stopped (block) or waits (prompt)."""
    BUDGET_RAISED = "budget.raised"
    BUDGET_RAISE_IGNORED = "budget.raise_ignored"
    """A `raise_budget` signal that changed nothing (no budget gate, a bad amount)."""
    PRICE_UNKNOWN = "price.unknown"
    """A phase's model has no known price: its calls' cost is unknown (once per model)."""
    SANDBOX_OFF = "sandbox.off"
    """A phase ran its agent's shell unconfined, on the user's word (`MDA_SANDBOX=off`)."""


class SessionState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"  # refuses new messages


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"  # compaction summaries


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class RunHeader(_Record):
    """A run without its requirements and bindings: what lists show."""

    id: str
    repo_path: str
    base_branch: str
    template_ref: str
    state: RunState
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def workflow_id(self) -> str:
        from my_deepagent.workflows.run_types import run_workflow_id

        return run_workflow_id(self.id)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_RUN_STATES


class RunRecord(RunHeader):
    requirements: str
    bindings: dict[str, Any]


class PhaseRecord(_Record):
    id: int
    run_id: str
    phase_key: str
    round: int
    position: int
    state: PhaseState
    persona_ref: str | None
    model: str | None
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class ArtifactRecord(_Record):
    id: int
    run_id: str
    phase_key: str
    round: int
    revision: int
    path: str
    sha256: str
    size: int
    body: str
    valid: bool | None
    errors: list[str] | None
    created_at: datetime
    validated_at: datetime | None


class EventRecord(_Record):
    id: int
    run_id: str
    type: EventType
    idempotency_key: str
    phase_key: str | None
    payload: dict[str, Any]
    created_at: datetime


class ApprovalRecord(_Record):
    id: int
    run_id: str
    gate: str
    phase_key: str
    round: int
    state: ApprovalState
    feedback: str | None
    source: str | None
    requested_at: datetime
    decided_at: datetime | None


class LlmCallRecord(_Record):
    id: int
    call_key: str
    run_id: str | None
    session_id: str | None
    phase_key: str | None
    thread_id: str
    persona_ref: str | None
    model: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int = 0
    cost_usd: Decimal | None = None
    cost_source: str | None = None
    created_at: datetime


class SessionRecord(_Record):
    id: str
    repo_path: str
    project_key: str
    persona_ref: str
    model: str
    state: SessionState
    title: str | None
    context: int
    compact_threshold: float | None
    total_input_tokens: int
    total_output_tokens: int
    total_cached_tokens: int
    context_tokens: int
    turns: int
    compactions: int
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    ended_at: datetime | None
    unconfined_since: datetime | None = None
    budget: dict[str, Any] | None = None

    @property
    def workflow_id(self) -> str:
        from my_deepagent.workflows.session_types import session_workflow_id

        return session_workflow_id(self.id)

    @property
    def thread_id(self) -> str:
        """The LangGraph thread of the current agent context."""
        return f"session:{self.id}:{self.context}"

    @property
    def is_active(self) -> bool:
        return self.state is SessionState.ACTIVE


class MessageRecord(_Record):
    id: int
    session_id: str
    seq: int
    role: MessageRole
    content: str
    tool_calls: list[dict[str, str]] | None  # [{"name": ..., "args": <shortened text>}]
    token_count: int
    is_summary: bool
    archived: bool
    client_id: str | None
    turn: int | None
    created_at: datetime
