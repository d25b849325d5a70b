"""The boundary types of a run: workflow input, signals, query, activity inputs and
results. Pure pydantic (no I/O, no clock), so the workflow sandbox can pass them
through and the activities, the client and the CLI share one definition.

Payloads stay small: ids, refs, paths and counters. Requirements, artifact bodies and
conversations live in mda's database, the worktree and the checkpointer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from my_deepagent.catalogue import Language
from my_deepagent.domain.binding import Bindings
from my_deepagent.domain.budget import BudgetCaps, BudgetGate

RUN_WORKFLOW = "RunWorkflow"
RAISE_BUDGET_SIGNAL = "raise_budget"
"""The signal that raises a cap a run or a session waits on (`RaiseBudgetSignal`)."""
MAX_CHANGE_ROUNDS = 3
"""A phase runs at most this many rounds: the first, plus two after request_changes."""


def run_workflow_id(run_id: str) -> str:
    return f"run-{run_id}"


RunStateName = Literal["running", "awaiting_approval", "completed", "failed", "rejected", "aborted"]
PhaseStateName = Literal[
    "pending", "running", "validating", "awaiting_approval", "completed", "failed", "skipped"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Lenient(BaseModel):
    """Signal bodies: people type them in the Temporal UI, so unknown keys are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# --- the workflow's input -------------------------------------------------------


class PhasePlan(_Frozen):
    """What the workflow needs to know of a template phase to order it (no prompts)."""

    key: str
    role: str
    persona_ref: str
    persona_hash: str
    approval: bool = False
    approval_timeout_s: float | None = None
    on_timeout: Literal["reject", "abort"] = "reject"


class ReusedArtifact(_Frozen):
    """A phase a fork takes from its parent run: where the parent's artifact row is
    (phase, round, revision), its sha256, and the branch commit that holds it."""

    phase_key: str
    round: int
    revision: int
    sha256: str
    commit: str


class ForkOrigin(_Frozen):
    """Where a forked run (`mda runs fork`) comes from.

    It lives in the run's input, which `runs.bindings` keeps, rather than in columns of
    its own: the workflow needs it anyway (its branch's start commit, the skipped
    phases' sources), `mda runs show` and the report read the run's input already, and
    nothing looks runs up by their parent. So no migration, and one record of it.
    """

    parent_run: str
    from_phase: str
    commit: str | None = None
    """The parent's commit holding the artifacts of the phases before `from_phase`, where
    the fork's branch starts; None from the first phase (the base branch's tip, as for
    a new run)."""
    reused: tuple[ReusedArtifact, ...] = ()
    """The phases before `from_phase`, in order: skipped, their artifacts the parent's."""

    def reused_artifact(self, phase_key: str) -> ReusedArtifact | None:
        return next((r for r in self.reused if r.phase_key == phase_key), None)


class RunInput(_Frozen):
    run_id: str
    template_ref: str
    template_hash: str
    bindings: Bindings
    phases: tuple[PhasePlan, ...]
    repo_path: str
    base_branch: str
    auto_approve: bool = False
    offline: bool = False
    skip_phases: tuple[str, ...] = ()
    """Phases a resumed run takes from the earlier execution (their artifacts exist), or a
    fork from its parent (`fork.reused`)."""
    resume_count: int = 0
    first_round: int = Field(default=1, ge=1)
    """A resumed run numbers its rounds on from the earlier executions', so its threads,
    gates, phase rows and artifacts never overwrite theirs."""
    budget: BudgetCaps = BudgetCaps()
    """The caps the run started with (config and `--budget-usd`)."""
    language: Language = "en"
    """The language of the person who started the run: its markdown report's (English
    for runs started before runs recorded one)."""
    fork: ForkOrigin | None = None
    """Set on a run forked from another one's phase (its phases before it are skipped)."""


def fork_origin(bindings: dict[str, Any]) -> ForkOrigin | None:
    """The fork origin recorded in a run's input snapshot (`runs.bindings`), if any."""
    found = bindings.get("fork")
    if not isinstance(found, dict):
        return None
    try:
        return ForkOrigin.model_validate(found)
    except ValidationError:
        return None


# --- signals (each one JSON object; `gate_id` omitted means the pending gate) ----


MAX_SIGNAL_TEXT = 8192
"""Feedback, comments and reasons are cut to this many characters: they are copied
into history (the signal, the next phase's input, the ledger event)."""


def _clip(value: str | None) -> str | None:
    return value[:MAX_SIGNAL_TEXT] if value is not None else None


class ApproveSignal(_Lenient):
    gate_id: str | None = None
    comment: Annotated[str | None, AfterValidator(_clip)] = None


class RejectSignal(_Lenient):
    gate_id: str | None = None
    reason: Annotated[str | None, AfterValidator(_clip)] = None


class RequestChangesSignal(_Lenient):
    gate_id: str | None = None
    feedback: Annotated[str, AfterValidator(lambda v: v[:MAX_SIGNAL_TEXT])] = ""


class AbortSignal(_Lenient):
    reason: Annotated[str | None, AfterValidator(_clip)] = None


# --- the `status` query ---------------------------------------------------------


class PendingGate(_Frozen):
    gate_id: str
    phase: str
    round: int
    changes_left: int = MAX_CHANGE_ROUNDS - 1
    """How many more request_changes this phase takes; 0: approve or reject it."""


class PhaseStatus(_Frozen):
    key: str
    state: PhaseStateName
    round: int = 0


class RunStatus(_Frozen):
    run_id: str
    state: RunStateName
    phases: tuple[PhaseStatus, ...]
    pending_gate: PendingGate | None = None
    pending_budget: BudgetGate | None = None
    """A model call waiting for a `raise_budget` signal (or `abort`)."""
    error: str | None = None


# --- activities -----------------------------------------------------------------


class PrepareRunInput(_Frozen):
    run_id: str
    repo_path: str
    base_branch: str
    start_commit: str | None = None
    """Where a new branch starts instead of the base branch's tip (a fork's)."""


class PreparedRun(_Frozen):
    worktree: str
    """The worktree on the worker that prepared the run. The activities that work in
    the run's files use their own worker's (`attach_run_worktree`); this path is kept
    in the payloads for the histories of earlier runs and for people reading them."""
    branch: str


class PhaseInput(_Frozen):
    """One agent invocation: a phase round's task, or its repair turn."""

    run_id: str
    phase_key: str
    round: int = Field(ge=1)
    kind: Literal["task", "repair"] = "task"
    worktree: str
    template_ref: str
    template_hash: str | None = None
    """The template as the run pinned it; a changed file fails the phase."""
    persona_ref: str
    persona_hash: str
    feedback: str | None = None
    """The reviewer's request_changes feedback this round answers."""
    errors: tuple[str, ...] = ()
    """Validation errors a repair turn must fix."""
    budget: BudgetCaps = BudgetCaps()

    @property
    def thread_id(self) -> str:
        return f"run:{self.run_id}:phase:{self.phase_key}:{self.round}"


class Usage(_Frozen):
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0


class PhaseResult(_Frozen):
    usage: Usage
    resumed: bool = False
    """True when the attempt continued a thread from its last checkpoint."""


class ValidateInput(_Frozen):
    run_id: str
    phase_key: str
    round: int
    revision: int = 0
    worktree: str
    template_ref: str
    template_hash: str | None = None


class ArtifactRef(_Frozen):
    path: str
    sha256: str
    size: int


class ValidationResult(_Frozen):
    valid: bool
    artifact: ArtifactRef | None = None
    """None when the agent wrote no file at the artifact path."""
    errors: tuple[str, ...] = ()
    commit: str | None = None
    """The run branch's commit that holds a valid artifact (what a fork starts from)."""


class LedgerUpdate(_Frozen):
    """One run event, plus the run and phase state it implies, in one transaction."""

    run_id: str
    event: str
    key_part: str = ""
    phase_key: str | None = None
    round: int | None = None
    run_state: str | None = None
    phase_state: str | None = None
    payload: dict[str, str | int | bool | None] = Field(default_factory=dict)


class ReportInput(_Frozen):
    run_id: str
    language: Language = "en"
    """The markdown report's language; the JSON document is the same in every one."""


class ReportPaths(_Frozen):
    json_path: str
    markdown_path: str
