"""The boundary types of a session: workflow input, updates, query, activity inputs and
results. Pure pydantic, so the workflow sandbox passes them through and the
activities, the client and the CLI share one definition.

Payloads stay small: ids, seqs, counters. A message body travels inline only up to
`MAX_INLINE_BODY_BYTES`; above that the client stores it in `message_bodies` and the
update carries its sha256. A reply comes back inline up to the same size, otherwise
as a preview the client completes from the `messages` table.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from my_deepagent.domain.budget import BudgetCaps, BudgetGate
from my_deepagent.workflows.run_types import Usage

SESSION_WORKFLOW = "SessionWorkflow"
MAX_INLINE_BODY_BYTES = 16 * 1024
MAX_MESSAGE_BYTES = 512 * 1024
TURNS_PER_EXECUTION = 100
"""Continue-as-new after this many turns even if Temporal does not suggest it yet."""

REWIND_UPDATE = "rewind"
"""The update that takes a session back to before one of its turns."""

CANCELLED_REPLY = "(the turn was cancelled)"
"""The assistant row of a turn the user cancelled."""

SessionStateName = Literal["idle", "busy", "ended"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def session_workflow_id(session_id: str) -> str:
    return f"session-{session_id}"


def session_thread_id(session_id: str, context: int) -> str:
    """The LangGraph thread of one agent context of a session."""
    return f"session:{session_id}:{context}"


def turn_message_id(session_id: str, turn: int) -> str:
    """The id of a turn's user message in the agent thread: how a retried turn knows it
    already started."""
    return f"session:{session_id}:turn:{turn}"


class SessionInput(_Frozen):
    """What a session execution starts from; continue-as-new carries the same shape."""

    session_id: str
    repo_path: str
    project_key: str
    persona_ref: str
    model: str
    context: int = 0
    next_seq: int = 0
    turns: int = 0
    visible: int = 0
    """Messages the user sees (not archived), summary included."""
    turns_per_execution: int = Field(default=TURNS_PER_EXECUTION, ge=1)
    budget: BudgetCaps = BudgetCaps()
    """The session's caps (config and `mda chat --budget-usd`, then its raises)."""


# --- updates ------------------------------------------------------------------


class ChatMessage(_Frozen):
    """One user message. `client_id` is also the update id, so a resend is answered once."""

    client_id: str = Field(min_length=1, max_length=64)
    text: str | None = None
    body_ref: str | None = None
    size: int = Field(ge=0)


class AgentChange(_Frozen):
    persona_ref: str
    model: str


class MemoryText(_Frozen):
    text: str


class MemorySlug(_Frozen):
    slug: str


class RewindRequest(_Frozen):
    """Back to before turn `turn`: its conversation (the turns from `turn` on archived,
    a new agent context), its files (the working tree as it was), or both."""

    turn: int = Field(ge=1)
    conversation: bool = True
    files: bool = True
    force: bool = False
    """Rewind the files even over changes made outside the session."""


class CancelTurn(_Frozen):
    client_id: str | None = None
    """The turn to cancel; None cancels whichever turn is running."""


# --- results ------------------------------------------------------------------


class Said(_Frozen):
    """A message by its catalogue key and fields, for the client to say in the person's
    language: the workflow and the worker keep only English. The details of a session's
    refusal have this shape too.

    A field in `said_fields` is itself such a message (an activity's keyed error as the
    `reason` of "compaction failed: {reason}"); `fields` holds its English as well."""

    key: str
    fields: dict[str, str | int] = {}
    said_fields: dict[str, Said] = {}


class CompactionOutcome(_Frozen):
    compacted: bool
    reason: str | None = None
    """Why nothing was compacted (for `/compact`), in English."""
    reason_said: Said | None = None
    """`reason` by its catalogue key, for the client to say in the person's language
    (absent in outcomes recorded before there was one: show `reason`)."""
    archived: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    summary_seq: int | None = None
    context: int = 0
    """The agent context after compaction (bumped when it happened)."""
    visible_after: int = 0
    """Visible messages after compaction: the summary and the kept ones."""


class TurnResult(_Frozen):
    turn: int
    user_seq: int
    assistant_seq: int
    reply: str
    reply_complete: bool = True
    """False when `reply` is a preview: the whole reply is the message at `assistant_seq`."""
    usage: Usage = Usage()
    context_tokens: int = 0
    cancelled: bool = False
    duplicate: bool = False
    """The message id was answered before: this is that answer, not a new turn."""
    compaction: CompactionOutcome | None = None
    warnings: tuple[str, ...] = ()
    """Budget thresholds this turn's calls passed, one line each."""


class RewindFilesOutput(_Frozen):
    undo_ref: str
    """The working tree as it was just before the rewind."""
    written: int
    deleted: int


class RewindConversationOutput(_Frozen):
    visible: int
    archived: int
    restored: int
    """Messages visible again (those a later compaction or clear had archived)."""


class RewindResult(_Frozen):
    turn: int
    context: int
    files: RewindFilesOutput | None = None
    conversation: RewindConversationOutput | None = None


class MemoryResult(_Frozen):
    slug: str
    file_name: str


class SessionStatus(_Frozen):
    session_id: str
    state: SessionStateName
    persona_ref: str
    model: str
    context: int
    turns: int
    queued: int
    """Messages waiting behind the running turn."""
    current_client_id: str | None = None
    budget: BudgetCaps = BudgetCaps()
    budget_gate: BudgetGate | None = None
    """The running turn waits for a `raise_budget` signal (or `cancel_turn`)."""


# --- activity inputs and outputs ----------------------------------------------


class TurnInput(_Frozen):
    session_id: str
    repo_path: str
    project_key: str
    persona_ref: str
    model: str
    context: int
    turn: int
    user_seq: int
    message: ChatMessage
    budget: BudgetCaps = BudgetCaps()
    resume: bool = False
    """Continue the turn's thread (it stopped at a budget cap and the cap was raised)."""


class TurnOutput(_Frozen):
    reply: str
    reply_complete: bool = True
    user_seq: int
    assistant_seq: int
    usage: Usage = Usage()
    context_tokens: int = 0
    compact_at_tokens: int = 0
    """Above this many context tokens the workflow compacts (threshold x window)."""
    duplicate: bool = False
    cancelled: bool = False
    answered_turn: int | None = None
    """For a duplicate: the turn that answered the message first."""
    warnings: tuple[str, ...] = ()


class CompactInput(_Frozen):
    session_id: str
    model: str
    context: int
    summary_seq: int


class ContextInput(_Frozen):
    session_id: str
    context: int
    """The agent context the next turn uses."""
    marker_seq: int | None = None
    """/clear: where its marker row goes."""


class RewindFilesInput(_Frozen):
    session_id: str
    repo_path: str
    turn: int
    force: bool
    stamp: str
    """Names the ref of the working tree before the rewind (the workflow's clock)."""


class RewindConversationInput(_Frozen):
    session_id: str
    turn: int
    context: int
    """The new agent context."""
    marker_seq: int


class SwitchInput(_Frozen):
    session_id: str
    change: AgentChange
    context: int


class MemoryWrite(_Frozen):
    session_id: str
    project_key: str
    remember: str | None = None
    forget: str | None = None


class EndInput(_Frozen):
    session_id: str
