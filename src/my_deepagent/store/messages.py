"""A session's messages and large message bodies.

The session workflow assigns every seq (user message n, the answer n+1, a summary the
next free one) and activities write the rows; an activity retried after a crash writes
the same row again, so every insert is `ON CONFLICT DO NOTHING` on either unique key,
(session, seq) or (session, client message id), and reports whether it wrote.

Every text written here has passed `scrub` (no key is kept, even one the model
wrote). Rows are never deleted. /clear archives the live rows; compaction archives the rows
it summarised and adds one summary row, in one transaction, so a crash leaves either
both or neither. The live rows (summary first, then by seq) are what seeds a new
agent context.

/clear and a rewind also leave a marker: an archived `system` row that is not a summary
(a rewind's carries the turn it went back to), so the visible conversation at any
earlier moment can be worked out again from the rows alone (`sessions/rewind.py`).
A rewind archives and brings back rows in one transaction with its marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update

from my_deepagent.scrub import scrub
from my_deepagent.store.artifacts import body_digest
from my_deepagent.store.database import Database
from my_deepagent.store.records import MessageRecord, MessageRole, SessionRecord
from my_deepagent.store.sessions import refresh_totals_in
from my_deepagent.store.tables import MessageBodyRow, MessageRow, utc_now


async def append_message(
    db: Database,
    *,
    session_id: str,
    seq: int,
    role: str,
    content: str,
    token_count: int,
    tool_calls: list[dict[str, str]] | None = None,
    is_summary: bool = False,
    client_id: str | None = None,
    turn: int | None = None,
) -> bool:
    """Write the message unless its seq or client id is taken; True when this call wrote it.

    `role` is one of `MessageRole` (ValueError otherwise).
    """
    statement = _insert(
        db, session_id=session_id, seq=seq, role=role, content=content,
        token_count=token_count, tool_calls=tool_calls, is_summary=is_summary,
        client_id=client_id, turn=turn,
    )  # fmt: skip
    async with db.write() as session:
        result = await session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def append_reply(
    db: Database,
    *,
    session_id: str,
    seq: int,
    content: str,
    token_count: int,
    tool_calls: list[dict[str, str]] | None,
    turn: int,
    context: int,
    title_from: str | None,
) -> SessionRecord:
    """A turn's assistant message and the session's recomputed totals, in one write
    transaction (one commit on the turn's path instead of two). Idempotent."""
    statement = _insert(
        db, session_id=session_id, seq=seq, role="assistant", content=content,
        token_count=token_count, tool_calls=tool_calls, turn=turn,
    )  # fmt: skip
    async with db.write() as session:
        await session.execute(statement)
        return await refresh_totals_in(
            session, session_id, context=context, turns=turn, title_from=title_from
        )


def _insert(
    db: Database,
    *,
    session_id: str,
    seq: int,
    role: str,
    content: str,
    token_count: int,
    tool_calls: list[dict[str, str]] | None = None,
    is_summary: bool = False,
    client_id: str | None = None,
    turn: int | None = None,
) -> Any:
    return (
        db.insert(MessageRow)
        .values(
            session_id=session_id,
            seq=seq,
            role=MessageRole(role).value,
            content=scrub(content),
            tool_calls=(
                None
                if tool_calls is None
                else [{k: scrub(v) for k, v in call.items()} for call in tool_calls]
            ),
            token_count=token_count,
            is_summary=is_summary,
            archived=False,
            client_id=client_id,
            turn=turn,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing()  # no target: any unique constraint, on both dialects
    )


async def message_by_client_id(
    db: Database, session_id: str, client_id: str
) -> MessageRecord | None:
    return await _one(db, MessageRow.session_id == session_id, MessageRow.client_id == client_id)


async def message_at(db: Database, session_id: str, seq: int) -> MessageRecord | None:
    return await _one(db, MessageRow.session_id == session_id, MessageRow.seq == seq)


async def live_messages(db: Database, session_id: str) -> list[MessageRecord]:
    """The rows not archived: the summary (if any) first, then by seq."""
    query = (
        select(MessageRow)
        .where(MessageRow.session_id == session_id, MessageRow.archived.is_(False))
        .order_by(MessageRow.is_summary.desc(), MessageRow.seq)
    )
    return await _many(db, query)


async def session_messages(
    db: Database, session_id: str, *, include_archived: bool
) -> list[MessageRecord]:
    """The transcript to show.

    With `include_archived`, every row by seq: the order things were written in, so a
    summary stands after the messages it replaced (and after the recent ones kept).
    Without, exactly `live_messages` (summary first): what the agent sees.
    """
    if not include_archived:
        return await live_messages(db, session_id)
    query = select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.seq)
    return await _many(db, query)


async def messages_after(
    db: Database, session_id: str, after_seq: int, *, limit: int = 200
) -> list[MessageRecord]:
    """Rows with a seq above `after_seq`, by seq: the cursor for following a session."""
    query = (
        select(MessageRow)
        .where(MessageRow.session_id == session_id, MessageRow.seq > after_seq)
        .order_by(MessageRow.seq)
        .limit(limit)
    )
    return await _many(db, query)


async def next_seq(db: Database, session_id: str) -> int:
    """One past the highest seq written (archived rows included); 0 for none."""
    query = select(func.max(MessageRow.seq)).where(MessageRow.session_id == session_id)
    async with db.read() as session:
        highest = await session.scalar(query)
    return 0 if highest is None else int(highest) + 1


async def last_turn(db: Database, session_id: str) -> int:
    """The highest turn number any message carries (a failed turn's user row included,
    which the session row's `turns` does not count); 0 for none."""
    query = select(func.max(MessageRow.turn)).where(MessageRow.session_id == session_id)
    async with db.read() as session:
        highest = await session.scalar(query)
    return 0 if highest is None else int(highest)


CLEAR_MARKER = "(cleared: the messages before this were archived)"


def rewind_marker(turn: int) -> str:
    return f"(rewound: the conversation went back to before turn {turn})"


def is_marker(row: MessageRecord) -> bool:
    """A /clear or rewind marker (never shown as a message of the conversation)."""
    return row.role == MessageRole.SYSTEM.value and not row.is_summary


async def archive_live_messages(
    db: Database, session_id: str, *, context: int | None = None, marker_seq: int | None = None
) -> int:
    """/clear: archive every live row (the summary too); the count archived. With
    `marker_seq`, a clear marker is written there first (a retry finds it and archives
    nothing more than is still live).

    The session's totals (`context_tokens` drops to 0) and, when given, its agent
    `context` follow in the same transaction.
    """
    statement = (
        update(MessageRow)
        .where(MessageRow.session_id == session_id, MessageRow.archived.is_(False))
        .values(archived=True)
    )
    async with db.write() as session:
        if marker_seq is not None:
            await session.execute(_marker(db, session_id, marker_seq, CLEAR_MARKER, None))
        result = await session.execute(statement)
        await refresh_totals_in(session, session_id, context=context)
        return int(result.rowcount)  # type: ignore[attr-defined]


async def apply_rewind(
    db: Database,
    *,
    session_id: str,
    turn: int,
    marker_seq: int,
    visible_seqs: Sequence[int],
    context: int,
) -> tuple[int, int] | None:
    """Make exactly `visible_seqs` the live rows and write the rewind's marker at
    `marker_seq`, all or nothing; (archived, brought back). None when this rewind's
    marker exists already (a retried activity: nothing changes); another row at
    `marker_seq` is a caller bug (ValueError). The session's totals and agent `context`
    follow in the same transaction."""
    wanted = list(visible_seqs)
    archive = (
        update(MessageRow)
        .where(
            MessageRow.session_id == session_id,
            MessageRow.archived.is_(False),
            MessageRow.seq.not_in(wanted),
        )
        .values(archived=True)
    )
    bring_back = (
        update(MessageRow)
        .where(
            MessageRow.session_id == session_id,
            MessageRow.archived.is_(True),
            MessageRow.seq.in_(wanted),
        )
        .values(archived=False)
    )
    async with db.write() as session:
        written = await session.execute(
            _marker(db, session_id, marker_seq, rewind_marker(turn), turn)
        )
        if not written.rowcount:  # type: ignore[attr-defined]
            taken = (
                await session.execute(
                    select(MessageRow).where(
                        MessageRow.session_id == session_id, MessageRow.seq == marker_seq
                    )
                )
            ).scalar_one()
            if (taken.role, taken.is_summary, taken.turn, taken.content) != (
                MessageRole.SYSTEM.value, False, turn, rewind_marker(turn),
            ):  # fmt: skip
                raise ValueError(
                    f"seq {marker_seq} of session {session_id} is not the marker of a rewind "
                    f"to before turn {turn}"
                )
            return None
        archived = await session.execute(archive)
        back = await session.execute(bring_back)
        await refresh_totals_in(session, session_id, context=context)
        return int(archived.rowcount), int(back.rowcount)  # type: ignore[attr-defined]


def _marker(db: Database, session_id: str, seq: int, content: str, turn: int | None) -> Any:
    return (
        db.insert(MessageRow)
        .values(
            session_id=session_id,
            seq=seq,
            role=MessageRole.SYSTEM.value,
            content=content,
            tool_calls=None,
            token_count=0,
            is_summary=False,
            archived=True,
            client_id=None,
            turn=turn,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing()
    )


async def apply_compaction(
    db: Database,
    *,
    session_id: str,
    archive_seqs: Sequence[int],
    summary_seq: int,
    summary: str,
    summary_tokens: int,
    context: int | None = None,
) -> bool:
    """Archive `archive_seqs` and add the summary row at `summary_seq`, all or nothing.

    The summary row is the marker: when it exists already (a retried activity) nothing
    changes and the answer is False. A non-summary row at `summary_seq` is a caller bug
    (ValueError). The session's totals and, when given, its agent `context` follow in
    the same transaction.
    """
    insert_summary = (
        db.insert(MessageRow)
        .values(
            session_id=session_id,
            seq=summary_seq,
            role=MessageRole.SYSTEM.value,
            content=summary,
            tool_calls=None,
            token_count=summary_tokens,
            is_summary=True,
            archived=False,
            client_id=None,
            turn=None,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing()
    )
    archive = (
        update(MessageRow)
        .where(
            MessageRow.session_id == session_id,
            MessageRow.seq.in_(list(archive_seqs)),
            MessageRow.seq != summary_seq,
            MessageRow.archived.is_(False),
        )
        .values(archived=True)
    )
    async with db.write() as session:
        inserted = await session.execute(insert_summary)
        if not inserted.rowcount:  # type: ignore[attr-defined]
            taken = await session.scalar(
                select(MessageRow.is_summary).where(
                    MessageRow.session_id == session_id, MessageRow.seq == summary_seq
                )
            )
            if not taken:
                raise ValueError(f"seq {summary_seq} of session {session_id} is not a summary")
            return False
        await session.execute(archive)
        await refresh_totals_in(session, session_id, context=context)
        return True


def body_sha256(text: str) -> str:
    return body_digest(text)[0]


async def put_body(db: Database, text: str) -> str:
    """Store a large message body (scrubbed); its sha256 (hex of the UTF-8 bytes of
    what is stored) is its key."""
    text = scrub(text)
    sha256 = body_sha256(text)
    statement = (
        db.insert(MessageBodyRow)
        .values(sha256=sha256, body=text, created_at=utc_now())
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    async with db.write() as session:
        await session.execute(statement)
    return sha256


async def get_body(db: Database, sha256: str) -> str | None:
    async with db.read() as session:
        row = await session.get(MessageBodyRow, sha256)
        return None if row is None else row.body


async def _one(db: Database, *conditions: ColumnElement[bool]) -> MessageRecord | None:
    query = select(MessageRow).where(*conditions)
    async with db.read() as session:
        row = await session.scalar(query)
        return None if row is None else MessageRecord.model_validate(row)


async def _many(db: Database, query: Select[MessageRow]) -> list[MessageRecord]:
    async with db.read() as session:
        rows = (await session.scalars(query)).all()
        return [MessageRecord.model_validate(row) for row in rows]
