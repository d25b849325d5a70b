"""`mda budget`: spending against each cap; `mda budget raise`: raise a cap that holds
a run or a session.

A run waiting on a `prompt` cap takes the raise as its `raise_budget` signal and makes
the model call it stopped at. A session takes a raise at any time (its next turn, or
the waiting one, goes on under the new cap). A run that a `block` cap stopped has
ended: `mda resume RUN --budget-usd N` continues it.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

import typer

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from my_deepagent.domain.budget import Scope
    from my_deepagent.store.database import Database
    from my_deepagent.store.records import RunRecord, SessionRecord

app = typer.Typer(
    help="Spending against the budget caps (today, per persona, runs, sessions); raise a cap.",
    invoke_without_command=True,
)


@app.callback()
def budget(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Spending against each cap: today, per persona today, active runs and sessions."""
    if ctx.invoked_subcommand is None:
        asyncio.run(_show(as_json))


def costs(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Same as `mda budget` (the name earlier versions used)."""
    asyncio.run(_show(as_json))


async def _show(as_json: bool) -> None:
    from my_deepagent.budget_standing import standing
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.budget import usd_text
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database

    settings = get_settings()
    async with open_database(settings) as db:
        lines = await standing(db, settings)
    if as_json:
        print_json([line.to_json() for line in lines])
        return
    print_table(
        msg("runs.table_spending"),
        ["scope", "spent", "cap", "policy", "left"],
        [
            (
                line.name,
                usd_text(line.spent),
                usd_text(line.cap.usd) if line.cap else "no cap",
                line.cap.policy if line.cap else "",
                usd_text(line.cap.amount - line.spent) if line.cap else "",
            )
            for line in lines
        ],
    )


@app.command("raise")
def raise_cap(
    target: str = typer.Argument(..., help="Run or session id, or a unique prefix."),
    usd: str = typer.Option(..., "--usd", help="The new cap in US dollars."),
    scope: str | None = typer.Option(
        None, "--scope", help="run, session, day or persona_day (default: the waiting cap's)."
    ),
) -> None:
    """Raise the cap a run or a session waits on (or, for a session, any of its caps)."""
    from my_deepagent.budget_caps import scope_option, usd_option

    amount = usd_option(usd, "--usd")
    assert amount is not None
    asyncio.run(_raise(target, amount, scope_option(scope)))


async def _raise(ref: str, usd: Decimal, scope: Scope | None) -> None:
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database

    async with open_database(get_settings()) as db:
        run, session = await _find(db, ref)
        if run is not None:
            await _raise_run(run, usd, scope)
        elif session is not None:
            await _raise_session(db, session, usd, scope)


async def _find(db: Database, ref: str) -> tuple[RunRecord | None, SessionRecord | None]:
    from my_deepagent.store.runs import find_run
    from my_deepagent.store.sessions import find_session

    try:
        return await find_run(db, ref), None
    except MdaError as not_a_run:
        try:
            return None, await find_session(db, ref)
        except MdaError:
            reason = not_a_run.message.split(" (")[0]
            raise MdaError(msg("runs.no_run_or_session", reason=reason)) from None


async def _raise_run(run: RunRecord, usd: Decimal, scope: Scope | None) -> None:
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import query_status, run_execution_status, run_handle
    from my_deepagent.domain.budget import RaiseBudgetSignal
    from my_deepagent.temporal_config import connect_client
    from my_deepagent.workflows.run_types import RAISE_BUDGET_SIGNAL

    short = run.id[:8]
    client = await connect_client()
    if await run_execution_status(client, run.id) != WorkflowExecutionStatus.RUNNING:
        raise MdaError(msg("runs.raise_run_ended", run=short, state=run.state.value, usd=usd))
    gate = (await query_status(client, run.id)).pending_budget
    if gate is None:
        raise MdaError(msg("runs.not_waiting_on_cap", run=short))
    if scope is not None and scope != gate.scope:
        raise MdaError(msg("runs.waits_on_other_scope", run=short, scope=gate.scope, asked=scope))
    if usd <= Decimal(gate.cap_usd):
        needed = f"{Decimal(gate.spent_usd) + Decimal(gate.needed_usd):.4f}"
        raise MdaError(
            msg("runs.raise_not_above", scope=gate.scope, cap=gate.cap_usd, needed=needed)
        )
    await run_handle(client, run.id).signal(
        RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(scope=gate.scope, usd=str(usd))
    )
    sys.stdout.write(msg("runs.raised_run_cap", scope=gate.scope, run=short, usd=usd) + "\n")


async def _raise_session(
    db: Database, session: SessionRecord, usd: Decimal, scope: Scope | None
) -> None:
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.budget_standing import session_caps
    from my_deepagent.client import execution_status
    from my_deepagent.sessions.client import session_handle, set_session_cap
    from my_deepagent.settings import get_settings
    from my_deepagent.store.sessions import set_session_budget
    from my_deepagent.temporal_config import connect_client
    from my_deepagent.workflows.session_types import SessionStatus

    if session.state == "ended":
        raise MdaError(msg("runs.session_ended_caps", session=session.id[:8]))
    handle = session_handle(await connect_client(), session.id)
    chosen: Scope = scope or "session"
    if await execution_status(handle) == WorkflowExecutionStatus.RUNNING:
        status = await handle.query("status", result_type=SessionStatus)
        if scope is None and status.budget_gate is not None:
            chosen = status.budget_gate.scope
        await set_session_cap(handle, db, chosen, usd)
    else:
        caps = session_caps(session, get_settings()).set(chosen, usd)
        await set_session_budget(db, session.id, caps.model_dump(mode="json"))
    sys.stdout.write(
        msg("runs.set_session_cap", scope=chosen, session=session.id[:8], usd=usd) + "\n"
    )
