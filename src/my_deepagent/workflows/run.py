"""`RunWorkflow` (id `run-<uuid>`): the phases of one run, in order, with their gates.

It decides and remembers; activities do the I/O. For each phase round it asks an
agent activity to write the artifact (`run_phase`), validates it
(`validate_artifact`), gives one repair turn on the same thread when it is invalid,
then holds at the template's approval gate. Every transition is a ledger row written
by a local activity with a deterministic key, so a replayed or retried step never
writes twice. No conversation, requirement or artifact body passes through here.

A resumed run skips the phases an earlier execution completed; a forked run
(`RunInput.fork`) skips the phases before the one it was forked from, its branch
starting at the parent's commit that holds their artifacts, and each `phase.skipped`
names the parent and the artifact, which the ledger records for the fork.

Approvals are signals carrying one JSON object (`gate_id` omitted means the pending
gate), so `mda approve`, the Temporal Web UI's Send Signal form and
`temporal workflow signal --name approve --input '{}'` all work. A decision for a gate
that is not pending is recorded as ignored and changes nothing. `abort` cancels the
activity in flight; the agent activity is waited for until it has stopped, so once a
run shows aborted its agent no longer calls a model or writes to the worktree.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError
from temporalio.workflow import ActivityCancellationType

from my_deepagent.workflows.policies import (
    AGENT_HEARTBEAT,
    AGENT_RETRY,
    AGENT_TIMEOUT,
    IO_RETRY,
    IO_TIMEOUT,
    LEDGER_TIMEOUT,
    failure_message,
)

with workflow.unsafe.imports_passed_through():
    from my_deepagent.domain.budget import (
        BudgetCaps,
        BudgetError,
        BudgetGate,
        RaiseBudgetSignal,
        parse_scope,
        parse_usd,
    )
    from my_deepagent.store.records import EventType, PhaseState, RunState
    from my_deepagent.workflows.budget_pause import budget_gate
    from my_deepagent.workflows.run_types import (
        MAX_CHANGE_ROUNDS,
        RAISE_BUDGET_SIGNAL,
        RUN_WORKFLOW,
        AbortSignal,
        ApproveSignal,
        LedgerUpdate,
        PendingGate,
        PhaseInput,
        PhasePlan,
        PhaseResult,
        PhaseStateName,
        PhaseStatus,
        PreparedRun,
        PrepareRunInput,
        RejectSignal,
        ReportInput,
        ReportPaths,
        RequestChangesSignal,
        RunInput,
        RunStateName,
        RunStatus,
        ValidateInput,
        ValidationResult,
    )

T = TypeVar("T")

MAX_REPAIR_ERRORS = 20

Decision = Literal["approve", "reject", "request_changes"]


@dataclass(frozen=True)
class _Decision:
    kind: Decision
    gate_id: str
    text: str | None


class _Aborted(Exception):
    """Raised inside the workflow when an `abort` signal arrives."""


class _PhaseFailed(Exception):
    """A phase cannot produce a valid artifact; the run fails."""


@workflow.defn(name=RUN_WORKFLOW)
class RunWorkflow:
    @workflow.init
    def __init__(self, input: RunInput) -> None:
        self._input = input
        self._state: RunStateName = "running"
        self._phases: dict[str, PhaseStatus] = {
            plan.key: PhaseStatus(key=plan.key, state="pending") for plan in input.phases
        }
        self._pending: PendingGate | None = None
        self._decision: _Decision | None = None
        self._abort: AbortSignal | None = None
        self._error: str | None = None
        self._ignored = 0
        self._caps: BudgetCaps = input.budget
        self._budget_gate: BudgetGate | None = None
        self._raised: BudgetCaps | None = None
        self._budget_stops = 0

    # --- the run --------------------------------------------------------------

    @workflow.run
    async def run(self, input: RunInput) -> RunStatus:
        try:
            prepared = await self._interruptible(
                workflow.execute_activity(
                    "prepare_run",
                    PrepareRunInput(
                        run_id=input.run_id,
                        repo_path=input.repo_path,
                        base_branch=input.base_branch,
                        start_commit=input.fork.commit if input.fork else None,
                    ),
                    result_type=PreparedRun,
                    start_to_close_timeout=IO_TIMEOUT,
                    retry_policy=IO_RETRY,
                )
            )
            started = EventType.RUN_RESUMED if input.resume_count else EventType.RUN_STARTED
            if input.fork is None:
                await self._ledger(started, run_state=RunState.RUNNING, branch=prepared.branch)
            else:
                await self._ledger(
                    started, run_state=RunState.RUNNING, branch=prepared.branch,
                    parent_run=input.fork.parent_run, forked_from=input.fork.from_phase,
                )  # fmt: skip
            for plan in input.phases:
                if plan.key in input.skip_phases:
                    await self._skip(plan)
                    continue
                if not await self._run_phase(plan, prepared.worktree):
                    break
            else:
                self._state = "completed"
        except _Aborted:
            # The status query says why from now on, as the run row will.
            self._state = "aborted"
            self._error = self._abort.reason if self._abort else None
        except _PhaseFailed as failure:
            self._state, self._error = "failed", str(failure)
        except ActivityError as failure:
            self._state, self._error = "failed", failure_message(failure)
        except asyncio.CancelledError:
            # Cancelled from outside (the Web UI, `temporal workflow cancel`): end as
            # aborted with a ledger and a report, so the branch is free for a new run.
            self._state, self._error = "aborted", "the workflow was cancelled"
        if self._pending is not None:  # the run ended while this gate waited
            pending, self._pending = self._pending, None
            await self._ledger(
                EventType.APPROVAL_ABORTED, phase=pending.phase, round=pending.round,
                gate_id=pending.gate_id, source="run ended",
            )  # fmt: skip
        for status in list(self._phases.values()):
            if status.state in ("running", "validating", "awaiting_approval"):
                await self._fail_phase(status.key, status.round)
        await self._finish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _skip(self, plan: PhasePlan) -> None:
        """A phase this execution does not run: completed by an earlier execution of a
        resumed run, or, in a fork, its parent's (the event names the parent and the
        artifact, which the ledger records for this run as it is recorded for the parent,
        at the same round)."""
        fork = self._input.fork
        reused = fork.reused_artifact(plan.key) if fork else None
        if fork is None or reused is None:
            self._set_phase(plan.key, "skipped")
            await self._ledger(
                EventType.PHASE_SKIPPED, phase=plan.key, phase_state=PhaseState.SKIPPED
            )
            return
        self._set_phase(plan.key, "skipped", reused.round)
        await self._ledger(
            EventType.PHASE_SKIPPED, phase=plan.key, round=reused.round,
            phase_state=PhaseState.SKIPPED, source_run=fork.parent_run,
            revision=reused.revision, sha256=reused.sha256, commit=reused.commit,
        )  # fmt: skip

    async def _run_phase(self, plan: PhasePlan, worktree: str) -> bool:
        """Run the phase's rounds; False when the run ended (rejected) at its gate."""
        round, feedback = self._input.first_round, None
        while True:
            self._set_phase(plan.key, "running", round)
            await self._ledger(
                EventType.PHASE_STARTED, phase=plan.key, round=round,
                phase_state=PhaseState.RUNNING, run_state=RunState.RUNNING,
            )  # fmt: skip
            phase_input = PhaseInput(
                run_id=self._input.run_id,
                phase_key=plan.key,
                round=round,
                worktree=worktree,
                template_ref=self._input.template_ref,
                template_hash=self._input.template_hash,
                persona_ref=plan.persona_ref,
                persona_hash=plan.persona_hash,
                feedback=feedback,
            )
            await self._agent(phase_input)
            result = await self._validate(plan, round, 0, worktree)
            if not result.valid:
                await self._ledger(
                    EventType.REPAIR_STARTED, phase=plan.key, round=round,
                    errors=len(result.errors),
                )  # fmt: skip
                errors = result.errors[:MAX_REPAIR_ERRORS]
                await self._agent(
                    phase_input.model_copy(update={"kind": "repair", "errors": errors})
                )
                result = await self._validate(plan, round, 1, worktree)
            if not result.valid:
                await self._fail_phase(plan.key, round)
                first = result.errors[0] if result.errors else "no artifact"
                raise _PhaseFailed(f"phase {plan.key}: the artifact is still invalid: {first}")
            if not plan.approval:
                break
            decision = await self._gate(plan, round)
            if decision.kind == "approve":
                break
            if decision.kind == "reject":
                self._state = "rejected"
                await self._fail_phase(plan.key, round)
                return False
            round, feedback = round + 1, decision.text or "Revise the artifact."
        self._set_phase(plan.key, "completed", round)
        await self._ledger(
            EventType.PHASE_COMPLETED, phase=plan.key, round=round,
            phase_state=PhaseState.COMPLETED,
        )  # fmt: skip
        return True

    async def _agent(self, phase_input: PhaseInput) -> PhaseResult:
        """The agent activity; a budget stop fails the phase (`block`) or waits for a
        raise and runs the activity again, which continues the thread (`prompt`)."""
        while True:
            try:
                return await self._interruptible(
                    workflow.execute_activity(
                        "run_phase",
                        phase_input.model_copy(update={"budget": self._caps}),
                        result_type=PhaseResult,
                        start_to_close_timeout=AGENT_TIMEOUT,
                        heartbeat_timeout=AGENT_HEARTBEAT,
                        retry_policy=AGENT_RETRY,
                        cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                    )
                )
            except ActivityError as failure:
                gate = budget_gate(failure)
                if gate is None:
                    raise
                await self._budget_stopped(phase_input, gate, failure_message(failure))

    # --- budget gates ---------------------------------------------------------

    async def _budget_stopped(self, phase_input: PhaseInput, gate: BudgetGate, text: str) -> None:
        """Record the stop; `block`: fail the phase; `prompt`: wait for a raise or abort."""
        self._budget_stops += 1
        key, round = phase_input.phase_key, phase_input.round
        blocking = gate.policy != "prompt"
        await self._ledger(
            EventType.BUDGET_EXCEEDED, phase=key, round=round, part=self._budget_stops,
            run_state=None if blocking else RunState.AWAITING_APPROVAL, round_number=round,
            scope=gate.scope, cap_usd=gate.cap_usd, spent_usd=gate.spent_usd,
            needed_usd=gate.needed_usd, policy=gate.policy, text=text,
        )  # fmt: skip
        if blocking:
            raise _PhaseFailed(f"phase {key}: {text}")
        self._budget_gate, self._raised = gate, None
        self._state = "awaiting_approval"
        await workflow.wait_condition(lambda: self._raised is not None or self._abort is not None)
        self._budget_gate = None
        if self._abort is not None:
            raise _Aborted
        assert self._raised is not None
        self._caps, self._state = self._raised, "running"
        cap = self._caps.cap(gate.scope)
        await self._ledger(
            EventType.BUDGET_RAISED, phase=key, round=round, part=self._budget_stops,
            run_state=RunState.RUNNING, scope=gate.scope, cap_usd=cap.usd if cap else None,
        )  # fmt: skip

    @workflow.signal(name=RAISE_BUDGET_SIGNAL)
    async def raise_budget(self, signal: RaiseBudgetSignal) -> None:
        """The new cap of the pending budget gate's scope (or of `scope`)."""
        gate, why = self._budget_gate, None
        try:
            scope = parse_scope(signal.scope) if signal.scope else (gate.scope if gate else "run")
            usd = parse_usd(signal.usd, what="the new cap")
        except BudgetError as exc:
            scope, usd, why = "run", None, str(exc)
        if why is None and (gate is None or self._raised is not None):
            why = "the run is not waiting on a budget cap"
        elif why is None and gate is not None and scope != gate.scope:
            why = f"the run waits on its {gate.scope} cap, not {scope}"
        current = self._caps.cap(scope)
        if why is None and current is not None and usd is not None and usd <= current.amount:
            why = f"the new cap must be above the current {scope} cap of ${current.usd}"
        if why is None and usd is not None:
            self._raised = self._caps.set(scope, usd)
            return
        self._ignored += 1
        await self._ledger(
            EventType.BUDGET_RAISE_IGNORED, part=self._ignored,
            scope=signal.scope, usd=str(signal.usd), reason=why,
        )  # fmt: skip

    async def _validate(
        self, plan: PhasePlan, round: int, revision: int, worktree: str
    ) -> ValidationResult:
        self._set_phase(plan.key, "validating", round)
        result: ValidationResult = await self._interruptible(
            workflow.execute_activity(
                "validate_artifact",
                ValidateInput(
                    run_id=self._input.run_id,
                    phase_key=plan.key,
                    round=round,
                    revision=revision,
                    worktree=worktree,
                    template_ref=self._input.template_ref,
                    template_hash=self._input.template_hash,
                ),
                result_type=ValidationResult,
                start_to_close_timeout=IO_TIMEOUT,
                retry_policy=IO_RETRY,
                # It commits to the worktree: an aborted run must not change it later.
                cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        )
        event = EventType.ARTIFACT_VALIDATED if result.valid else EventType.ARTIFACT_INVALID
        await self._ledger(
            event, phase=plan.key, round=round, part=revision,
            sha256=result.artifact.sha256 if result.artifact else None, commit=result.commit,
        )  # fmt: skip
        return result

    # --- approval gates -------------------------------------------------------

    async def _gate(self, plan: PhasePlan, round: int) -> _Decision:
        gate_id = f"{plan.key}:{round}"
        if self._input.auto_approve:
            await self._ledger(
                EventType.APPROVAL_GRANTED, phase=plan.key, round=round,
                gate_id=gate_id, source="auto (--yes)",
            )  # fmt: skip
            return _Decision("approve", gate_id, None)
        self._pending = PendingGate(
            gate_id=gate_id,
            phase=plan.key,
            round=round,
            changes_left=MAX_CHANGE_ROUNDS - self._round_number(round),
        )
        self._decision = None
        self._state = "awaiting_approval"
        self._set_phase(plan.key, "awaiting_approval", round)
        await self._ledger(
            EventType.APPROVAL_REQUESTED, phase=plan.key, round=round,
            run_state=RunState.AWAITING_APPROVAL, gate_id=gate_id,
        )  # fmt: skip
        timeout = timedelta(seconds=plan.approval_timeout_s) if plan.approval_timeout_s else None
        try:
            await workflow.wait_condition(
                lambda: self._decision is not None or self._abort is not None, timeout=timeout
            )
        except TimeoutError:
            if self._decision is not None or self._abort is not None:
                return await self._decided(plan, round)  # a signal landed with the timer
            self._pending = None
            await self._ledger(
                EventType.APPROVAL_TIMED_OUT, phase=plan.key, round=round,
                gate_id=gate_id, then=plan.on_timeout,
            )  # fmt: skip
            if plan.on_timeout == "abort":
                raise _Aborted from None
            self._state = "running"
            return _Decision("reject", gate_id, "approval timed out")
        return await self._decided(plan, round)

    async def _decided(self, plan: PhasePlan, round: int) -> _Decision:
        """Record the decision the gate received (or raise `_Aborted`, leaving the gate
        pending for the run's end to close)."""
        if self._abort is not None:
            raise _Aborted
        self._pending = None
        decision = self._decision
        assert decision is not None
        self._state = "running"
        event = {
            "approve": EventType.APPROVAL_GRANTED,
            "reject": EventType.APPROVAL_REJECTED,
            "request_changes": EventType.APPROVAL_CHANGES_REQUESTED,
        }[decision.kind]
        await self._ledger(
            event, phase=plan.key, round=round, run_state=RunState.RUNNING,
            gate_id=decision.gate_id, text=decision.text,
        )  # fmt: skip
        return decision

    @workflow.signal
    async def approve(self, signal: ApproveSignal) -> None:
        await self._decide("approve", signal.gate_id, signal.comment)

    @workflow.signal
    async def reject(self, signal: RejectSignal) -> None:
        await self._decide("reject", signal.gate_id, signal.reason)

    @workflow.signal
    async def request_changes(self, signal: RequestChangesSignal) -> None:
        await self._decide("request_changes", signal.gate_id, signal.feedback)

    @workflow.signal
    async def abort(self, signal: AbortSignal) -> None:
        if self._abort is None:
            self._abort = signal

    async def _decide(self, kind: Decision, gate_id: str | None, text: str | None) -> None:
        pending = self._pending
        why: str | None = None
        if pending is None:
            why = "no gate is pending"
        elif gate_id is not None and gate_id != pending.gate_id:
            why = f"gate {gate_id} is not the pending gate {pending.gate_id}"
        elif self._decision is not None:
            why = f"gate {pending.gate_id} is already decided"
        elif kind == "request_changes" and self._round_number(pending.round) >= MAX_CHANGE_ROUNDS:
            why = f"phase {pending.phase} had {MAX_CHANGE_ROUNDS} rounds; approve or reject it"
        if why is None and pending is not None:
            self._decision = _Decision(kind, pending.gate_id, text)
            return
        self._ignored += 1
        await self._ledger(
            EventType.APPROVAL_IGNORED, part=self._ignored,
            decision=kind, gate_id=gate_id, reason=why,
        )  # fmt: skip

    # --- status ---------------------------------------------------------------

    @workflow.query
    def status(self) -> RunStatus:
        return RunStatus(
            run_id=self._input.run_id,
            state=self._state,
            phases=tuple(self._phases.values()),
            pending_gate=self._pending,
            pending_budget=self._budget_gate,
            error=self._error,
        )

    def _round_number(self, round: int) -> int:
        """1 for this execution's first round of a phase (rounds continue across resumes)."""
        return round - self._input.first_round + 1

    async def _fail_phase(self, key: str, round: int) -> None:
        self._set_phase(key, "failed", round)
        await self._ledger(
            EventType.PHASE_FAILED, phase=key, round=round, phase_state=PhaseState.FAILED
        )

    def _set_phase(self, key: str, state: PhaseStateName, round: int | None = None) -> None:
        current = self._phases[key]
        self._phases[key] = PhaseStatus(
            key=key, state=state, round=current.round if round is None else round
        )

    # --- plumbing -------------------------------------------------------------

    async def _interruptible(self, awaitable: Awaitable[T]) -> T:
        """Await an activity; an `abort` signal cancels it and raises `_Aborted`."""
        task = asyncio.ensure_future(awaitable)
        try:
            await workflow.wait_condition(lambda: task.done() or self._abort is not None)
        except asyncio.CancelledError:
            task.cancel()  # the workflow itself was cancelled: so is its activity
            with contextlib.suppress(asyncio.CancelledError, ActivityError):
                await task
            raise
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ActivityError):
                await task
            raise _Aborted
        return task.result()

    async def _ledger(
        self,
        event: EventType,
        *,
        phase: str | None = None,
        round: int | None = None,
        part: int | str | None = None,
        run_state: RunState | None = None,
        phase_state: PhaseState | None = None,
        **payload: str | int | bool | None,
    ) -> None:
        key_part = f"g{self._input.resume_count}" + (f":{part}" if part is not None else "")
        await workflow.execute_local_activity(
            "update_ledger",
            LedgerUpdate(
                run_id=self._input.run_id,
                event=event.value,
                key_part=key_part,
                phase_key=phase,
                round=round,
                run_state=run_state.value if run_state else None,
                phase_state=phase_state.value if phase_state else None,
                payload=payload,
            ),
            start_to_close_timeout=LEDGER_TIMEOUT,
            retry_policy=IO_RETRY,
        )

    async def _finish(self) -> None:
        """Record the outcome and write the report, whatever the outcome was."""
        final = {
            "completed": (EventType.RUN_COMPLETED, RunState.COMPLETED),
            "rejected": (EventType.RUN_REJECTED, RunState.REJECTED),
            "aborted": (EventType.RUN_ABORTED, RunState.ABORTED),
        }.get(self._state, (EventType.RUN_FAILED, RunState.FAILED))
        await self._ledger(final[0], run_state=final[1], reason=self._error)
        try:
            await workflow.execute_activity(
                "write_report",
                ReportInput(run_id=self._input.run_id, language=self._input.language),
                result_type=ReportPaths,
                start_to_close_timeout=IO_TIMEOUT,
                retry_policy=IO_RETRY,
            )
        except ActivityError as failure:
            workflow.logger.warning("report not written: %s", failure_message(failure))
