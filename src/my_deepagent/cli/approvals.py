"""`mda approve|reject|request-changes|abort RUN`: answer a run's approval gate.

The checks and the signal are `run_control.answer_gate`, which the HTTP API uses too:
a person learns in one line what is wrong (no such run, the run has ended, no gate
is pending, or another gate is).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel

    from my_deepagent.run_control import Decision

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


async def _answer(ref: str, gate: str | None, name: Decision, body: BaseModel) -> None:
    from my_deepagent.run_control import answer_gate
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import find_run
    from my_deepagent.temporal_config import connect_client

    async with open_database(get_settings()) as db:
        record = await find_run(db, ref)
    answered = await answer_gate(await connect_client(), record, name, body, gate)
    sys.stdout.write(answered.sentence() + "\n")
