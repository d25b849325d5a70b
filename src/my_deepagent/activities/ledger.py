"""`update_ledger`: one run event and the state it implies, written by a local activity.

The workflow decides; this records. It is retried (and, after a worker crash, run
again for an event that was maybe written), so every write is idempotent: the state
rows are upserts and the event is inserted under its deterministic key
(`store.events.event_key`). The event goes last, so a reader that sees an event
(`mda runs events`, the GUI) finds the state it announces already written.

What the workflow does not send is derived from the run row: the phase's position
and persona come from the run's input snapshot (`runs.bindings` holds the
`RunInput`), the model from the catalog. Approval events also keep the `approvals`
rows (the report's and the GUI's record of each gate), and a fork's `phase.skipped`
records the parent's artifact for the fork (the event names the parent run).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.catalogue import english
from my_deepagent.errors import MdaError
from my_deepagent.store.approvals import decide_approval, gate_id, request_approval
from my_deepagent.store.artifacts import get_artifact, record_artifact, set_validation
from my_deepagent.store.events import event_key, record_event
from my_deepagent.store.phases import record_phase
from my_deepagent.store.records import ApprovalState, EventType, PhaseState, RunRecord, RunState
from my_deepagent.store.runs import get_run, set_run_state
from my_deepagent.workflows.run_types import LedgerUpdate, RunInput

_DECISIONS = {
    EventType.APPROVAL_GRANTED: ApprovalState.APPROVED,
    EventType.APPROVAL_REJECTED: ApprovalState.REJECTED,
    EventType.APPROVAL_CHANGES_REQUESTED: ApprovalState.CHANGES_REQUESTED,
    EventType.APPROVAL_TIMED_OUT: ApprovalState.TIMED_OUT,
    EventType.APPROVAL_ABORTED: ApprovalState.ABORTED,
}


@dataclass(frozen=True)
class _PhaseFacts:
    position: int
    persona_ref: str | None
    model: str | None


class LedgerActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="update_ledger")
    async def update_ledger(self, update: LedgerUpdate) -> bool:
        """Write the update; True when its event was new (False: a retry's repeat)."""
        db = self.deps.db
        event, run_state, phase_state = _parse(update)
        run = await get_run(db, update.run_id)
        if run is None:
            raise ApplicationError(f"no run {update.run_id} in mda's database", non_retryable=True)
        if event is EventType.PHASE_SKIPPED and _text(update, "source_run") is not None:
            # Before the phase row says skipped: a failed copy leaves no reused phase
            # without its artifact (the retry copies again; the copy is an upsert).
            await self._reuse_artifact(update)
        if phase_state is not None and update.phase_key is not None:
            facts = self._phase_facts(run, update.phase_key)
            await record_phase(
                db,
                run_id=run.id,
                phase_key=update.phase_key,
                round=update.round or 0,
                position=facts.position,
                state=phase_state,
                persona_ref=facts.persona_ref,
                model=facts.model,
            )
        await self._approvals(update, event)
        if run_state is not None and (run.state != run_state or run_state in _WITH_ERROR):
            error = _text(update, "reason") if run_state in _WITH_ERROR else None
            await set_run_state(db, run.id, run_state, error=error)
        key = event_key(
            run.id,
            event,
            phase_key=update.phase_key,
            round=update.round,
            part=update.key_part or None,
        )
        return await record_event(
            db, run.id, event, key, dict(update.payload), phase_key=update.phase_key
        )

    async def _approvals(self, update: LedgerUpdate, event: EventType) -> None:
        if update.phase_key is None:
            return
        round = update.round or 0
        if event is EventType.APPROVAL_REQUESTED:
            await request_approval(
                self.deps.db, run_id=update.run_id, phase_key=update.phase_key, round=round
            )
        elif event in _DECISIONS:
            gate = _text(update, "gate_id") or gate_id(update.phase_key, round)
            await request_approval(
                self.deps.db, run_id=update.run_id, phase_key=update.phase_key, round=round
            )  # an auto-approved gate (--yes) was never requested
            await decide_approval(
                self.deps.db,
                run_id=update.run_id,
                gate=gate,
                state=_DECISIONS[event],
                feedback=_text(update, "text"),
                source=_text(update, "source") or "signal",
            )

    async def _reuse_artifact(self, update: LedgerUpdate) -> None:
        """A fork's skipped phase: its parent's artifact, recorded for this run as it is
        for the parent (same phase, round, revision, path and body, hence sha256) and
        as valid, so the report and later readers find it where a phase that ran puts it.
        Writing it again (a retry, a resumed fork) changes nothing."""
        db, parent = self.deps.db, _text(update, "source_run")
        revision = update.payload.get("revision")
        assert parent is not None and update.phase_key is not None
        round = update.round or 0
        source = await get_artifact(
            db,
            run_id=parent,
            phase_key=update.phase_key,
            round=round,
            revision=revision if isinstance(revision, int) else 0,
        )
        if source is None or source.sha256 != _text(update, "sha256") or not source.valid:
            raise ApplicationError(
                english("runs.fork_artifact_gone", run=parent[:12], phase=update.phase_key),
                non_retryable=True,
            )
        await record_artifact(
            db,
            run_id=update.run_id,
            phase_key=source.phase_key,
            round=source.round,
            revision=source.revision,
            path=source.path,
            body=source.body,
        )
        await set_validation(
            db,
            run_id=update.run_id,
            phase_key=source.phase_key,
            round=source.round,
            revision=source.revision,
            errors=[],
        )

    def _phase_facts(self, run: RunRecord, phase_key: str) -> _PhaseFacts:
        try:
            run_input = RunInput.model_validate(run.bindings)
        except ValidationError:
            return _PhaseFacts(position=0, persona_ref=None, model=None)
        keys = [plan.key for plan in run_input.phases]
        if phase_key not in keys:
            return _PhaseFacts(position=len(keys), persona_ref=None, model=None)
        plan = run_input.phases[keys.index(phase_key)]
        try:
            model: str | None = self.deps.catalog.persona(plan.persona_ref).model
        except MdaError:
            model = None
        return _PhaseFacts(keys.index(phase_key), plan.persona_ref, model)


_WITH_ERROR = frozenset({RunState.FAILED, RunState.ABORTED, RunState.REJECTED})


def _parse(update: LedgerUpdate) -> tuple[EventType, RunState | None, PhaseState | None]:
    try:
        return (
            EventType(update.event),
            RunState(update.run_state) if update.run_state else None,
            PhaseState(update.phase_state) if update.phase_state else None,
        )
    except ValueError as exc:
        raise ApplicationError(f"bad ledger update: {exc}", non_retryable=True) from None


def _text(update: LedgerUpdate, key: str) -> str | None:
    value = update.payload.get(key)
    return None if value is None else str(value)
