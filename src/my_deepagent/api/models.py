"""Every body the HTTP API reads or writes: pydantic models that refuse unknown fields.

Responses are built from the same records and views the CLI prints (`run_view`,
the store's records), so `mda runs show --json` and `GET /api/runs/{id}` say the
same thing. Text a person typed has a size cap here, before it reaches anything.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 256 * 1024
"""The largest requirements, message, feedback or comment the API takes (characters)."""
MAX_LINE = 2000
"""The largest one-line field: a template id, a path, a gate id."""


class Body(BaseModel):
    """A request or response body: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Problem(Body):
    """What every error answers: one line that names the fix."""

    error: str


class Health(Body):
    status: Literal["ok"]
    version: str


# --- runs ---------------------------------------------------------------------


class RunSummary(Body):
    run_id: str
    workflow_id: str
    state: str
    template: str
    repo: str
    base: str
    error: str | None
    created_at: str
    finished_at: str | None


class RunList(Body):
    runs: list[RunSummary]


class PhaseView(Body):
    key: str
    state: str
    round: int


class GateView(Body):
    gate_id: str
    phase: str
    round: int
    changes_left: int


class BudgetView(Body):
    scope: str
    cap_usd: str
    spent_usd: str
    needed_usd: str
    policy: str
    suggested_usd: str


class RunDetail(RunSummary):
    parent_run: str | None
    """The run this one was forked from (`mda runs fork`), else null."""
    forked_from: str | None
    """The phase of `parent_run` this run started again at."""
    phases: list[PhaseView]
    pending_gate: GateView | None
    pending_budget: BudgetView | None
    web_ui: str


class StartRun(Body):
    template: str = Field(min_length=1, max_length=MAX_LINE)
    repo: str = Field(min_length=1, max_length=MAX_LINE)
    requirements: str = Field(min_length=1, max_length=MAX_TEXT)
    base: str | None = Field(default=None, min_length=1, max_length=MAX_LINE)
    personas: list[str] = Field(default_factory=list, max_length=50)
    """Role bindings, `ROLE=ID[@VERSION]`, as `mda start --persona` takes them."""
    offline: bool = False
    budget_usd: str | None = Field(default=None, min_length=1, max_length=40)


class RunStarted(Body):
    run_id: str
    workflow_id: str
    web_ui: str


class Approve(Body):
    gate: str | None = Field(default=None, min_length=1, max_length=MAX_LINE)
    comment: str | None = Field(default=None, max_length=MAX_TEXT)


class Reject(Body):
    gate: str | None = Field(default=None, min_length=1, max_length=MAX_LINE)
    reason: str | None = Field(default=None, max_length=MAX_TEXT)


class RequestChanges(Body):
    gate: str | None = Field(default=None, min_length=1, max_length=MAX_LINE)
    feedback: str = Field(min_length=1, max_length=MAX_TEXT)


class Abort(Body):
    reason: str | None = Field(default=None, max_length=MAX_TEXT)


class RaiseCap(Body):
    usd: str = Field(min_length=1, max_length=40)
    scope: Literal["run", "session", "day", "persona_day"] | None = None


class Done(Body):
    """What a decision or a change did, as the CLI says it."""

    message: str


class EventView(Body):
    id: int
    type: str
    phase: str | None
    payload: dict[str, Any]
    at: str


class EventList(Body):
    events: list[EventView]


class ArtifactView(Body):
    phase: str
    round: int
    revision: int
    path: str
    sha256: str
    valid: bool | None
    errors: list[str]
    content: Any
    """The artifact's JSON document, parsed (null when it is not valid JSON)."""


class ArtifactList(Body):
    artifacts: list[ArtifactView]


# --- personas, templates, prices, budget, stats -----------------------------------


class Source(Body):
    origin: str
    path: str | None


class PersonaView(Body):
    ref: str
    hash: str
    provider: str
    source: Source
    definition: dict[str, Any]
    """The persona as its YAML file defines it."""


class PersonaList(Body):
    personas: list[PersonaView]


class TemplateView(Body):
    ref: str
    hash: str
    source: Source
    definition: dict[str, Any]


class TemplateList(Body):
    templates: list[TemplateView]


class PriceView(Body):
    model: str
    known: bool
    input_per_mtok: str | None = None
    output_per_mtok: str | None = None
    cached_input_per_mtok: str | None = None
    origin: str | None = None
    source: str | None = None
    as_of: str | None = None
    fetched_at: str | None = None
    age_days: int | None = None


class PriceList(Body):
    prices: list[PriceView]


class SpendingLine(Body):
    scope: str
    name: str
    spent_usd: str
    cap_usd: str | None
    policy: str | None
    left_usd: str | None


class Spending(Body):
    lines: list[SpendingLine]


class StatLine(Body):
    key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: str
    unpriced_calls: int


class Stats(Body):
    by: str
    lines: list[StatLine]


# --- sessions -------------------------------------------------------------------


class SessionSummary(Body):
    session_id: str
    state: str
    title: str | None
    persona: str
    model: str
    repo: str
    turns: int
    context_tokens: int
    input_tokens: int
    output_tokens: int
    created_at: str
    last_message_at: str | None
    unconfined_since: str | None


class SessionList(Body):
    sessions: list[SessionSummary]


class MessageView(Body):
    seq: int
    role: str
    content: str
    tool_calls: list[dict[str, str]] | None
    token_count: int
    is_summary: bool
    archived: bool
    created_at: str


class SessionDetail(SessionSummary):
    spent_usd: str
    budget: dict[str, Any]
    budget_gate: dict[str, Any] | None
    messages: list[MessageView]


class NewSession(Body):
    repo: str = Field(min_length=1, max_length=MAX_LINE)
    agent: str | None = Field(default=None, min_length=1, max_length=MAX_LINE)
    model: str | None = Field(default=None, min_length=1, max_length=MAX_LINE)
    offline: bool = False
    budget_usd: str | None = Field(default=None, min_length=1, max_length=40)


class SessionCreated(Body):
    session_id: str
    notes: list[str]


class SendMessage(Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """Sending the same id again answers with the first answer, not a second turn."""


class TurnReply(Body):
    session_id: str
    reply: str
    turn: int
    seq: int
    duplicate: bool
    cancelled: bool
    usage: dict[str, Any]
    context_tokens: int
    compaction: dict[str, Any] | None
    warnings: list[str]
    notes: list[str]
    """Lines for the person: a secret replaced in the message, a cap reached."""


class Ended(Body):
    session_id: str
    ended: bool
    """False when it had ended before."""


class Report(Body):
    """The run's report document, as `mda report --format json` prints it."""

    report_version: int
    run: dict[str, Any]
    phases: list[dict[str, Any]]
    totals: dict[str, Any]
    events: list[dict[str, Any]]
