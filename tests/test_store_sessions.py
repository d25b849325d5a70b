"""Sessions: lookup by prefix, listing by activity, ending, and totals that are recomputed."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from my_deepagent.errors import MdaError
from my_deepagent.store.database import Database
from my_deepagent.store.llm_calls import call_totals, record_llm_call
from my_deepagent.store.messages import append_message, apply_compaction, put_body
from my_deepagent.store.records import SessionRecord, SessionState
from my_deepagent.store.runs import create_run
from my_deepagent.store.sessions import (
    create_session,
    end_session,
    get_session,
    list_sessions,
    new_session_id,
    refresh_session_totals,
    resolve_session_id,
    set_session_agent,
    set_session_context,
)
from my_deepagent.store.tables import (
    LlmCallRow,
    MessageBodyRow,
    MessageRow,
    SessionRow,
    utc_now,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path.resolve()


async def _new(db: Database, repo: Path, session_id: str | None = None) -> SessionRecord:
    return await create_session(
        db,
        session_id=session_id or new_session_id(),
        repo_path=str(repo),
        project_key="0123456789abcdef",
        persona_ref="scripted-chat@1",
        model="scripted:chat",
    )


async def _llm_call(db: Database, session_id: str, message_id: str, tokens: int) -> bool:
    return (
        await record_llm_call(
            db,
            thread_id=f"session:{session_id}:0",
            message_id=message_id,
            model="scripted:chat",
            input_tokens=tokens,
            output_tokens=tokens // 10,
            cached_tokens=tokens // 100,
            session_id=session_id,
            persona_ref="scripted-chat@1",
        )
    ).new


async def test_a_new_session_is_active_on_context_zero_with_zero_totals(
    db: Database, repo: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(repo)
    session_id = new_session_id()
    assert len(session_id) == 32 and int(session_id, 16) >= 0
    created = await create_session(
        db,
        session_id=session_id,
        repo_path=str(link),
        project_key="0123456789abcdef",
        persona_ref="scripted-chat@1",
        model="scripted:chat",
        compact_threshold=0.5,
    )
    assert created.repo_path == str(repo)
    assert created.state is SessionState.ACTIVE and created.is_active
    assert (created.context, created.turns, created.compactions) == (0, 0, 0)
    assert (created.total_input_tokens, created.total_output_tokens) == (0, 0)
    assert (created.total_cached_tokens, created.context_tokens) == (0, 0)
    assert created.title is None and created.compact_threshold == 0.5
    assert created.last_message_at is None and created.ended_at is None
    assert created.created_at.tzinfo is UTC and created.updated_at == created.created_at
    assert created.workflow_id == f"session-{session_id}"
    assert created.thread_id == f"session:{session_id}:0"
    assert await get_session(db, session_id) == created
    assert await get_session(db, new_session_id()) is None


async def test_resolve_by_full_id_workflow_id_or_unique_prefix(db: Database, repo: Path) -> None:
    target = await _new(db, repo, "abcdef" + "0" * 26)
    await _new(db, repo, "abcd99" + "1" * 26)
    for text in (target.id, target.workflow_id, "abcdef", " ABCDEF0 ", target.id[:20]):
        assert await resolve_session_id(db, text) == target.id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "abcd1",
            "session id 'abcd1' is too short: give at least 6 characters of the session id "
            "(see mda sessions list)",
        ),
        ("fedcba", "no session matches 'fedcba' (see mda sessions list)"),
        ("abcd1%", "no session matches 'abcd1%' (see mda sessions list)"),
        (
            "abcd12",
            "session id 'abcd12' is ambiguous: it matches {0}, {1}, {2} and more "
            "(give more characters)",
        ),
        (
            "abcd12a",
            "session id 'abcd12a' is ambiguous: it matches {0}, {1} (give more characters)",
        ),
    ],
)
async def test_resolve_names_the_fix_in_one_line(
    db: Database, repo: Path, text: str, message: str
) -> None:
    ids = [
        "abcd12aa" + "a" * 24,
        "abcd12ab" + "b" * 24,
        "abcd12bc" + "c" * 24,
        "abcd12cd" + "d" * 24,
    ]
    for session_id in ids:
        await _new(db, repo, session_id)
    with pytest.raises(MdaError) as caught:
        await resolve_session_id(db, text)
    assert caught.value.message == message.format(*ids)
    assert "\n" not in caught.value.message


async def test_list_newest_activity_first_filtered_by_repository_and_state(
    db: Database, repo: Path, tmp_path: Path
) -> None:
    other_repo = tmp_path / "other"
    other_repo.mkdir()
    first = await _new(db, repo)
    second = await _new(db, repo)
    elsewhere = await _new(db, other_repo)
    assert [s.id for s in await list_sessions(db)] == [elsewhere.id, second.id, first.id]

    await append_message(
        db, session_id=first.id, seq=0, role="user", content="hello", token_count=3
    )
    await refresh_session_totals(db, first.id)
    assert [s.id for s in await list_sessions(db)] == [first.id, elsewhere.id, second.id]
    assert [s.id for s in await list_sessions(db, limit=2)] == [first.id, elsewhere.id]
    assert [s.id for s in await list_sessions(db, repo_path=str(repo))] == [first.id, second.id]

    await end_session(db, second.id)
    assert [s.id for s in await list_sessions(db, state="ended")] == [second.id]
    assert [s.id for s in await list_sessions(db, state=SessionState.ACTIVE)] == [
        first.id,
        elsewhere.id,
    ]


async def test_ending_twice_keeps_the_first_end(db: Database, repo: Path) -> None:
    session = await _new(db, repo)
    assert await end_session(db, session.id)
    ended = await get_session(db, session.id)
    assert ended is not None and ended.state is SessionState.ENDED and not ended.is_active
    assert ended.ended_at is not None and ended.ended_at >= session.created_at
    assert not await end_session(db, session.id)
    assert await get_session(db, session.id) == ended
    with pytest.raises(MdaError, match=r"no session '0+' \(see mda sessions list\)"):
        await end_session(db, "0" * 32)


async def test_agent_and_context_changes(db: Database, repo: Path) -> None:
    session = await _new(db, repo)
    await set_session_agent(
        db, session.id, persona_ref="reviewer@2", model="openai:gpt-4o-mini", context=1
    )
    changed = await get_session(db, session.id)
    assert changed is not None
    assert (changed.persona_ref, changed.model, changed.context) == (
        "reviewer@2",
        "openai:gpt-4o-mini",
        1,
    )
    assert changed.thread_id == f"session:{session.id}:1"
    await set_session_context(db, session.id, 2)
    again = await get_session(db, session.id)
    assert again is not None and again.context == 2 and again.persona_ref == "reviewer@2"
    with pytest.raises(MdaError, match="no session"):
        await set_session_context(db, "f" * 32, 1)


async def test_totals_are_recomputed_not_incremented(db: Database, repo: Path) -> None:
    session = await _new(db, repo)
    other = await _new(db, repo)
    run = await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    assert await _llm_call(db, session.id, "m1", 1000)
    assert await _llm_call(db, session.id, "m2", 2000)
    assert not await _llm_call(db, session.id, "m2", 2000)  # reported again after a retry
    assert await _llm_call(db, other.id, "m1", 500)
    await record_llm_call(
        db,
        thread_id="run",
        message_id="x",
        model="m",
        input_tokens=7,
        output_tokens=7,
        run_id=run.id,
    )
    for seq, (role, content, tokens) in enumerate(
        [("user", "  Fix   the\nflaky test in " + "x" * 60, 40), ("assistant", "done", 60)]
    ):
        await append_message(
            db, session_id=session.id, seq=seq, role=role, content=content, token_count=tokens
        )

    refreshed = await refresh_session_totals(
        db, session.id, context=3, turns=1, title_from="  Fix   the\nflaky test in " + "x" * 60
    )
    assert (refreshed.total_input_tokens, refreshed.total_output_tokens) == (3000, 300)
    assert refreshed.total_cached_tokens == 30
    assert refreshed.context_tokens == 100
    assert (refreshed.context, refreshed.turns, refreshed.compactions) == (3, 1, 0)
    assert refreshed.title == ("Fix the flaky test in " + "x" * 60)[:50]
    assert refreshed.last_message_at is not None
    assert refreshed.last_message_at.tzinfo is UTC
    assert refreshed.last_message_at >= refreshed.created_at

    again = await refresh_session_totals(db, session.id, title_from="a later message")
    assert again.model_dump(exclude={"updated_at"}) == refreshed.model_dump(exclude={"updated_at"})
    assert await get_session(db, session.id) == again
    assert await call_totals(db, session_id=session.id) == (2, 3000, 300, 30)
    assert await call_totals(db, session_id=other.id) == (1, 500, 50, 5)
    assert await call_totals(db, run_id=run.id) == (1, 7, 7, 0)
    assert await call_totals(db, since=session.created_at) == (4, 3507, 357, 35)
    assert await call_totals(db, since=utc_now() + timedelta(seconds=1)) == (0, 0, 0, 0)
    with pytest.raises(MdaError, match="no session"):
        await refresh_session_totals(db, "e" * 32)


async def test_a_blank_first_message_leaves_the_title_for_a_later_one(
    db: Database, repo: Path
) -> None:
    session = await _new(db, repo)
    assert (await refresh_session_totals(db, session.id, title_from=" \n ")).title is None
    assert (await refresh_session_totals(db, session.id, title_from="second")).title == "second"


async def test_context_tokens_follow_compaction(db: Database, repo: Path) -> None:
    """Live tokens 1000; compaction archives 600 of them and adds a 50-token summary."""
    session = await _new(db, repo)
    for seq in range(10):
        role = "user" if seq % 2 == 0 else "assistant"
        await append_message(
            db, session_id=session.id, seq=seq, role=role, content=f"m{seq}", token_count=100
        )
    assert (await refresh_session_totals(db, session.id)).context_tokens == 1000
    assert await apply_compaction(
        db,
        session_id=session.id,
        archive_seqs=range(6),
        summary_seq=10,
        summary="## Summary\nearlier work",
        summary_tokens=50,
    )
    compacted = await get_session(db, session.id)
    assert compacted is not None
    assert (compacted.context_tokens, compacted.compactions) == (1000 - 600 + 50, 1)
    refreshed = await refresh_session_totals(db, session.id)
    assert (refreshed.context_tokens, refreshed.compactions) == (450, 1)


async def test_deleting_a_session_deletes_its_messages_and_calls_not_bodies(
    db: Database, repo: Path
) -> None:
    session = await _new(db, repo)
    kept = await _new(db, repo)
    for owner in (session, kept):
        await append_message(
            db, session_id=owner.id, seq=0, role="user", content="hi", token_count=1
        )
        await _llm_call(db, owner.id, "m1", 10)
    sha = await put_body(db, "a long body")
    async with db.write() as tx:
        await tx.execute(delete(SessionRow).where(SessionRow.id == session.id))
    async with db.read() as tx:
        messages = await tx.scalar(select(func.count()).select_from(MessageRow))
        calls = await tx.scalar(select(func.count()).select_from(LlmCallRow))
        bodies = await tx.scalar(select(func.count()).where(MessageBodyRow.sha256 == sha))
    assert (messages, calls, bodies) == (1, 1, 1)
    assert await call_totals(db, session_id=kept.id) == (1, 10, 1, 0)
