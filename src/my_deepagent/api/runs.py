"""`/api/runs`: list, start, show, follow and answer runs.

Each route is the CLI command of the same name over HTTP: `GET /api/runs` is
`mda runs list --json`, `POST /api/runs/{id}/approve` is `mda approve`, and so on,
through the same functions (`launch`, `run_control`, `cap_raise`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from my_deepagent.api.app import ApiState, state
from my_deepagent.api.models import (
    Abort,
    Approve,
    ArtifactList,
    ArtifactView,
    Done,
    EventList,
    RaiseCap,
    Reject,
    Report,
    RequestChanges,
    RunDetail,
    RunList,
    RunStarted,
    RunSummary,
    StartRun,
)
from my_deepagent.api.streams import SSE_HEADERS, event_view, run_events

router = APIRouter(prefix="/api/runs", tags=["runs"])
State = Annotated[ApiState, Depends(state)]
RunState = Literal["running", "awaiting_approval", "completed", "failed", "rejected", "aborted"]


@router.get("", response_model=RunList)
async def list_runs(
    st: State,
    state: RunState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> RunList:
    """Runs, newest first (`mda runs list`)."""
    from my_deepagent.run_control import run_json
    from my_deepagent.store.records import RunState as Stored
    from my_deepagent.store.runs import list_run_headers

    states = [Stored(state)] if state is not None else None
    if state == "running":
        states = [Stored.PENDING, Stored.RUNNING]
    runs = await list_run_headers(st.db, states=states, limit=limit)
    return RunList(runs=[RunSummary.model_validate(run_json(r)) for r in runs])


@router.post("", response_model=RunStarted, status_code=201)
async def start_run(st: State, body: StartRun) -> RunStarted:
    """Start a run (`mda start --detach`): every check happens before anything exists."""
    from pathlib import Path

    from my_deepagent.budget_caps import usd_option
    from my_deepagent.client import ensure_worker
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.launch import RunRequest, plan_run, read_requirements
    from my_deepagent.launch import start_run as launch
    from my_deepagent.run_control import web_ui_url
    from my_deepagent.store.runs import new_run_id

    requirements = read_requirements(body.requirements, None)
    request = RunRequest(
        template=body.template,
        repo=Path(body.repo),
        requirements=requirements,
        base=body.base,
        personas=tuple(body.personas),
        offline=body.offline,
        budget_usd=usd_option(body.budget_usd),
    )
    run_input = plan_run(request, load_user_catalog(), new_run_id())
    await ensure_worker(st.client, settings=st.settings)
    record = await launch(st.client, st.db, run_input, requirements)
    return RunStarted(
        run_id=record.id, workflow_id=record.workflow_id, web_ui=web_ui_url(record.workflow_id)
    )


@router.get("/{run}", response_model=RunDetail)
async def show_run(st: State, run: str) -> RunDetail:
    """One run: state, phases, the pending gate or budget, the Web UI link."""
    from my_deepagent.domain.budget import BudgetGate
    from my_deepagent.run_control import run_view, web_ui_url
    from my_deepagent.store.runs import find_run

    record = await find_run(st.db, run)
    view = await run_view(st.client, st.db, record)
    budget = view.pop("pending_budget")
    if budget is not None:
        waiting = BudgetGate.model_validate(budget)
        budget = {**budget, "suggested_usd": str(waiting.suggested_cap())}
    return RunDetail.model_validate(
        {**view, "pending_budget": budget, "web_ui": web_ui_url(record.workflow_id)}
    )


@router.get("/{run}/events", response_model=EventList)
async def list_events(st: State, run: str, after: Annotated[int, Query(ge=0)] = 0) -> EventList:
    """The run's events after event `after`, in order (`mda runs events`)."""
    from my_deepagent.store.events import list_events as stored_events
    from my_deepagent.store.runs import find_run

    record = await find_run(st.db, run)
    rows = await stored_events(st.db, record.id, after_id=after, limit=1000)
    return EventList(events=[event_view(e) for e in rows])


@router.get(
    "/{run}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    st: State,
    run: str,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """The run's events as server-sent events, live, until it ends. A reconnect with
    `Last-Event-ID` (or `?after=`) receives only the events after that one."""
    from my_deepagent.store.runs import find_run

    record = await find_run(st.db, run)
    cursor = int(last_event_id) if last_event_id and last_event_id.isdigit() else after
    return StreamingResponse(
        run_events(st, record.id, cursor), media_type="text/event-stream", headers=SSE_HEADERS
    )


@router.get("/{run}/artifacts", response_model=ArtifactList)
async def list_artifacts(st: State, run: str) -> ArtifactList:
    """Every phase's artifact, newest revision last, its JSON parsed."""
    from my_deepagent.store.artifacts import list_artifacts as stored_artifacts
    from my_deepagent.store.runs import find_run

    record = await find_run(st.db, run)
    found = []
    for a in await stored_artifacts(st.db, record.id):
        found.append(
            ArtifactView(
                phase=a.phase_key,
                round=a.round,
                revision=a.revision,
                path=a.path,
                sha256=a.sha256,
                valid=a.valid,
                errors=list(a.errors or []),
                content=_parsed(a.body),
            )
        )
    return ArtifactList(artifacts=found)


@router.get(
    "/{run}/report",
    response_model=Report,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def report(
    st: State, run: str, format: Literal["md", "json"] = "json"
) -> PlainTextResponse | Report:
    """The run's final report (`mda report`): its JSON document, or Markdown."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import NotFoundError
    from my_deepagent.store.reports import get_report
    from my_deepagent.store.runs import find_run

    record = await find_run(st.db, run)
    found = await get_report(st.db, record.id)
    if found is None:
        short = record.id[:8]
        text = msg("runs.no_report_yet", run=record.id[:12], state=record.state.value, short=short)
        raise NotFoundError(text)
    document, markdown = found
    if format == "md":
        return PlainTextResponse(markdown, media_type="text/markdown; charset=utf-8")
    return Report.model_validate(document)


@router.post("/{run}/approve", response_model=Done)
async def approve(st: State, run: str, body: Approve) -> Done:
    """Approve the pending gate (`mda approve`)."""
    from my_deepagent.workflows.run_types import ApproveSignal

    signal = ApproveSignal(gate_id=body.gate, comment=body.comment)
    return await _answer(st, run, "approve", signal, body.gate)


@router.post("/{run}/reject", response_model=Done)
async def reject(st: State, run: str, body: Reject) -> Done:
    """Reject the pending gate: the run ends rejected (`mda reject`)."""
    from my_deepagent.workflows.run_types import RejectSignal

    signal = RejectSignal(gate_id=body.gate, reason=body.reason)
    return await _answer(st, run, "reject", signal, body.gate)


@router.post("/{run}/request-changes", response_model=Done)
async def request_changes(st: State, run: str, body: RequestChanges) -> Done:
    """Send the phase back with feedback (`mda request-changes`)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.workflows.run_types import RequestChangesSignal

    if not body.feedback.strip():
        raise MdaError(msg("runs.feedback_empty"))
    signal = RequestChangesSignal(gate_id=body.gate, feedback=body.feedback)
    return await _answer(st, run, "request_changes", signal, body.gate)


@router.post("/{run}/abort", response_model=Done)
async def abort(st: State, run: str, body: Abort) -> Done:
    """Abort the run, cancelling the phase in flight (`mda abort`)."""
    from my_deepagent.workflows.run_types import AbortSignal

    return await _answer(st, run, "abort", AbortSignal(reason=body.reason), None)


@router.post("/{run}/budget", response_model=Done)
async def raise_budget(st: State, run: str, body: RaiseCap) -> Done:
    """Raise the cap the run waits on (`mda budget raise RUN --usd N`)."""
    from my_deepagent.store.runs import find_run

    return await raise_to(st, (await find_run(st.db, run)).id, body)


async def raise_to(st: ApiState, target: str, body: RaiseCap) -> Done:
    """`mda budget raise TARGET --usd N [--scope S]`, for a run's or a session's route."""
    from my_deepagent.budget_caps import usd_option
    from my_deepagent.cap_raise import raise_cap

    usd = usd_option(body.usd, "usd")
    assert usd is not None
    return Done(message=await raise_cap(st.connect, st.db, target, usd, body.scope))


async def _answer(st: ApiState, ref: str, decision: Any, body: Any, gate: str | None) -> Done:
    from my_deepagent.run_control import answer_gate
    from my_deepagent.store.runs import find_run

    record = await find_run(st.db, ref)
    answered = await answer_gate(st.client, record, decision, body, gate)
    return Done(message=answered.sentence())


def _parsed(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
