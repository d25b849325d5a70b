"""Starting a run: from what the user typed to a `RunWorkflow` execution.

Everything that can be wrong with the input is checked before anything is created
(template, personas, repository, base branch, requirements), so a bad command leaves
nothing half-made: no run row, no worktree, no workflow. The run row is created
before the workflow starts, which is where the one-active-run rule is enforced;
if the workflow then cannot start, the row is marked failed.

The CLI (`mda start`, `mda resume`) and, later, the HTTP API call these functions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from my_deepagent.catalogue import language, msg
from my_deepagent.errors import MdaError
from my_deepagent.scrub import REDACTED, scrub

if TYPE_CHECKING:
    from temporalio.client import Client

    from my_deepagent.domain.binding import Bindings
    from my_deepagent.domain.budget import BudgetCaps, Policy
    from my_deepagent.domain.catalog import Catalog
    from my_deepagent.domain.template import Template
    from my_deepagent.store.database import Database
    from my_deepagent.store.records import RunRecord
    from my_deepagent.workflows.run_types import RunInput

MAX_REQUIREMENTS_BYTES = 256 * 1024


@dataclass(frozen=True)
class RunRequest:
    """What `mda start` was asked, before any check."""

    template: str
    repo: Path
    requirements: str
    base: str | None = None
    personas: tuple[str, ...] = ()
    offline: bool = False
    auto_approve: bool = False
    budget_usd: Decimal | None = None
    budget_policy: Policy | None = None


def read_requirements(text: str | None, file: Path | None) -> str:
    """`-r TEXT` or `--requirements-file F` (exactly one), at most 256 KiB, with any
    secret in them replaced (a line on stderr says so): no model, record or history
    of the run ever holds a key."""
    if text is not None and file is not None:
        raise MdaError(msg("runs.requirements_twice"))
    if file is not None:
        text = _read_requirements_file(file)
    if text is None or not text.strip():
        raise MdaError(msg("runs.no_requirements"))
    if len(text.encode()) > MAX_REQUIREMENTS_BYTES:
        raise MdaError(msg("runs.requirements_too_long", kib=MAX_REQUIREMENTS_BYTES // 1024))
    clean = scrub(text)
    if clean != text:
        note = msg("runs.requirements_secret_replaced", redacted=REDACTED)
        sys.stderr.write(msg("cli.note", message=note) + "\n")
    return clean


def _read_requirements_file(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise MdaError(
            msg("runs.requirements_unreadable", file=file, reason=exc.strerror)
        ) from None
    except UnicodeDecodeError:
        raise MdaError(msg("runs.requirements_not_utf8", file=file)) from None


def plan_run(request: RunRequest, catalog: Catalog, run_id: str) -> RunInput:
    """Check the request against the catalog and the repository; the workflow's input."""
    from my_deepagent.domain.binding import bind_roles, parse_overrides
    from my_deepagent.git import check_base_branch, default_base_branch, resolve_repo

    template = catalog.template(request.template)
    bindings = bind_roles(
        template, catalog, parse_overrides(request.personas), offline=request.offline
    )
    _check_model_access(bindings, catalog)
    repo = resolve_repo(request.repo)
    base = request.base or default_base_branch(repo)
    check_base_branch(repo, base)
    return _run_input(template, bindings, run_id, str(repo.root), base, request)


def _check_model_access(bindings: Bindings, catalog: Catalog) -> None:
    """Every persona's provider has the user's consent (`consent`); in embedded mode,
    where the worker is this machine's, a missing key fails now too, in one line.

    With a configured Temporal server the keys live on the operator's workers, which
    this process cannot see.
    """
    from my_deepagent.agents.models import connection
    from my_deepagent.consent import require_consent
    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_config import load_target

    settings = get_settings()
    embedded = load_target().mode == "embedded"
    for binding in bindings.roles:
        spec = catalog.persona(binding.persona_ref).model_spec
        if embedded:
            connection(spec, settings)
        require_consent(spec.provider, settings)


def _run_input(
    template: Template,
    bindings: Bindings,
    run_id: str,
    repo: str,
    base: str,
    request: RunRequest,
) -> RunInput:
    from my_deepagent.budget_caps import configured_caps
    from my_deepagent.settings import get_settings
    from my_deepagent.workflows.run_types import PhasePlan, RunInput

    persona_hash = {b.role: b.persona_hash for b in bindings.roles}
    phases = tuple(
        PhasePlan(
            key=phase.key,
            role=phase.role,
            persona_ref=bindings.persona_ref(phase.role),
            persona_hash=persona_hash[phase.role],
            approval=phase.approval.required,
            approval_timeout_s=phase.approval.timeout_s,
            on_timeout=phase.approval.on_timeout,
        )
        for phase in template.phases
    )
    return RunInput(
        run_id=run_id,
        template_ref=template.ref,
        template_hash=template.hash,
        bindings=bindings,
        phases=phases,
        repo_path=repo,
        base_branch=base,
        auto_approve=request.auto_approve,
        offline=request.offline,
        budget=configured_caps(
            get_settings(), run_usd=request.budget_usd, policy=request.budget_policy
        ),
        language=language(),
    )


async def start_run(
    client: Client, db: Database, run_input: RunInput, requirements: str
) -> RunRecord:
    """Create the run row (one active run per repository and branch, checked here),
    then start its workflow."""
    from my_deepagent.client import start_run as start_run_workflow
    from my_deepagent.store.records import RunState
    from my_deepagent.store.runs import create_run, set_run_state

    record = await create_run(
        db,
        run_id=run_input.run_id,
        repo_path=run_input.repo_path,
        base_branch=run_input.base_branch,
        template_ref=run_input.template_ref,
        requirements=requirements,
        bindings=run_input.model_dump(mode="json"),
    )
    try:
        await start_run_workflow(client, run_input)
    except BaseException as exc:
        error = f"could not start: {exc}"[:500]
        await set_run_state(db, record.id, RunState.FAILED, error=error)
        raise
    return record


RESUMABLE_STATUSES = ("FAILED", "TERMINATED", "CANCELED", "TIMED_OUT")


async def resume_run(
    client: Client,
    db: Database,
    catalog: Catalog,
    record: RunRecord,
    *,
    budget_usd: Decimal | None = None,
) -> bool:
    """Continue `record`: True if a new execution started, False if it is still running.

    A run whose workflow still runs only needs a worker (the caller ensures one). A
    run whose workflow ended failed, terminated, cancelled or timed out starts a new
    execution with the same bindings that skips the phases already completed. A phase
    that a budget cap stopped is continued on its own thread (its round again), so no
    model call it made is made twice; a phase that failed otherwise starts a new round.
    The new execution takes the budget caps of the configuration as it is now, and
    `budget_usd` (else the run's own cap) as the run's cap.
    """
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from my_deepagent.client import run_execution_status
    from my_deepagent.client import start_run as start_run_workflow
    from my_deepagent.domain.binding import check_pinned
    from my_deepagent.store.phases import list_phases
    from my_deepagent.store.records import PhaseState, RunState
    from my_deepagent.store.runs import set_run_bindings, set_run_state
    from my_deepagent.workflows.run_types import RunInput

    status = await run_execution_status(client, record.id)
    if status == WorkflowExecutionStatus.RUNNING:
        return False
    if record.state in (RunState.COMPLETED, RunState.REJECTED) and (
        status is None or status.name not in RESUMABLE_STATUSES
    ):
        raise MdaError(msg("runs.nothing_to_resume", run=record.id[:12], state=record.state.value))
    previous = RunInput.model_validate(record.bindings)
    check_pinned(previous.bindings, catalog)
    phases = await list_phases(db, record.id)
    done = {p.phase_key for p in phases if p.state == PhaseState.COMPLETED}
    stopped = await _budget_stopped_round(db, record.id)
    run_input = previous.model_copy(
        update={
            "skip_phases": tuple(p.key for p in previous.phases if p.key in done),
            "resume_count": previous.resume_count + 1,
            "first_round": stopped or max((p.round for p in phases), default=0) + 1,
            "budget": _resumed_caps(previous, budget_usd),
        }
    )
    await set_run_state(db, record.id, RunState.RUNNING)
    await set_run_bindings(db, record.id, run_input.model_dump(mode="json"))
    try:
        await start_run_workflow(client, run_input)
    except WorkflowAlreadyStartedError:
        return False  # another `mda resume` got there first: it runs, follow it
    except BaseException as exc:
        error = f"could not resume: {exc}"[:500]
        await set_run_state(db, record.id, RunState.FAILED, error=error)
        raise
    return True


async def _budget_stopped_round(db: Database, run_id: str) -> int | None:
    """The round of the phase a `block` cap stopped in the run's last execution."""
    from my_deepagent.store.events import list_events
    from my_deepagent.store.records import EventType

    events = await list_events(db, run_id)
    starts = (EventType.RUN_STARTED, EventType.RUN_RESUMED)
    last = max((i for i, e in enumerate(events) if e.type in starts), default=0)
    for event in reversed(events[last:]):
        if event.type == EventType.BUDGET_EXCEEDED and event.payload.get("policy") != "prompt":
            round = event.payload.get("round_number")
            return round if isinstance(round, int) and round >= 1 else None
    return None


def _resumed_caps(previous: RunInput, budget_usd: Decimal | None) -> BudgetCaps:
    from my_deepagent.budget_caps import configured_caps
    from my_deepagent.settings import get_settings

    caps = configured_caps(get_settings())
    if budget_usd is not None:
        return caps.set(
            "run", budget_usd, previous.budget.run.policy if previous.budget.run else None
        )
    if previous.budget.run is not None:
        return caps.model_copy(update={"run": previous.budget.run})
    return caps
