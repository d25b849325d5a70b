"""Raising a budget cap that holds a run or a session: for `mda budget raise` and the
HTTP API.

A run waiting on a `prompt` cap takes the raise as its `raise_budget` signal and makes
the model call it stopped at; the raise must be above the cap it waits on. A session
takes a raise at any time (its next turn, or the waiting one, goes on under the new
cap); an ended session's caps are kept as they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from temporalio.client import Client

    from my_deepagent.domain.budget import Scope
    from my_deepagent.store.database import Database
    from my_deepagent.store.records import RunRecord, SessionRecord


async def raise_cap(
    connect: Callable[[], Awaitable[Client]],
    db: Database,
    ref: str,
    usd: Decimal,
    scope: Scope | None,
) -> str:
    """Raise the cap of the run or session `ref` names; the sentence saying what changed.

    `connect` gives the Temporal client, asked for only once `ref` is known to name
    something that may be running (an unknown id says so without a server)."""
    run, session = await _find(db, ref)
    if run is not None:
        return await _raise_run(await connect(), run, usd, scope)
    assert session is not None
    if session.state == "ended":
        raise MdaError(msg("runs.session_ended_caps", session=session.id[:8]))
    return await _raise_session(await connect(), db, session, usd, scope)


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


async def _raise_run(client: Client, run: RunRecord, usd: Decimal, scope: Scope | None) -> str:
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import query_status, run_execution_status, run_handle
    from my_deepagent.domain.budget import RaiseBudgetSignal
    from my_deepagent.workflows.run_types import RAISE_BUDGET_SIGNAL

    short = run.id[:8]
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
    return msg("runs.raised_run_cap", scope=gate.scope, run=short, usd=usd)


async def _raise_session(
    client: Client, db: Database, session: SessionRecord, usd: Decimal, scope: Scope | None
) -> str:
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.budget_standing import session_caps
    from my_deepagent.client import execution_status
    from my_deepagent.sessions.client import session_handle, set_session_cap
    from my_deepagent.settings import get_settings
    from my_deepagent.store.sessions import set_session_budget
    from my_deepagent.workflows.session_types import SessionStatus

    handle = session_handle(client, session.id)
    chosen: Scope = scope or "session"
    if await execution_status(handle) == WorkflowExecutionStatus.RUNNING:
        status = await handle.query("status", result_type=SessionStatus)
        if scope is None and status.budget_gate is not None:
            chosen = status.budget_gate.scope
        await set_session_cap(handle, db, chosen, usd)
    else:
        caps = session_caps(session, get_settings()).set(chosen, usd)
        await set_session_budget(db, session.id, caps.model_dump(mode="json"))
    return msg("runs.set_session_cap", scope=chosen, session=session.id[:8], usd=usd)
