"""`/api/sessions`: list, create, show, chat with, follow and end sessions.

A message is sent as the same `chat` update the REPL sends (`sessions.client.send`),
`@file` references expanded and secrets replaced first; the request returns when
the turn does. Two messages sent at once are two updates: the session answers them
in order, once each, and a message sent again with its `client_id` gets the first
answer back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from my_deepagent.api.app import ApiState, state
from my_deepagent.api.models import (
    Done,
    Ended,
    NewSession,
    RaiseCap,
    SendMessage,
    SessionCreated,
    SessionDetail,
    SessionList,
    SessionSummary,
    TurnReply,
)
from my_deepagent.api.streams import SSE_HEADERS, session_events

router = APIRouter(prefix="/api/sessions", tags=["sessions"])
State = Annotated[ApiState, Depends(state)]


@router.get("", response_model=SessionList)
async def list_sessions(
    st: State,
    state: Annotated[str | None, Query(pattern="^(active|ended)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> SessionList:
    """Sessions, latest activity first (`mda sessions list`)."""
    from my_deepagent.sessions.views import session_json
    from my_deepagent.store.sessions import list_sessions as stored_sessions

    found = await stored_sessions(st.db, state=state, limit=limit)
    return SessionList(sessions=[SessionSummary.model_validate(session_json(r)) for r in found])


@router.post("", response_model=SessionCreated, status_code=201)
async def create_session(st: State, body: NewSession) -> SessionCreated:
    """A new session in a repository; its workflow runs and a worker polls."""
    from pathlib import Path

    from my_deepagent.budget_caps import usd_option
    from my_deepagent.catalogue import msg
    from my_deepagent.client import ensure_worker
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.sessions.client import ensure_running
    from my_deepagent.sessions.opening import OpenRequest, create_planned, plan_session

    request = OpenRequest(
        agent=body.agent,
        model=body.model,
        offline=body.offline,
        repo=Path(body.repo),
        budget_usd=usd_option(body.budget_usd),
    )
    plan = plan_session(load_user_catalog(), request)
    polled = await ensure_worker(st.client, settings=st.settings) != "none"
    record = await create_planned(st.db, plan)
    await ensure_running(st.client, st.db, record)
    notes = [note for note in (plan.choice.note,) if note]
    if not polled:
        notes.append(msg("chat.no_worker"))
    return SessionCreated(session_id=record.id, notes=notes)


@router.get("/{session}", response_model=SessionDetail)
async def show_session(st: State, session: str, all: bool = False) -> SessionDetail:
    """The session, its spending and its messages (`?all=true`: archived ones too)."""
    from my_deepagent.sessions.views import budget_json, message_json, session_json
    from my_deepagent.store.messages import session_messages
    from my_deepagent.store.sessions import find_session

    record = await find_session(st.db, session)
    rows = await session_messages(st.db, record.id, include_archived=all)
    if not all:
        rows = [r for r in rows if not r.is_summary]
    budget = await budget_json(st.client, st.db, record)
    messages = [message_json(m) for m in rows]
    return SessionDetail.model_validate({**session_json(record), **budget, "messages": messages})


@router.post("/{session}/messages", response_model=TurnReply)
async def send_message(st: State, session: str, body: SendMessage) -> TurnReply:
    """Send a message and wait for the turn's answer."""
    from pathlib import Path

    from my_deepagent.catalogue import msg
    from my_deepagent.sessions.client import chat_message, ensure_running, redaction_note, send
    from my_deepagent.sessions.references import expand_references
    from my_deepagent.sessions.views import turn_json
    from my_deepagent.store.sessions import find_session

    record = await find_session(st.db, session)
    if record.state == "ended":
        from my_deepagent.errors import MdaError

        raise MdaError(msg("chat.session_ended", session=record.id))
    text = expand_references(body.text, Path(record.repo_path)).text
    notes = [note for note in (redaction_note(text),) if note]
    message = await chat_message(st.db, text, body.client_id)
    handle = await ensure_running(st.client, st.db, record)
    result = await send(handle, st.db, message)
    return TurnReply.model_validate({**turn_json(record.id, result), "notes": notes})


@router.get(
    "/{session}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_session(
    st: State,
    session: str,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """The session's messages as they are written (event id: the message's seq; the
    messages after `after` or `Last-Event-ID`, else all) and the running turn's
    progress, as server-sent events, until the session ends."""
    from my_deepagent.store.sessions import find_session

    record = await find_session(st.db, session)
    cursor = after if after is not None else -1
    if last_event_id and last_event_id.isdigit():
        cursor = int(last_event_id)
    return StreamingResponse(
        session_events(st, record.id, cursor), media_type="text/event-stream", headers=SSE_HEADERS
    )


@router.post("/{session}/cancel", response_model=Done)
async def cancel(st: State, session: str) -> Done:
    """Cancel the running turn, as Ctrl-C in the REPL does."""
    from my_deepagent.catalogue import msg
    from my_deepagent.sessions.client import cancel_turn, session_handle
    from my_deepagent.store.sessions import find_session

    record = await find_session(st.db, session)
    await cancel_turn(session_handle(st.client, record.id), None)
    return Done(message=msg("chat.cancelling"))


@router.post("/{session}/budget", response_model=Done)
async def raise_budget(st: State, session: str, body: RaiseCap) -> Done:
    """Set one of the session's caps (`mda budget raise SESSION --usd N`)."""
    from my_deepagent.api.runs import raise_to
    from my_deepagent.store.sessions import find_session

    return await raise_to(st, (await find_session(st.db, session)).id, body)


@router.post("/{session}/end", response_model=Ended)
async def end(st: State, session: str) -> Ended:
    """End the session for good (`mda sessions end`); it then refuses messages."""
    from my_deepagent.sessions.client import end_session
    from my_deepagent.store.sessions import find_session

    record = await find_session(st.db, session)
    return Ended(session_id=record.id, ended=await end_session(st.db, record, st.client))
