"""`mda approve|reject|request-changes|abort RUN`: answer a run's approval gate.

The workflow ignores (and records) a decision for a gate that is not pending; these
commands check first, so a person learns in one line what is wrong: no such run, the
run has ended, no gate is pending, or another gate is.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel

    from my_deepagent.workflows.run_types import RunStatus

_RUN = typer.Argument(..., help="Run id or a unique prefix (6+ characters).")
_GATE = typer.Option(None, "--gate", help="The gate to answer (default: the pending one).")


def approve(
    run: str = _RUN,
    gate: str | None = _GATE,
    comment: str | None = typer.Option(None, "--comment", help="A note kept with the approval."),
) -> None:
    """Approve the pending gate: the run goes on to its next phase."""
    from my_deepagent.workflows.run_types import ApproveSignal

    asyncio.run(_answer(run, gate, "approve", ApproveSignal(gate_id=gate, comment=comment)))


def reject(
    run: str = _RUN,
    gate: str | None = _GATE,
    reason: str | None = typer.Option(None, "--reason", help="Why; kept in the report."),
) -> None:
    """Reject the pending gate: the run ends rejected."""
    from my_deepagent.workflows.run_types import RejectSignal

    asyncio.run(_answer(run, gate, "reject", RejectSignal(gate_id=gate, reason=reason)))


def request_changes(
    run: str = _RUN,
    gate: str | None = _GATE,
    feedback: str = typer.Option(..., "--feedback", "-f", help="What the phase should change."),
) -> None:
    """Send the phase back with feedback: it runs again (at most 3 rounds)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.workflows.run_types import RequestChangesSignal

    if not feedback.strip():
        raise MdaError(msg("runs.feedback_empty"))
    signal = RequestChangesSignal(gate_id=gate, feedback=feedback)
    asyncio.run(_answer(run, gate, "request_changes", signal))


def abort(
    run: str = _RUN,
    reason: str | None = typer.Option(None, "--reason", help="Why; kept in the report."),
) -> None:
    """Abort the run, cancelling the phase in flight."""
    from my_deepagent.workflows.run_types import AbortSignal

    asyncio.run(_answer(run, None, "abort", AbortSignal(reason=reason)))


async def _answer(ref: str, gate: str | None, name: str, body: BaseModel) -> None:
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.catalogue import msg
    from my_deepagent.client import run_execution_status, run_handle
    from my_deepagent.errors import MdaError
    from my_deepagent.scrub import scrubbed_fields
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import find_run
    from my_deepagent.temporal_config import connect_client
    from my_deepagent.workflows.run_types import RunStatus

    async with open_database(get_settings()) as db:
        record = await find_run(db, ref)
    client = await connect_client()
    handle = run_handle(client, record.id)
    execution = await run_execution_status(client, record.id)
    short = record.id[:12]
    action = _action(name)
    if execution != WorkflowExecutionStatus.RUNNING:
        ended = execution.name.lower() if execution is not None else None
        raise MdaError(
            msg(
                "runs.run_has_ended",
                run=short,
                state=record.state.value,
                ended=ended or msg("runs.workflow_never_started"),
                action=action,
            )
        )
    if name != "abort":
        status = await handle.query("status", result_type=RunStatus)
        gate = _pending_gate(status, short, name, gate)
        # Name the gate that was checked, so a decision cannot land on a later gate.
        body = body.model_copy(update={"gate_id": gate})
    await handle.signal(name, scrubbed_fields(body))
    if gate:
        sent = msg("runs.sent_to_gate", action=action, gate=gate, run=short)
    else:
        sent = msg("runs.sent_to_run", action=action, run=short)
    sys.stdout.write(sent + "\n")


def _pending_gate(status: RunStatus, short: str, name: str, gate: str | None) -> str:
    """The pending gate the decision `name` may answer (`gate`, if given, must be it)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError

    pending = status.pending_gate
    if pending is None:
        running = next((p.key for p in status.phases if p.state == "running"), None)
        if running:
            doing = msg("runs.doing_phase", phase=running)
        else:
            doing = msg("runs.doing_state", state=status.state)
        raise MdaError(msg("runs.no_gate_pending", run=short, doing=doing))
    if name == "request_changes" and pending.changes_left <= 0:
        raise MdaError(msg("runs.last_round", phase=pending.phase, run=short, gate=pending.gate_id))
    if gate is not None and gate != pending.gate_id:
        raise MdaError(msg("runs.gate_not_pending", gate=gate, run=short, pending=pending.gate_id))
    return pending.gate_id


def _action(name: str) -> str:
    """The decision `name` (a signal's name) as a person says it."""
    from my_deepagent.catalogue import msg

    actions = {
        "approve": msg("runs.action_approve"),
        "reject": msg("runs.action_reject"),
        "request_changes": msg("runs.action_request_changes"),
        "abort": msg("runs.action_abort"),
    }
    return actions[name]
