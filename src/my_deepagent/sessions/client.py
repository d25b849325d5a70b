"""The client side of a session: create it, keep its workflow running, send messages
and commands, read a running turn's progress.

The database row is the session's memory outside Temporal: if the workflow is not
running (its history passed retention, or it was terminated) while the row says the
session is active, the next message starts a new execution from the row (context,
seqs, counters), so `mda sessions resume` always works. An update the session
refuses comes back as one line (`MdaError`), in the person's language when the refusal
names its catalogue key.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError
from my_deepagent.workflows.session_types import (
    CANCELLED_REPLY,
    MAX_INLINE_BODY_BYTES,
    MAX_MESSAGE_BYTES,
    SESSION_WORKFLOW,
    TURNS_PER_EXECUTION,
    AgentChange,
    CancelTurn,
    ChatMessage,
    Said,
    SessionInput,
    SessionStatus,
    TurnResult,
    session_workflow_id,
)

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

    from my_deepagent.domain.budget import BudgetCaps, Scope
    from my_deepagent.domain.catalog import Catalog
    from my_deepagent.domain.persona import Persona
    from my_deepagent.sessions.opening import OpenSession
    from my_deepagent.sessions.progress import TurnProgress
    from my_deepagent.store.database import Database
    from my_deepagent.store.records import SessionRecord

T = TypeVar("T")


@dataclass(frozen=True)
class SessionChoice:
    persona: Persona
    model: str
    note: str | None = None
    """Said to the user before the session starts (the offline fallback)."""


def choose_agent(
    catalog: Catalog, *, agent: str | None, model: str | None, offline: bool
) -> SessionChoice:
    """The persona (`--agent`, else the first that can chat) and model (`--model`, else
    the persona's); a missing key fails here in one line (embedded mode)."""
    from my_deepagent.domain.binding import ranked_personas
    from my_deepagent.domain.model_spec import ModelSpec

    if agent is None and model is None:
        return _first_reachable(ranked_personas(catalog, ["chat"], offline=offline))
    persona = catalog.persona(agent) if agent is not None else _first_chat(catalog, offline)
    spec = str(persona.model_spec) if model is None else str(ModelSpec.parse(model))
    if offline and not spec.startswith("scripted:"):
        raise MdaError(msg("chat.offline_needs_scripted", spec=spec))
    check_model_access(spec)
    return SessionChoice(persona=persona, model=spec)


def _first_chat(catalog: Catalog, offline: bool) -> Persona:
    from my_deepagent.domain.binding import best_persona

    found = best_persona(catalog, ["chat"], offline=offline)
    if found is None:
        if offline:
            raise MdaError(msg("chat.no_scripted_chat_persona"))
        raise MdaError(msg("chat.no_chat_persona"))
    return found


def _first_reachable(ranked: list[Persona]) -> SessionChoice:
    """The best chat persona whose provider is reachable (its key is set). When only the
    scripted one is, the choice carries a line saying so and how to fix it."""
    missing: MdaError | None = None
    for persona in ranked:
        try:
            check_model_access(str(persona.model_spec))
        except MdaError as exc:
            missing = missing or exc
            continue
        note = None
        if missing is not None and persona.provider == "scripted":
            note = msg("chat.scripted_fallback", reason=missing.message, persona=persona.ref)
        return SessionChoice(persona=persona, model=str(persona.model_spec), note=note)
    raise missing or MdaError(msg("chat.no_chat_persona"))


def check_model_access(spec: str) -> None:
    """The model's key (embedded mode: the worker is this machine's), then the user's
    consent to send its provider repository content; each missing is one line."""
    from my_deepagent.agents.models import connection
    from my_deepagent.consent import require_consent
    from my_deepagent.domain.model_spec import ModelSpec
    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_config import load_target

    parsed = ModelSpec.parse(spec)
    if load_target().mode == "embedded":
        connection(parsed, get_settings())
    require_consent(parsed.provider, get_settings())


async def create_session(
    db: Database,
    repo: Path,
    choice: SessionChoice,
    *,
    compact_threshold: float | None = None,
    budget: dict[str, Any] | None = None,
) -> SessionRecord:
    from my_deepagent.sessions.memory import project_key
    from my_deepagent.store.sessions import create_session as insert_session
    from my_deepagent.store.sessions import new_session_id

    return await insert_session(
        db,
        session_id=new_session_id(),
        repo_path=str(repo),
        project_key=project_key(repo),
        persona_ref=choice.persona.ref,
        model=choice.model,
        compact_threshold=compact_threshold,
        budget=budget,
    )


def session_handle(client: Client, session_id: str) -> WorkflowHandle[Any, SessionStatus]:
    return client.get_workflow_handle(session_workflow_id(session_id), result_type=SessionStatus)


async def ensure_running(
    client: Client,
    db: Database,
    record: SessionRecord,
    *,
    turns_per_execution: int = TURNS_PER_EXECUTION,
) -> WorkflowHandle[Any, SessionStatus]:
    """The session's workflow, started from its row if no execution is running."""
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import execution_status

    if record.state == "ended":
        raise MdaError(msg("chat.session_ended", session=record.id))
    handle = session_handle(client, record.id)
    if await execution_status(handle) == WorkflowExecutionStatus.RUNNING:
        return handle
    return await _start(client, db, record, turns_per_execution)


async def _start(
    client: Client, db: Database, record: SessionRecord, turns_per_execution: int
) -> WorkflowHandle[Any, SessionStatus]:
    from temporalio.common import (
        SearchAttributePair,
        TypedSearchAttributes,
        WorkflowIDConflictPolicy,
        WorkflowIDReusePolicy,
    )

    from my_deepagent.budget_caps import configured_caps
    from my_deepagent.domain.budget import BudgetCaps
    from my_deepagent.search_attributes import MDA_KIND, MDA_REPO
    from my_deepagent.settings import get_settings
    from my_deepagent.store.messages import last_turn, live_messages, next_seq

    session_input = SessionInput(
        session_id=record.id,
        repo_path=record.repo_path,
        project_key=record.project_key,
        persona_ref=record.persona_ref,
        model=record.model,
        context=record.context,
        next_seq=await next_seq(db, record.id),
        turns=max(record.turns, await last_turn(db, record.id)),
        visible=len(await live_messages(db, record.id)),
        turns_per_execution=turns_per_execution,
        budget=(
            BudgetCaps.model_validate(record.budget)
            if record.budget
            else configured_caps(get_settings())
        ),
    )
    return await client.start_workflow(
        SESSION_WORKFLOW,
        session_input,
        id=session_workflow_id(record.id),
        task_queue=get_settings().task_queue,
        result_type=SessionStatus,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(MDA_REPO, record.repo_path),
                SearchAttributePair(MDA_KIND, "session"),
            ]
        ),
    )


def check_message_text(text: str) -> int:
    """The message's size in bytes, if it can be sent (not empty, not over the limit)."""
    if not text.strip():
        raise MdaError(msg("chat.message_empty"))
    size = len(text.encode())
    if size > MAX_MESSAGE_BYTES:
        raise MdaError(
            msg("chat.message_too_large", size=size // 1024, limit=MAX_MESSAGE_BYTES // 1024)
        )
    return size


def redaction_note(text: str) -> str | None:
    """The line telling the person their message held a secret mda replaced, or None."""
    from my_deepagent.scrub import REDACTED, scrub

    return msg("chat.message_redacted", marker=REDACTED) if scrub(text) != text else None


async def chat_message(db: Database, text: str, client_id: str | None = None) -> ChatMessage:
    """The update's argument, secrets scrubbed: inline, or by reference above 16 KiB
    (stored first)."""
    from my_deepagent.scrub import scrub
    from my_deepagent.store.messages import put_body

    check_message_text(text)
    text = scrub(text)
    size = len(text.encode())
    client_id = client_id or uuid.uuid4().hex
    if size <= MAX_INLINE_BODY_BYTES:
        return ChatMessage(client_id=client_id, text=text, size=size)
    return ChatMessage(client_id=client_id, body_ref=await put_body(db, text), size=size)


async def send(
    handle: WorkflowHandle[Any, SessionStatus], db: Database, message: ChatMessage
) -> TurnResult:
    """Send one message and wait for its turn; the whole reply, even when long."""
    from my_deepagent.store.messages import message_at

    result = await update(handle, "chat", message, TurnResult, update_id=message.client_id)
    if result.reply_complete and not result.cancelled:
        return result
    row = await message_at(db, _session_id(handle), result.assistant_seq)
    if row is None or row.role != "assistant":
        return result
    if result.cancelled and row.content != CANCELLED_REPLY:
        # The cancel came as the turn finished: the answer was recorded, show it.
        return result.model_copy(update={"reply": row.content, "cancelled": False})
    return result.model_copy(update={"reply": row.content})


async def update(
    handle: WorkflowHandle[Any, SessionStatus],
    name: str,
    arg: Any,
    result_type: type[T],
    *,
    update_id: str | None = None,
) -> T:
    """Run one update; a refusal or a finished workflow is one line."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError

    args = [] if arg is None else [arg]
    try:
        result: T = await handle.execute_update(
            name, args=args, id=update_id, result_type=result_type
        )
    except WorkflowUpdateFailedError as exc:
        raise MdaError(refusal_text(exc.cause)) from None
    except RPCError as exc:
        if "completed" in exc.message or exc.status.name == "NOT_FOUND":
            session = _session_id(handle)
            raise MdaError(
                msg("chat.session_not_running", session=session, short=session[:8])
            ) from None
        raise
    return result


def refusal_text(cause: BaseException | None) -> str:
    """What the session refused, in the person's language when its details name a
    catalogue key (`Said`: `{"key", "fields"}`), else as the session said it."""
    from pydantic import ValidationError
    from temporalio.exceptions import ApplicationError

    if not isinstance(cause, ApplicationError):
        return str(cause)
    said = None
    if cause.details:
        with contextlib.suppress(ValidationError):
            said = Said.model_validate(cause.details[0])
    return said_text(said, cause.message)


def said_text(said: Said | None, fallback: str) -> str:
    """`said` in the person's language; `fallback` (the English the workflow or worker
    wrote) when there is none or it does not fit this catalogue (an unknown key, other
    fields). A field said by a key of its own is said first, falling back to its
    English in `fields`."""
    from my_deepagent.catalogue import catalogue

    if said is None or said.key not in catalogue():
        return fallback
    fields: dict[str, object] = dict(said.fields)
    for name, inner in said.said_fields.items():
        fields[name] = said_text(inner, str(said.fields.get(name, "")))
    with contextlib.suppress(KeyError, IndexError, ValueError, TypeError):
        return msg(said.key, **fields)
    return fallback


async def cancel_turn(handle: WorkflowHandle[Any, SessionStatus], client_id: str | None) -> None:
    await handle.signal("cancel_turn", CancelTurn(client_id=client_id))


async def switch_agent(opened: OpenSession, *, agent: str | None, model: str | None) -> str:
    """Use another persona and/or model from the next turn on; a line saying what changed."""
    from my_deepagent.domain.model_spec import ModelSpec

    record = opened.record
    persona = opened.catalog.persona(agent or record.persona_ref)
    if model is not None:
        spec = str(ModelSpec.parse(model))
    elif agent is not None:
        spec = str(persona.model_spec)
    else:
        spec = record.model
    check_model_access(spec)
    change = AgentChange(persona_ref=persona.ref, model=spec)
    await update(opened.handle, "switch_agent", change, int)
    await opened.refresh()
    return msg("chat.switched", persona=persona.ref, model=spec)


async def set_cap(opened: OpenSession, scope: Scope, usd: Decimal) -> BudgetCaps:
    """Set one cap of the session: kept on its row (a restart keeps it) and sent to its
    workflow (`raise_budget`), where a turn waiting on that cap goes on."""
    return await set_session_cap(opened.handle, opened.db, scope, usd)


async def set_session_cap(
    handle: WorkflowHandle[Any, SessionStatus], db: Database, scope: Scope, usd: Decimal
) -> BudgetCaps:
    """`set_cap` for a session whose workflow runs."""
    from my_deepagent.domain.budget import RaiseBudgetSignal
    from my_deepagent.store.sessions import set_session_budget
    from my_deepagent.workflows.run_types import RAISE_BUDGET_SIGNAL

    status: SessionStatus = await handle.query("status", result_type=SessionStatus)
    caps = status.budget.set(scope, usd)
    await set_session_budget(db, _session_id(handle), caps.model_dump(mode="json"))
    await handle.signal(RAISE_BUDGET_SIGNAL, RaiseBudgetSignal(scope=scope, usd=str(usd)))
    return caps


async def turn_progress(
    client: Client, handle: WorkflowHandle[Any, SessionStatus]
) -> TurnProgress | None:
    """The running turn's last heartbeat, if a turn is running."""
    from my_deepagent.sessions.progress import TurnProgress

    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name != "session_turn" or not pending.heartbeat_details.payloads:
            continue
        details = await client.data_converter.decode(pending.heartbeat_details.payloads)
        if details and isinstance(details[0], dict):
            return TurnProgress.model_validate(details[0])
    return None


def _session_id(handle: WorkflowHandle[Any, SessionStatus]) -> str:
    return handle.id.removeprefix("session-")


async def end_session(db: Database, record: SessionRecord, client: Client | None = None) -> bool:
    """End the session: through its workflow when it runs (after any queued turn),
    in the database otherwise. False if it had ended already."""
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import ensure_worker, execution_status
    from my_deepagent.store.sessions import end_session as mark_ended
    from my_deepagent.temporal_config import connect_client

    if record.state == "ended":
        return False
    client = client or await connect_client()
    handle = session_handle(client, record.id)
    if await execution_status(handle) != WorkflowExecutionStatus.RUNNING:
        return await mark_ended(db, record.id)
    await ensure_worker(client)  # the end is an update: a worker must run it
    await update(handle, "end", None, SessionStatus)
    return True
