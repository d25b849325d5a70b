"""Messages: written once however often an activity retries, archived never deleted."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from my_deepagent.store.database import Database, connect
from my_deepagent.store.messages import (
    append_message,
    apply_compaction,
    archive_live_messages,
    get_body,
    live_messages,
    message_at,
    message_by_client_id,
    next_seq,
    put_body,
    session_messages,
)
from my_deepagent.store.records import MessageRecord, MessageRole
from my_deepagent.store.sessions import create_session, get_session, new_session_id
from my_deepagent.store.tables import MessageRow


@pytest.fixture
async def session_id(db: Database, tmp_path: Path) -> str:
    created = await create_session(
        db,
        session_id=new_session_id(),
        repo_path=str(tmp_path),
        project_key="0123456789abcdef",
        persona_ref="scripted-chat@1",
        model="scripted:chat",
    )
    return created.id


async def _append_turns(db: Database, session_id: str, count: int, tokens: int = 100) -> None:
    """`count` rows: user at even seqs (client id `c<seq>`), assistant at odd ones."""
    for seq in range(count):
        user = seq % 2 == 0
        await append_message(
            db,
            session_id=session_id,
            seq=seq,
            role="user" if user else "assistant",
            content=f"message {seq}",
            token_count=tokens,
            client_id=f"c{seq}" if user else None,
            turn=seq // 2,
        )


def _seqs(messages: list[MessageRecord]) -> list[int]:
    return [m.seq for m in messages]


async def test_a_message_reads_back_as_written(db: Database, session_id: str) -> None:
    calls = [{"name": "read_file", "args": "path=README.md"}, {"name": "ls", "args": "."}]
    assert await next_seq(db, session_id) == 0
    assert await append_message(
        db,
        session_id=session_id,
        seq=0,
        role="user",
        content="héllo 👋",
        token_count=4,
        client_id="client-1",
        turn=0,
    )
    assert await append_message(
        db,
        session_id=session_id,
        seq=1,
        role=MessageRole.ASSISTANT,
        content="hi",
        token_count=1,
        tool_calls=calls,
        turn=0,
    )
    user = await message_at(db, session_id, 0)
    assert user is not None
    assert (user.role, user.content, user.token_count) == (MessageRole.USER, "héllo 👋", 4)
    assert (user.client_id, user.turn, user.tool_calls) == ("client-1", 0, None)
    assert not user.is_summary and not user.archived
    assert user.created_at.tzinfo is UTC
    assert await message_by_client_id(db, session_id, "client-1") == user
    answer = await message_at(db, session_id, 1)
    assert answer is not None and answer.tool_calls == calls and answer.client_id is None
    assert await message_at(db, session_id, 2) is None
    assert await message_by_client_id(db, session_id, "client-2") is None
    assert await message_by_client_id(db, new_session_id(), "client-1") is None
    assert await next_seq(db, session_id) == 2


async def test_no_tool_calls_is_sql_null(db: Database, session_id: str) -> None:
    await append_message(
        db, session_id=session_id, seq=0, role="assistant", content="ok", token_count=1
    )
    async with db.read() as tx:
        found = await tx.scalar(
            select(MessageRow.id).where(
                MessageRow.session_id == session_id, MessageRow.tool_calls.is_(None)
            )
        )
    assert found is not None


async def test_the_same_seq_twice_is_one_row_and_keeps_the_first(
    db: Database, session_id: str
) -> None:
    assert await append_message(
        db, session_id=session_id, seq=0, role="user", content="first", token_count=1
    )
    assert not await append_message(
        db, session_id=session_id, seq=0, role="user", content="second", token_count=2
    )
    [only] = await session_messages(db, session_id, include_archived=True)
    assert (only.content, only.token_count) == ("first", 1)


async def test_the_same_client_id_twice_is_one_row(db: Database, session_id: str) -> None:
    assert await append_message(
        db, session_id=session_id, seq=0, role="user", content="q", token_count=1, client_id="x"
    )
    assert not await append_message(
        db, session_id=session_id, seq=2, role="user", content="q", token_count=1, client_id="x"
    )
    assert _seqs(await live_messages(db, session_id)) == [0]
    assert await next_seq(db, session_id) == 1


async def test_rows_without_a_client_id_never_collide(db: Database, session_id: str) -> None:
    for seq in range(3):
        assert await append_message(
            db, session_id=session_id, seq=seq, role="assistant", content="a", token_count=1
        )
    assert _seqs(await live_messages(db, session_id)) == [0, 1, 2]


async def test_the_same_seq_or_client_id_in_another_session_is_free(
    db: Database, session_id: str, tmp_path: Path
) -> None:
    other = await create_session(
        db,
        session_id=new_session_id(),
        repo_path=str(tmp_path),
        project_key="0123456789abcdef",
        persona_ref="p@1",
        model="scripted:chat",
    )
    for owner in (session_id, other.id):
        assert await append_message(
            db, session_id=owner, seq=0, role="user", content="q", token_count=1, client_id="x"
        )


async def test_concurrent_writers_of_one_seq_write_it_once(
    store_url: str, db: Database, session_id: str
) -> None:
    """Separate engines, as a retried activity on another worker would have."""
    databases = [connect(store_url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(
                append_message(
                    other,
                    session_id=session_id,
                    seq=0,
                    role="user",
                    content=f"writer {n}",
                    token_count=1,
                    client_id="same",
                )
                for n, other in enumerate(databases)
            )
        )
    finally:
        for other in databases:
            await other.close()
    assert sorted(results) == [False, False, False, True]
    assert len(await session_messages(db, session_id, include_archived=True)) == 1


async def test_unknown_roles_and_sessions_are_refused(db: Database, session_id: str) -> None:
    with pytest.raises(ValueError, match="'tool'"):
        await append_message(
            db, session_id=session_id, seq=0, role="tool", content="x", token_count=1
        )
    with pytest.raises(IntegrityError):
        await append_message(
            db, session_id=new_session_id(), seq=0, role="user", content="x", token_count=1
        )


async def test_clear_archives_every_live_row_and_seqs_go_on(db: Database, session_id: str) -> None:
    await _append_turns(db, session_id, 4)
    assert await archive_live_messages(db, session_id) == 4
    assert await live_messages(db, session_id) == []
    assert await archive_live_messages(db, session_id) == 0
    everything = await session_messages(db, session_id, include_archived=True)
    assert _seqs(everything) == [0, 1, 2, 3] and all(m.archived for m in everything)
    assert await next_seq(db, session_id) == 4
    cleared = await get_session(db, session_id)
    assert cleared is not None and cleared.context_tokens == 0

    assert await append_message(
        db, session_id=session_id, seq=4, role="user", content="fresh", token_count=5
    )
    assert _seqs(await live_messages(db, session_id)) == [4]
    assert not await append_message(  # a client id stays taken after /clear
        db,
        session_id=session_id,
        seq=5,
        role="user",
        content="again",
        token_count=5,
        client_id="c0",
    )


async def test_compaction_archives_and_summarises_once(db: Database, session_id: str) -> None:
    await _append_turns(db, session_id, 14)
    older = range(4)

    async def compact() -> bool:
        return await apply_compaction(
            db,
            session_id=session_id,
            archive_seqs=older,
            summary_seq=14,
            summary="## Goal\nfix the test",
            summary_tokens=30,
        )

    assert await compact()
    after = await session_messages(db, session_id, include_archived=True)
    assert not await compact()
    assert await session_messages(db, session_id, include_archived=True) == after

    live = await live_messages(db, session_id)
    assert _seqs(live) == [14, *range(4, 14)]
    summary = live[0]
    assert summary.is_summary and summary.role is MessageRole.SYSTEM
    assert (summary.content, summary.token_count, summary.client_id) == (
        "## Goal\nfix the test",
        30,
        None,
    )
    assert await session_messages(db, session_id, include_archived=False) == live
    assert _seqs(after) == list(range(15))
    assert [m.seq for m in after if m.archived] == [0, 1, 2, 3]
    assert await next_seq(db, session_id) == 15
    compacted = await get_session(db, session_id)
    assert compacted is not None
    assert (compacted.context_tokens, compacted.compactions) == (10 * 100 + 30, 1)


async def test_a_second_compaction_archives_the_first_summary(
    db: Database, session_id: str
) -> None:
    await _append_turns(db, session_id, 14)
    assert await apply_compaction(
        db,
        session_id=session_id,
        archive_seqs=range(4),
        summary_seq=14,
        summary="first",
        summary_tokens=10,
    )
    for seq in (15, 16):
        await append_message(
            db, session_id=session_id, seq=seq, role="user", content="more", token_count=100
        )
    assert await apply_compaction(
        db,
        session_id=session_id,
        archive_seqs=[14, 4, 5, 6, 7],
        summary_seq=17,
        summary="second",
        summary_tokens=20,
    )
    live = await live_messages(db, session_id)
    assert [(m.seq, m.content) for m in live[:2]] == [(17, "second"), (8, "message 8")]
    assert _seqs(live) == [17, *range(8, 14), 15, 16]
    compacted = await get_session(db, session_id)
    assert compacted is not None
    assert (compacted.context_tokens, compacted.compactions) == (8 * 100 + 20, 2)


async def test_a_summary_seq_taken_by_a_message_is_a_caller_bug(
    db: Database, session_id: str
) -> None:
    await _append_turns(db, session_id, 6)
    with pytest.raises(ValueError, match="not a summary"):
        await apply_compaction(
            db,
            session_id=session_id,
            archive_seqs=[0, 1],
            summary_seq=5,
            summary="s",
            summary_tokens=1,
        )
    assert _seqs(await live_messages(db, session_id)) == list(range(6))


async def test_bodies_round_trip_by_sha256(db: Database) -> None:
    text = "é" * 20_000 + "\n👋"
    sha = await put_body(db, text)
    assert sha == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert await put_body(db, text) == sha
    assert await get_body(db, sha) == text
    assert await get_body(db, "0" * 64) is None
