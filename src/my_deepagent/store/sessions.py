"""Chat sessions: creation, lookup by prefix, listing, ending, and cached totals.

The session row carries totals (tokens spent, tokens in the live context, compactions)
so `mda sessions list` reads one row per session. They are caches: the truth is in
`llm_calls` and `messages`, and `refresh_session_totals` recomputes them from there in
one transaction, so a retried activity that calls it twice cannot count anything twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from my_deepagent.catalogue import english, msg
from my_deepagent.errors import MdaError, NotFoundError
from my_deepagent.store.database import Database
from my_deepagent.store.prefix import MIN_PREFIX, prefix_matches
from my_deepagent.store.records import SessionRecord, SessionState
from my_deepagent.store.runs import normalize_repo_path
from my_deepagent.store.tables import LlmCallRow, MessageRow, SessionRow, utc_now

TITLE_LENGTH = 50
_AMBIGUOUS_SHOWN = 3


def new_session_id() -> str:
    return uuid.uuid4().hex


async def create_session(
    db: Database,
    *,
    session_id: str,
    repo_path: str,
    project_key: str,
    persona_ref: str,
    model: str,
    compact_threshold: float | None = None,
    budget: dict[str, Any] | None = None,
) -> SessionRecord:
    """A new active session on context 0 with zero totals; `repo_path` is stored real."""
    now = utc_now()
    row = SessionRow(
        id=session_id,
        repo_path=normalize_repo_path(repo_path),
        project_key=project_key,
        persona_ref=persona_ref,
        model=model,
        state=SessionState.ACTIVE.value,
        title=None,
        context=0,
        compact_threshold=compact_threshold,
        total_input_tokens=0,
        total_output_tokens=0,
        total_cached_tokens=0,
        context_tokens=0,
        turns=0,
        compactions=0,
        created_at=now,
        updated_at=now,
        last_message_at=None,
        ended_at=None,
        budget=budget,
    )
    async with db.write() as session:
        session.add(row)
        await session.flush()
        return SessionRecord.model_validate(row)


async def get_session(db: Database, session_id: str) -> SessionRecord | None:
    async with db.read() as session:
        row = await session.get(SessionRow, session_id)
        return None if row is None else SessionRecord.model_validate(row)


async def find_session(db: Database, text: str) -> SessionRecord:
    """A session by full id, `session-<id>`, or a unique prefix of 6+ characters (the
    command line's lookup: its refusals are in the person's language)."""
    found = await prefix_matches(
        db, SessionRow, text, workflow_prefix="session-", limit=_AMBIGUOUS_SHOWN + 1,
        to=SessionRecord,
    )  # fmt: skip
    given = repr(text)
    if found.too_short:
        raise MdaError(msg("chat.session_id_too_short", text=given, least=MIN_PREFIX))
    if not found.rows:
        raise NotFoundError(msg("chat.no_session_matches", text=given))
    if len(found.rows) > 1:
        shown = ", ".join(r.id for r in found.rows[:_AMBIGUOUS_SHOWN])
        if len(found.rows) > _AMBIGUOUS_SHOWN:
            raise MdaError(msg("chat.session_id_ambiguous_more", text=given, shown=shown))
        raise MdaError(msg("chat.session_id_ambiguous", text=given, shown=shown))
    record: SessionRecord = found.rows[0]
    return record


async def resolve_session_id(db: Database, text: str) -> str:
    """The full id for `text` (see `find_session`)."""
    return (await find_session(db, text)).id


async def list_sessions(
    db: Database,
    *,
    repo_path: str | None = None,
    state: str | None = None,
    limit: int = 50,
) -> list[SessionRecord]:
    """Newest activity first: the last message (or creation when none), then `updated_at`.

    `state` is a `SessionState` value (ValueError otherwise).
    """
    activity = func.coalesce(SessionRow.last_message_at, SessionRow.created_at)
    query = (
        select(SessionRow)
        .order_by(activity.desc(), SessionRow.updated_at.desc(), SessionRow.id)
        .limit(limit)
    )
    if repo_path is not None:
        query = query.where(SessionRow.repo_path == normalize_repo_path(repo_path))
    if state is not None:
        query = query.where(SessionRow.state == SessionState(state).value)
    async with db.read() as session:
        return [SessionRecord.model_validate(r) for r in (await session.scalars(query)).all()]


async def end_session(db: Database, session_id: str) -> bool:
    """End the session; False when it had ended already (the first `ended_at` stays)."""
    async with db.write() as session:
        row = await _get_row(session, session_id)
        if row.state == SessionState.ENDED.value:
            return False
        now = utc_now()
        row.state = SessionState.ENDED.value
        row.ended_at = now
        row.updated_at = now
        return True


async def set_session_agent(
    db: Database, session_id: str, *, persona_ref: str, model: str, context: int
) -> None:
    """/agent and /model: the new persona and model start a new agent context."""
    async with db.write() as session:
        row = await _get_row(session, session_id)
        row.persona_ref = persona_ref
        row.model = model
        row.context = context
        row.updated_at = utc_now()


async def mark_unconfined(db: Database, session_id: str) -> None:
    """Record that a turn ran with the agent's shell unconfined (the first time is kept)."""
    statement = (
        update(SessionRow)
        .where(SessionRow.id == session_id, SessionRow.unconfined_since.is_(None))
        .values(unconfined_since=utc_now())
    )
    async with db.write() as session:
        await session.execute(statement)


async def set_session_budget(db: Database, session_id: str, budget: dict[str, Any]) -> None:
    """The session's own caps (a `BudgetCaps` as JSON)."""
    async with db.write() as session:
        row = await _get_row(session, session_id)
        row.budget, row.updated_at = budget, utc_now()


async def set_session_context(db: Database, session_id: str, context: int) -> None:
    async with db.write() as session:
        row = await _get_row(session, session_id)
        row.context = context
        row.updated_at = utc_now()


async def refresh_session_totals(
    db: Database,
    session_id: str,
    *,
    context: int | None = None,
    turns: int | None = None,
    title_from: str | None = None,
) -> SessionRecord:
    """Recompute the cached totals from `llm_calls` and `messages` (idempotent).

    Tokens spent sum the session's llm_calls; `context_tokens` sums the live messages;
    `compactions` counts summary rows (archived ones included: each compaction writes
    exactly one); `last_message_at` is the newest message's time. `title_from` becomes
    the title (whitespace collapsed, 50 characters) only while the title is unset.
    """
    async with db.write() as session:
        return await refresh_totals_in(
            session, session_id, context=context, turns=turns, title_from=title_from
        )


async def refresh_totals_in(
    session: AsyncSession,
    session_id: str,
    *,
    context: int | None = None,
    turns: int | None = None,
    title_from: str | None = None,
) -> SessionRecord:
    """`refresh_session_totals` inside a caller's write transaction: one UPDATE whose
    values are subqueries, so the turn's path pays one statement, not four."""
    calls = select(LlmCallRow).where(LlmCallRow.session_id == session_id).subquery()
    messages = MessageRow.session_id == session_id
    values: dict[str, Any] = {
        "total_input_tokens": _total(calls.c.input_tokens),
        "total_output_tokens": _total(calls.c.output_tokens),
        "total_cached_tokens": _total(calls.c.cached_tokens),
        "context_tokens": select(func.coalesce(func.sum(MessageRow.token_count), 0))
        .where(messages, MessageRow.archived.is_(False))
        .scalar_subquery(),
        "compactions": select(func.count(MessageRow.id))
        .where(messages, MessageRow.is_summary.is_(True))
        .scalar_subquery(),
        "last_message_at": func.coalesce(
            select(func.max(MessageRow.created_at)).where(messages).scalar_subquery(),
            SessionRow.last_message_at,
        ),
        "updated_at": utc_now(),
    }
    title = session_title(title_from) if title_from is not None else None
    if title is not None:
        values["title"] = func.coalesce(SessionRow.title, title)
    if context is not None:
        values["context"] = context
    if turns is not None:
        values["turns"] = turns
    statement = (
        update(SessionRow)
        .where(SessionRow.id == session_id)
        .values(values)
        .returning(SessionRow)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None:
        raise MdaError(english("chat.no_session", session=repr(session_id)))
    return SessionRecord.model_validate(row)


def _total(column: Any) -> Any:
    return select(func.coalesce(func.sum(column), 0)).scalar_subquery()


def session_title(text: str) -> str | None:
    """The first 50 characters of `text` with whitespace collapsed; None when blank."""
    title = " ".join(text.split())[:TITLE_LENGTH].rstrip()
    return title or None


async def _get_row(session: AsyncSession, session_id: str) -> SessionRow:
    row = await session.get(SessionRow, session_id)
    if row is None:
        raise MdaError(english("chat.no_session", session=repr(session_id)))
    return row
