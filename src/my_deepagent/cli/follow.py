"""Following a run from the terminal: its events as they happen, and its gates.

Used by `mda start` (attached), `mda runs show --follow` and `mda resume`. Events come
from mda's database (the ledger the workflow writes); the pending gate (an approval,
or a budget cap the run waits on) comes from the workflow's `status` query. Attached
to a terminal, a gate is asked about inline; otherwise the follower waits for someone
to answer it (`mda approve`, `mda budget raise`, the Web UI).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

    from my_deepagent.domain.budget import BudgetGate
    from my_deepagent.store.database import Database
    from my_deepagent.workflows.run_types import PendingGate, RunStatus

POLL_S = 0.3


async def follow_run(
    client: Client, db: Database, run_id: str, *, ask_at_gates: bool, quiet: bool = False
) -> str:
    """Print the run's events until it ends; the final run state."""
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    from my_deepagent.catalogue import msg
    from my_deepagent.client import query_status, run_execution_status, run_handle
    from my_deepagent.errors import MdaError

    handle = run_handle(client, run_id)
    cursor, asked = 0, ""
    prompt: asyncio.Task[None] | None = None
    try:
        while True:
            cursor = await _print_new_events(db, run_id, cursor, quiet)
            execution = await run_execution_status(client, run_id)
            if execution is None:
                raise MdaError(msg("runs.no_workflow", run=run_id[:12]))
            if execution != WorkflowExecutionStatus.RUNNING:
                _close_prompt(prompt, asked)
                prompt = None
                break
            try:
                status = await query_status(client, run_id)
            except RPCError:
                # No worker answers queries right now (one is restarting): keep following.
                await asyncio.sleep(POLL_S)
                continue
            gate, budget = status.pending_gate, status.pending_budget
            waiting = gate.gate_id if gate else (_budget_key(budget) if budget else "")
            if prompt is not None and prompt.done():
                prompt.result()  # a failed signal surfaces here
                prompt = None
            if waiting != asked:
                _close_prompt(prompt, asked)
                prompt = None
            if ask_at_gates and waiting and waiting != asked:
                asked = waiting
                ask = _ask(handle, run_id, gate) if gate else _ask_budget(handle, run_id, budget)
                prompt = asyncio.create_task(ask)
            elif not waiting:
                asked = ""
            await asyncio.sleep(POLL_S)
    finally:
        if prompt is not None:
            prompt.cancel()
    await _print_new_events(db, run_id, cursor, quiet)
    final = await _final_status(client, run_id)
    return final.state if final is not None else "failed"


def _close_prompt(prompt: asyncio.Task[None] | None, gate_id: str) -> None:
    """Stop asking about a gate someone answered elsewhere (`mda approve`, the Web UI)."""
    from my_deepagent.catalogue import msg

    if prompt is not None and not prompt.done():
        prompt.cancel()
        if gate_id.startswith("budget:"):
            answered = msg("runs.budget_gate_answered_elsewhere")
        else:
            answered = msg("runs.gate_answered_elsewhere", gate=gate_id)
        sys.stdout.write(f"\n{answered}\n")


def _budget_key(gate: BudgetGate) -> str:
    return f"budget:{gate.scope}:{gate.cap_usd}:{gate.spent_usd}"


async def _ask_budget(
    handle: WorkflowHandle[Any, Any], run_id: str, gate: BudgetGate | None
) -> None:
    """Ask for a new cap on the terminal and send it as the `raise_budget` signal."""
    assert gate is not None
    from my_deepagent.catalogue import msg
    from my_deepagent.domain.budget import (
        BudgetError,
        RaiseBudgetSignal,
        parse_usd,
    )
    from my_deepagent.workflows.run_types import RAISE_BUDGET_SIGNAL, AbortSignal

    sys.stdout.write("\n" + msg("runs.run_waits_budget", gate=gate.describe(shown=True)) + "\n")
    prompt = msg("runs.ask_budget", scope=gate.scope, suggested=gate.suggested_cap())
    while True:
        answer = (await _read_line(prompt)).strip().lower()
        if answer in ("w", "wait", ""):
            sys.stdout.write(msg("runs.waiting_budget", run=run_id[:8]) + "\n")
        elif answer in ("b", "abort"):
            await handle.signal("abort", AbortSignal(reason="aborted at the budget cap"))
        else:
            try:
                usd = parse_usd(answer, what=msg("runs.what_new_cap"))
            except BudgetError as exc:
                sys.stdout.write(f"{exc.shown}\n")
                continue
            if usd <= Decimal(gate.cap_usd):
                sys.stdout.write(msg("runs.new_cap_above", cap=gate.cap_usd) + "\n")
                continue
            await handle.signal(
                RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(scope=gate.scope, usd=str(usd))
            )
        return


async def _print_new_events(db: Database, run_id: str, cursor: int, quiet: bool) -> int:
    """Print the events after `cursor`; the new cursor."""
    from my_deepagent.store.events import list_events

    for event in await list_events(db, run_id, after_id=cursor):
        cursor = event.id
        if not quiet:
            _print_event(event.type.value, event.phase_key, event.payload)
    return cursor


async def _final_status(client: Client, run_id: str) -> RunStatus | None:
    from temporalio.client import WorkflowFailureError

    from my_deepagent.client import run_handle

    try:
        result: RunStatus = await run_handle(client, run_id).result()
    except WorkflowFailureError:
        return None
    return result


_STYLES = {
    "run.completed": "bold green",
    "phase.completed": "green",
    "artifact.validated": "green",
    "approval.granted": "green",
    "approval.requested": "bold yellow",
    "approval.changes_requested": "yellow",
    "repair.started": "yellow",
    "artifact.invalid": "yellow",
    "approval.ignored": "dim",
}
_FAILURES = ("failed", "rejected", "aborted", "timed_out")


def _print_event(kind: str, phase: str | None, payload: dict[str, object]) -> None:
    """One line per event: plain for pipes and logs, coloured (rich) on a terminal."""
    details = ", ".join(
        f"{k}={str(v)[:12] if k == 'sha256' else v}"
        for k, v in payload.items()
        if v not in (None, "")
    )
    where = f" [{phase}]" if phase else ""
    line = f"{kind}{where}{': ' + details if details else ''}"
    if not sys.stdout.isatty():
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return
    from rich.console import Console
    from rich.text import Text

    style = "bold red" if kind.endswith(_FAILURES) else _STYLES.get(kind, "")
    stamp = datetime.now().strftime("%H:%M:%S")
    Console(highlight=False).print(Text.assemble((f"{stamp} ", "dim"), (line, style)))


async def _ask(handle: WorkflowHandle[Any, Any], run_id: str, gate: PendingGate) -> None:
    """Ask at a gate on the terminal and send the answer (scrubbed) as a signal."""
    from my_deepagent.catalogue import msg
    from my_deepagent.scrub import scrub
    from my_deepagent.workflows.run_types import (
        AbortSignal,
        ApproveSignal,
        RejectSignal,
        RequestChangesSignal,
    )

    changes = gate.changes_left > 0
    where = {"gate": gate.gate_id, "phase": gate.phase, "round": gate.round}
    prompt = msg("runs.ask_gate", **where) if changes else msg("runs.ask_gate_last_round", **where)
    while True:
        answer = (await _read_line(prompt)).strip().lower()
        if answer in ("a", "approve"):
            await handle.signal("approve", ApproveSignal(gate_id=gate.gate_id))
        elif answer in ("r", "reject"):
            reason = scrub((await _read_line(msg("runs.ask_reason"))).strip())
            await handle.signal("reject", RejectSignal(gate_id=gate.gate_id, reason=reason or None))
        elif changes and answer in ("c", "changes", "request changes"):
            feedback = scrub((await _read_line(msg("runs.ask_feedback"))).strip())
            await handle.signal(
                "request_changes",
                RequestChangesSignal(gate_id=gate.gate_id, feedback=feedback),
            )
        elif answer in ("b", "abort"):
            await handle.signal("abort", AbortSignal(reason="aborted at the gate"))
        elif answer in ("w", "wait", ""):
            sys.stdout.write(msg("runs.waiting_gate", run=run_id[:8]) + "\n")
        else:
            continue
        return


async def _read_line(prompt: str) -> str:
    """A line from the terminal without blocking the event loop, so the follower keeps
    printing events and notices a gate answered elsewhere; "" at end of input."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()
    fd = sys.stdin.fileno()

    def readable() -> None:
        if not line.done():
            line.set_result(sys.stdin.readline())

    loop.add_reader(fd, readable)
    try:
        return await line
    finally:
        loop.remove_reader(fd)
