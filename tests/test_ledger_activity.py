"""`update_ledger` in a real activity context on a real database: each update writes its
event once and the state it implies, and repeating it (a retry) changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from my_deepagent.activities.deps import ActivityDeps, open_deps
from my_deepagent.activities.ledger import LedgerActivities
from my_deepagent.domain.binding import bind_roles
from my_deepagent.settings import get_settings
from my_deepagent.store.approvals import list_approvals
from my_deepagent.store.events import list_events
from my_deepagent.store.phases import list_phases
from my_deepagent.store.records import ApprovalState, PhaseState, RunState
from my_deepagent.store.runs import create_run, get_run
from my_deepagent.workflows.run_types import LedgerUpdate, PhasePlan, RunInput

RUN_ID = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
TEMPLATE = "spec-and-review@1"


@pytest.fixture
async def deps(mda_home: Path, tmp_path: Path) -> AsyncIterator[ActivityDeps]:
    """The worker's deps, with one run whose row holds its input (as `mda start` writes it)."""
    async with open_deps(get_settings()) as deps:
        template = deps.catalog.template(TEMPLATE)
        bindings = bind_roles(template, deps.catalog, offline=True)
        run_input = RunInput(
            run_id=RUN_ID,
            template_ref=template.ref,
            template_hash=template.hash,
            bindings=bindings,
            phases=tuple(
                PhasePlan(
                    key=phase.key,
                    role=phase.role,
                    persona_ref=bindings.persona_ref(phase.role),
                    persona_hash="unused",
                    approval=phase.approval.required,
                )
                for phase in template.phases
            ),
            repo_path=str(tmp_path),
            base_branch="main",
        )
        await create_run(
            deps.db,
            run_id=RUN_ID,
            repo_path=tmp_path,
            base_branch="main",
            template_ref=template.ref,
            bindings=run_input.model_dump(mode="json"),
        )
        yield deps


async def update(deps: ActivityDeps, **fields: object) -> bool:
    result: bool = await ActivityEnvironment().run(
        LedgerActivities(deps).update_ledger, LedgerUpdate(run_id=RUN_ID, **fields)
    )
    return result


async def test_an_update_writes_its_event_and_state_once(deps: ActivityDeps) -> None:
    started = {"event": "run.started", "key_part": "g0", "run_state": "running"}
    assert await update(deps, **started, payload={"branch": "mda/run-0b1c2d3e"}) is True
    assert await update(deps, **started, payload={"branch": "mda/run-0b1c2d3e"}) is False

    phase = {"event": "phase.started", "key_part": "g0", "phase_key": "review", "round": 1}
    assert await update(deps, **phase, phase_state="running") is True
    assert await update(deps, **phase, phase_state="running") is False

    run = await get_run(deps.db, RUN_ID)
    assert run is not None and run.state is RunState.RUNNING
    [row] = await list_phases(deps.db, RUN_ID)
    template = deps.catalog.template(TEMPLATE)
    assert row.state is PhaseState.RUNNING
    assert row.position == [p.key for p in template.phases].index("review")
    reviewer = RunInput.model_validate(run.bindings).phases[row.position].persona_ref
    assert row.persona_ref == reviewer
    assert row.model == deps.catalog.persona(reviewer).model

    events = await list_events(deps.db, RUN_ID)
    assert [e.type.value for e in events] == ["run.started", "phase.started"]
    assert events[0].payload == {"branch": "mda/run-0b1c2d3e"}
    assert events[1].idempotency_key == f"{RUN_ID}:phase.started:phase=review:round=1:g0"


async def test_approval_events_keep_the_gate_rows(deps: ActivityDeps) -> None:
    gate = {"phase_key": "spec", "round": 1, "key_part": "g0"}
    await update(
        deps, event="approval.requested", run_state="awaiting_approval", **gate,
        payload={"gate_id": "spec:1"},
    )  # fmt: skip
    decided = {"gate_id": "spec:1", "text": "add error cases", "source": "cli"}
    for _ in range(2):
        await update(
            deps, event="approval.changes_requested", run_state="running", **gate,
            payload=decided,
        )  # fmt: skip
    [approval] = await list_approvals(deps.db, RUN_ID)
    assert approval.gate == "spec:1"
    assert approval.state is ApprovalState.CHANGES_REQUESTED
    assert approval.feedback == "add error cases"
    assert approval.source == "cli"
    run = await get_run(deps.db, RUN_ID)
    assert run is not None and run.state is RunState.RUNNING
    assert len(await list_events(deps.db, RUN_ID)) == 2


async def test_a_terminal_state_keeps_the_reason(deps: ActivityDeps) -> None:
    await update(deps, event="run.failed", key_part="g0", run_state="failed", payload={
        "reason": "phase spec: the artifact is still invalid"
    })  # fmt: skip
    run = await get_run(deps.db, RUN_ID)
    assert run is not None and run.state is RunState.FAILED
    assert run.error == "phase spec: the artifact is still invalid"
    assert run.finished_at is not None


async def test_an_unknown_event_fails_without_retrying(deps: ActivityDeps) -> None:
    with pytest.raises(ApplicationError) as failure:
        await update(deps, event="run.exploded")
    assert failure.value.non_retryable
    assert await list_events(deps.db, RUN_ID) == []
