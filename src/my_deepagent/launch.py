"""Starting a run: from what the user typed to a `RunWorkflow` execution.

Everything that can be wrong with the input is checked before anything is created
(template, personas, repository, base branch, requirements), so a bad command leaves
nothing half-made: no run row, no worktree, no workflow. The run row is created
before the workflow starts, which is where the one-active-run rule is enforced;
if the workflow then cannot start, the row is marked failed.

A fork (`plan_fork`, `mda runs fork`) is a new run built on the resume mechanism:
the phases before the one forked from are its `skip_phases`, their artifacts and the
commit that holds them come from the parent run's ledger, and its branch starts at
that commit.

The CLI (`mda start`, `mda resume`, `mda runs fork`) and, later, the HTTP API call
these functions.
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
    from my_deepagent.store.records import ArtifactRecord, EventRecord, RunRecord
    from my_deepagent.workflows.run_types import PhasePlan, ReusedArtifact, RunInput

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
    # A fork's phases taken from its parent are done too (their rows are `skipped`).
    done = {p.phase_key for p in phases if p.state in (PhaseState.COMPLETED, PhaseState.SKIPPED)}
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


@dataclass(frozen=True)
class ForkRequest:
    """What `mda runs fork` was asked: the phase to start again at, and what changes."""

    from_phase: str
    requirements: str | None = None
    """None: the parent's."""
    personas: tuple[str, ...] = ()
    budget_usd: Decimal | None = None


async def plan_fork(
    db: Database, catalog: Catalog, parent: RunRecord, request: ForkRequest, run_id: str
) -> tuple[RunInput, str]:
    """The input and requirements of a new run that starts `parent` again at
    `request.from_phase`; nothing is created here.

    The phases before it are skipped, taking the parent's last valid artifact of each
    (from a completed run or a failed one) and the commit that holds them: the fork's
    branch starts there. From the first phase there is nothing to take: the branch
    starts at the base branch's tip, as a new run with the parent's input would. The
    template, bindings, approvals and offline mode are the parent's; `--persona`
    rebinds roles (for the phases that run) as `mda start --persona` binds them.
    """
    from my_deepagent.domain.binding import Bindings, bind_roles, check_pinned, parse_overrides
    from my_deepagent.git import resolve_repo
    from my_deepagent.git.repo import check_commit
    from my_deepagent.workflows.run_types import ForkOrigin, RunInput

    previous = RunInput.model_validate(parent.bindings)
    keys = [plan.key for plan in previous.phases]
    if request.from_phase not in keys:
        raise MdaError(
            msg(
                "runs.fork_unknown_phase",
                phase=repr(request.from_phase),
                template=previous.template_ref,
                phases=", ".join(keys),
            )
        )
    start = keys.index(request.from_phase)
    earlier, later = previous.phases[:start], previous.phases[start:]
    template = catalog.template(previous.template_ref)
    overrides = parse_overrides(request.personas)
    roles = previous.bindings.roles
    if overrides:
        fresh = bind_roles(template, catalog, overrides, offline=previous.offline).roles
        roles = tuple(
            next(b for b in fresh if b.role == r.role) if r.role in overrides else r for r in roles
        )
    bindings = previous.bindings.model_copy(update={"roles": roles})
    running = Bindings(
        template_ref=bindings.template_ref,
        template_hash=bindings.template_hash,
        roles=tuple(b for b in roles if b.role in {plan.role for plan in later}),
    )
    check_pinned(running, catalog)  # the template, and the personas of the phases that run
    _check_model_access(running, catalog)
    reused = await _reused_artifacts(db, parent, earlier)
    commit = reused[-1].commit if reused else None
    if commit is not None:
        repo = resolve_repo(parent.repo_path)
        check_commit(repo, commit)
        await _check_commit_holds(db, repo.root, parent, commit, reused)
    requirements = request.requirements if request.requirements is not None else parent.requirements
    run_input = previous.model_copy(
        update={
            "run_id": run_id,
            "bindings": bindings,
            "phases": (*earlier, *(_rebound(plan, bindings) for plan in later)),
            "skip_phases": tuple(plan.key for plan in earlier),
            "resume_count": 0,
            "first_round": 1,
            "budget": _resumed_caps(previous, request.budget_usd),
            "language": language(),
            "fork": ForkOrigin(
                parent_run=parent.id,
                from_phase=request.from_phase,
                commit=commit,
                reused=reused,
            ),
        }
    )
    return RunInput.model_validate(run_input.model_dump()), requirements


def _rebound(plan: PhasePlan, bindings: Bindings) -> PhasePlan:
    binding = next(b for b in bindings.roles if b.role == plan.role)
    return plan.model_copy(
        update={"persona_ref": binding.persona_ref, "persona_hash": binding.persona_hash}
    )


async def _reused_artifacts(
    db: Database, parent: RunRecord, phases: tuple[PhasePlan, ...]
) -> tuple[ReusedArtifact, ...]:
    """Each phase's last valid artifact in `parent` (of its last round that completed,
    or that the parent itself took from its own parent) and the commit holding it."""
    from my_deepagent.store.artifacts import list_artifacts
    from my_deepagent.store.events import list_events
    from my_deepagent.store.phases import list_phases
    from my_deepagent.store.records import PhaseState
    from my_deepagent.workflows.run_types import ReusedArtifact

    rows = await list_phases(db, parent.id)
    artifacts = await list_artifacts(db, parent.id)
    events = await list_events(db, parent.id)
    found: list[ReusedArtifact] = []
    for plan in phases:
        done = sorted(
            (
                row.round
                for row in rows
                if row.phase_key == plan.key
                and row.state in (PhaseState.COMPLETED, PhaseState.SKIPPED)
            ),
            reverse=True,
        )
        artifact = next(
            (a for round in done if (a := _final_valid(artifacts, plan.key, round)) is not None),
            None,
        )
        if artifact is None:
            raise MdaError(msg("runs.fork_no_artifact", run=parent.id[:12], phase=plan.key))
        commit = _artifact_commit(events, plan.key, artifact.sha256)
        if commit is None:
            raise MdaError(msg("runs.fork_no_commit", run=parent.id[:12], phase=plan.key))
        found.append(
            ReusedArtifact(
                phase_key=plan.key,
                round=artifact.round,
                revision=artifact.revision,
                sha256=artifact.sha256,
                commit=commit,
            )
        )
    return tuple(found)


async def _check_commit_holds(
    db: Database, root: Path, parent: RunRecord, commit: str, reused: tuple[ReusedArtifact, ...]
) -> None:
    """The fork's start commit holds every reused artifact as the parent validated it
    (its body at its path): the later phases read them from the files, not the table."""
    from my_deepagent.git.runner import run_git
    from my_deepagent.store.artifacts import body_digest, list_artifacts

    rows = {(a.phase_key, a.round, a.revision): a for a in await list_artifacts(db, parent.id)}
    for item in reused:
        artifact = rows[(item.phase_key, item.round, item.revision)]
        shown = run_git(["cat-file", "blob", f"{commit}:{artifact.path}"], cwd=root, check=False)
        if shown.returncode != 0 or body_digest(shown.stdout)[0] != artifact.sha256:
            raise MdaError(
                msg(
                    "runs.fork_commit_lacks_artifact",
                    commit=commit[:12],
                    path=artifact.path,
                    phase=item.phase_key,
                    run=parent.id[:12],
                )
            )


def _final_valid(
    artifacts: list[ArtifactRecord], phase_key: str, round: int
) -> ArtifactRecord | None:
    valid = [a for a in artifacts if (a.phase_key, a.round) == (phase_key, round) and a.valid]
    return max(valid, key=lambda a: a.revision, default=None)


def _artifact_commit(events: list[EventRecord], phase_key: str, sha256: str) -> str | None:
    """The commit the run recorded for this artifact: its `artifact.validated` event, or
    the `phase.skipped` one of a fork that took it from its own parent (the latest)."""
    from my_deepagent.store.records import EventType

    kinds = (EventType.ARTIFACT_VALIDATED, EventType.PHASE_SKIPPED)
    for event in reversed(events):
        commit = event.payload.get("commit")
        if (
            event.type in kinds
            and event.phase_key == phase_key
            and event.payload.get("sha256") == sha256
            and isinstance(commit, str)
            and commit
        ):
            return commit
    return None
