"""The workflows' decisions at a budget stop, with stub activities under the real names
on an in-process worker (the real `RunWorkflow` and `SessionWorkflow`, the session's
dev server): what a `raise_budget` signal changes, what it ignores, and how an abort
or a cancel ends the wait. End-to-end runs cannot aim at these moments.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError

from my_deepagent.domain.binding import Bindings
from my_deepagent.domain.budget import (
    BUDGET_STOP_TYPE,
    BudgetCaps,
    BudgetGate,
    Cap,
    Policy,
    RaiseBudgetSignal,
    Scope,
)
from my_deepagent.worker import build_worker
from my_deepagent.workflows.run_types import (
    RAISE_BUDGET_SIGNAL,
    RUN_WORKFLOW,
    AbortSignal,
    ArtifactRef,
    LedgerUpdate,
    PhaseInput,
    PhasePlan,
    PhaseResult,
    PreparedRun,
    PrepareRunInput,
    ReportInput,
    ReportPaths,
    RunInput,
    RunStatus,
    Usage,
    ValidateInput,
    ValidationResult,
)
from my_deepagent.workflows.session_types import (
    SESSION_WORKFLOW,
    CancelTurn,
    ChatMessage,
    SessionInput,
    SessionStatus,
    TurnInput,
    TurnOutput,
    TurnResult,
)
from worker_helpers import wait_until


def stop(policy: Policy, scope: Scope = "run", cap: str = "1") -> ApplicationError:
    gate = BudgetGate(
        scope=scope,
        cap_usd=cap,
        spent_usd="0.9",
        needed_usd="0.3",
        policy=policy,
    )
    return ApplicationError(
        f"{gate.describe()}: raise it", gate.model_dump(), type=BUDGET_STOP_TYPE,
        non_retryable=True,
    )  # fmt: skip


@dataclass
class Stubs:
    """The run's and session's activities: the agent stops at the cap until its input
    carries a cap above `fits_above`."""

    policy: Policy
    fits_above: str = "1"
    ledger: list[LedgerUpdate] = field(default_factory=list)
    agent_inputs: list[Any] = field(default_factory=list)

    def fits(self, caps: BudgetCaps, scope: Scope) -> bool:
        cap = caps.cap(scope)
        return cap is not None and cap.amount > Decimal(self.fits_above)

    @activity.defn(name="prepare_run")
    async def prepare_run(self, input: PrepareRunInput) -> PreparedRun:
        return PreparedRun(worktree="/nowhere", branch=f"mda/run-{input.run_id[:8]}")

    @activity.defn(name="run_phase")
    async def run_phase(self, input: PhaseInput) -> PhaseResult:
        self.agent_inputs.append(input)
        if not self.fits(input.budget, "run"):
            raise stop(self.policy)
        return PhaseResult(usage=Usage(model_calls=1))

    @activity.defn(name="validate_artifact")
    async def validate_artifact(self, input: ValidateInput) -> ValidationResult:
        return ValidationResult(valid=True, artifact=ArtifactRef(path="a.json", sha256="0", size=2))

    @activity.defn(name="update_ledger")
    async def update_ledger(self, update: LedgerUpdate) -> bool:
        self.ledger.append(update)
        return True

    @activity.defn(name="write_report")
    async def write_report(self, input: ReportInput) -> ReportPaths:
        return ReportPaths(json_path="r.json", markdown_path="r.md")

    @activity.defn(name="session_turn")
    async def session_turn(self, input: TurnInput) -> TurnOutput:
        self.agent_inputs.append(input)
        if not self.fits(input.budget, "session"):
            raise stop(self.policy, "session")
        return TurnOutput(reply="done", user_seq=input.user_seq, assistant_seq=input.user_seq + 1)

    def events(self) -> list[str]:
        return [u.event for u in self.ledger]


@pytest.fixture
async def queue(temporal_client: Client) -> AsyncIterator[tuple[Client, str, Stubs]]:
    stubs = Stubs(policy="prompt")
    name = f"budget-gates-{uuid.uuid4().hex[:8]}"
    activities: list[Callable[..., Any]] = [
        stubs.prepare_run, stubs.run_phase, stubs.validate_artifact, stubs.update_ledger,
        stubs.write_report, stubs.session_turn,
    ]  # fmt: skip
    async with build_worker(temporal_client, None, task_queue=name, activities=activities):
        yield temporal_client, name, stubs


async def start_run(
    client: Client, queue: str, *, approval: bool = False
) -> WorkflowHandle[Any, RunStatus]:
    run_id = uuid.uuid4().hex
    plan = PhasePlan(key="spec", role="r", persona_ref="p@1", persona_hash="h", approval=approval)
    run_input = RunInput(
        run_id=run_id, template_ref="t@1", template_hash="h",
        bindings=Bindings(template_ref="t@1", template_hash="h", roles=()),
        phases=(plan,), repo_path="/nowhere", base_branch="main",
        budget=BudgetCaps(run=Cap(usd="1", policy="prompt")),
    )  # fmt: skip
    return await client.start_workflow(
        RUN_WORKFLOW, run_input, id=f"run-{run_id}", task_queue=queue, result_type=RunStatus
    )


async def wait_for_status(handle: WorkflowHandle[Any, Any], check: Any, kind: type) -> Any:
    seen: list[Any] = []

    async def poll() -> None:
        while True:
            seen.append(await handle.query("status", result_type=kind))
            if check(seen[-1]):
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), 30)
    return seen[-1]


async def test_a_paused_run_ignores_bad_raises_and_continues_after_a_good_one(
    queue: tuple[Client, str, Stubs],
) -> None:
    client, name, stubs = queue
    handle = await start_run(client, name)
    status = await wait_for_status(handle, lambda s: s.pending_budget is not None, RunStatus)
    assert status.state == "awaiting_approval" and status.pending_budget.scope == "run"
    for bad in [
        RaiseBudgetSignal(scope="week", usd="5"),
        RaiseBudgetSignal(usd="-1"),
        RaiseBudgetSignal(usd="lots"),
        RaiseBudgetSignal(usd="0.5"),  # not above the current $1
        RaiseBudgetSignal(scope="day", usd="5"),  # the run waits on its run cap
    ]:
        await handle.signal(RAISE_BUDGET_SIGNAL, bad)
    await wait_until(lambda: stubs.events().count("budget.raise_ignored") == 5, "5 ignored")
    reasons = [str(u.payload["reason"]) for u in stubs.ledger if u.event == "budget.raise_ignored"]
    assert "unknown budget scope 'week'" in reasons[0]
    assert "must be more than $0" in reasons[1]
    assert "must be an amount in US dollars" in reasons[2]
    assert "must be above the current run cap of $1" in reasons[3]
    assert reasons[4] == "the run waits on its run cap, not day"
    assert (await handle.query("status", result_type=RunStatus)).pending_budget is not None

    await handle.signal(RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(usd="3"))
    final = await asyncio.wait_for(handle.result(), 30)
    assert final.state == "completed" and final.pending_budget is None
    assert [i.budget.run.usd for i in stubs.agent_inputs] == ["1", "3"]
    assert stubs.events().count("budget.exceeded") == 1
    assert stubs.events().count("budget.raised") == 1


async def test_abort_ends_a_budget_wait(queue: tuple[Client, str, Stubs]) -> None:
    client, name, _ = queue
    handle = await start_run(client, name)
    await wait_for_status(handle, lambda s: s.pending_budget is not None, RunStatus)
    await handle.signal("abort", AbortSignal(reason="too dear"))
    final = await asyncio.wait_for(handle.result(), 30)
    assert final.state == "aborted" and final.error == "too dear"


async def test_a_raise_to_a_run_that_waits_on_no_cap_is_ignored_and_recorded(
    queue: tuple[Client, str, Stubs],
) -> None:
    client, name, stubs = queue
    stubs.fits_above = "0"  # the agent fits: the run reaches its approval gate
    handle = await start_run(client, name, approval=True)
    await wait_for_status(handle, lambda s: s.pending_gate is not None, RunStatus)
    await handle.signal(RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(usd="9"))
    await wait_until(lambda: "budget.raise_ignored" in stubs.events(), "the ignored raise")
    ignored = next(u for u in stubs.ledger if u.event == "budget.raise_ignored")
    assert ignored.payload["reason"] == "the run is not waiting on a budget cap"
    await handle.signal("abort", AbortSignal())
    await asyncio.wait_for(handle.result(), 30)
    assert [i.budget.run.usd for i in stubs.agent_inputs] == ["1"]


async def test_a_block_stop_fails_the_run_with_the_activity_s_message(
    queue: tuple[Client, str, Stubs],
) -> None:
    client, name, stubs = queue
    stubs.policy = "block"
    final = await asyncio.wait_for((await start_run(client, name)).result(), 30)
    assert final.state == "failed"
    assert final.error is not None and "the run's budget of $1.00 is reached" in final.error
    assert len(stubs.agent_inputs) == 1


async def start_session(client: Client, queue: str) -> WorkflowHandle[Any, SessionStatus]:
    session_id = uuid.uuid4().hex
    session_input = SessionInput(
        session_id=session_id, repo_path="/nowhere", project_key="0" * 16, persona_ref="p@1",
        model="scripted:chat", budget=BudgetCaps(session=Cap(usd="1")),
    )  # fmt: skip
    return await client.start_workflow(
        SESSION_WORKFLOW, session_input, id=f"session-{session_id}", task_queue=queue,
        result_type=SessionStatus,
    )  # fmt: skip


def chat(handle: WorkflowHandle[Any, SessionStatus], text: str) -> asyncio.Task[TurnResult]:
    message = ChatMessage(client_id=uuid.uuid4().hex, text=text, size=len(text))
    return asyncio.ensure_future(
        handle.execute_update("chat", message, id=message.client_id, result_type=TurnResult)
    )


async def test_a_waiting_turn_goes_on_after_a_raise_and_resumes_its_thread(
    queue: tuple[Client, str, Stubs],
) -> None:
    client, name, stubs = queue
    handle = await start_session(client, name)
    turn = chat(handle, "hello")
    status = await wait_for_status(handle, lambda s: s.budget_gate is not None, SessionStatus)
    assert status.state == "busy" and status.budget_gate.scope == "session"
    await handle.signal(RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(usd="bad"))  # changes nothing
    await handle.signal(RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(usd="4"))
    result = await asyncio.wait_for(turn, 30)
    assert result.reply == "done" and not result.cancelled
    assert [(i.budget.session.usd, i.resume) for i in stubs.agent_inputs] == [
        ("1", False), ("4", True),
    ]  # fmt: skip
    status = await handle.query("status", result_type=SessionStatus)
    assert status.budget.session == Cap(usd="4") and status.budget_gate is None


async def test_cancelling_a_waiting_turn_ends_it_and_keeps_the_session(
    queue: tuple[Client, str, Stubs],
) -> None:
    client, name, _ = queue
    handle = await start_session(client, name)
    turn = chat(handle, "hello")
    await wait_for_status(handle, lambda s: s.budget_gate is not None, SessionStatus)
    await handle.signal("cancel_turn", CancelTurn())
    result = await asyncio.wait_for(turn, 30)
    assert result.cancelled
    status = await handle.query("status", result_type=SessionStatus)
    assert status.state == "idle" and status.budget_gate is None and status.context == 0
