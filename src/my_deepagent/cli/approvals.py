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
    from my_deepagent.errors import MdaError
    from my_deepagent.workflows.run_types import RequestChangesSignal

    if not feedback.strip():
        raise MdaError("--feedback is empty: say what the phase should change")
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
    if execution != WorkflowExecutionStatus.RUNNING:
        ended = execution.name.lower() if execution is not None else "never started"
        verb = name.replace("_", " ")
        raise MdaError(
            f"run {short} has ended ({record.state.value}, workflow {ended}): "
            f"nothing to {verb}; see `mda report {short}`"
        )
    if name != "abort":
        status = await handle.query("status", result_type=RunStatus)
        pending = status.pending_gate
        if pending is None:
            running = next((p.key for p in status.phases if p.state == "running"), None)
            doing = f"it is running phase {running}" if running else f"it is {status.state}"
            raise MdaError(f"no gate is pending on run {short} ({doing}); try again at the gate")
        if name == "request_changes" and pending.changes_left <= 0:
            raise MdaError(
                f"phase {pending.phase} of run {short} has had its last round; "
                f"approve or reject gate {pending.gate_id}"
            )
        if gate is not None and gate != pending.gate_id:
            raise MdaError(
                f"gate {gate} is not pending on run {short}; the pending gate is "
                f"{pending.gate_id} (omit --gate to answer it)"
            )
        # Name the gate that was checked, so a decision cannot land on a later gate.
        gate = pending.gate_id
        body = body.model_copy(update={"gate_id": gate})
    await handle.signal(name, scrubbed_fields(body))
    what = f"gate {gate} of run {short}" if gate else f"run {short}"
    sys.stdout.write(f"Sent {name.replace('_', ' ')} to {what}.\n")
