"""Messages sent at once to one session are answered one at a time, in the order
the workflow accepted them, each exactly once; a resent message id is answered once.
The workflow's validator refuses what must not enter its history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from temporalio.client import Client

from my_deepagent.errors import MdaError
from my_deepagent.sessions.client import send, update
from my_deepagent.settings import get_settings
from my_deepagent.store.database import Database, open_database
from my_deepagent.store.llm_calls import call_totals
from my_deepagent.store.messages import session_messages
from my_deepagent.store.records import SessionRecord
from my_deepagent.workflows.session_types import (
    MAX_MESSAGE_BYTES,
    ChatMessage,
    SessionStatus,
    TurnResult,
)
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import start_worker


async def test_ten_concurrent_messages_are_answered_one_at_a_time_in_order(
    run_env: RunEnv, temporal_client: Client
) -> None:
    await start_worker(run_env, temporal_client)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db)
        sent = [message(f"note number {i}", f"client-{i}") for i in range(10)]
        results = await asyncio.gather(*(send(handle, db, m) for m in sent))

        assert sorted(r.turn for r in results) == list(range(1, 11))
        for sent_message, result in zip(sent, results, strict=True):
            # The model saw exactly the turns before this one: strictly serial.
            assert f"“{sent_message.text}”" in result.reply
            assert f"That is message {result.turn} of this conversation" in result.reply
            assert result.assistant_seq == result.user_seq + 1 == 2 * result.turn - 1

        rows = await session_messages(db, record.id, include_archived=True)
        assert [(r.seq, r.role) for r in rows] == [
            (seq, "user" if seq % 2 == 0 else "assistant") for seq in range(20)
        ]
        by_turn = {r.turn: r for r in results}
        for user, answer in zip(rows[::2], rows[1::2], strict=True):
            assert user.turn is not None and answer.turn == user.turn
            assert f"“{user.content}”" in answer.content
            assert answer.content == by_turn[user.turn].reply
        assert (await call_totals(db, session_id=record.id))[0] == 10

        again = await send(handle, db, sent[3])
        assert again.turn == results[3].turn and again.reply == results[3].reply
        assert len(await session_messages(db, record.id, include_archived=True)) == 20
        assert (await call_totals(db, session_id=record.id))[0] == 10
        status = await handle.query("status", result_type=SessionStatus)
        assert status.turns == 10 and status.state == "idle" and status.queued == 0


async def test_the_workflow_refuses_bad_messages_before_history(
    run_env: RunEnv, temporal_client: Client
) -> None:
    await start_worker(run_env, temporal_client)
    async with open_database(get_settings()) as db:
        _record, handle = await new_session(run_env, temporal_client, db)
        await send(handle, db, message("hello", "first"))
        before = len((await handle.fetch_history()).events)
        bad = {
            "empty": ChatMessage(client_id="a", text="  ", size=2),
            "KiB limit": ChatMessage(client_id="b", body_ref="0" * 64, size=MAX_MESSAGE_BYTES + 1),
            "body reference": ChatMessage(client_id="c", text="x" * 20_000, size=20_000),
            "either": ChatMessage(client_id="d", size=3),
        }
        for needle, bad_message in bad.items():
            with pytest.raises(MdaError, match=needle):
                await send(handle, db, bad_message)
        assert len((await handle.fetch_history()).events) == before

        await update(handle, "end", None, SessionStatus)
        with pytest.raises(MdaError, match=r"has ended|not running"):
            await send(handle, db, message("after the end", "late"))


@dataclass
class BusySession:
    """A session whose slow first turn runs while a second message waits behind it."""

    db: Database
    record: SessionRecord
    handle: Any
    running: asyncio.Task[TurnResult]
    queued: asyncio.Task[TurnResult]


@asynccontextmanager
async def busy_session(env: RunEnv, client: Client) -> AsyncIterator[BusySession]:
    from test_session_durability import add_chat_explorer

    await start_worker(env, client, MDA_SCRIPTED_LATENCY_MS="400")
    async with open_database(get_settings()) as db:
        record, handle = await new_session(env, client, db, persona=add_chat_explorer())
        running = asyncio.create_task(send(handle, db, message("take a while", "running")))
        await wait_for_status(handle, lambda s: s.current_client_id == "running")
        queued = asyncio.create_task(send(handle, db, message("after", "queued")))
        await wait_for_status(handle, lambda s: s.queued == 1)
        yield BusySession(db, record, handle, running, queued)


async def wait_for_status(handle: Any, check: Any) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while not check(await handle.query("status", result_type=SessionStatus)):
        assert asyncio.get_running_loop().time() < deadline, "the status never matched"
        await asyncio.sleep(0.05)


async def test_a_queued_message_cancelled_before_its_turn_never_runs(
    run_env: RunEnv, temporal_client: Client
) -> None:
    from my_deepagent.sessions.client import cancel_turn

    async with busy_session(run_env, temporal_client) as busy:
        await cancel_turn(busy.handle, "queued")
        assert (await busy.queued).cancelled
        assert not (await busy.running).cancelled
        rows = await session_messages(busy.db, busy.record.id, include_archived=True)
        assert [r.content for r in rows if r.role == "user"] == ["take a while"]
        assert (await call_totals(busy.db, session_id=busy.record.id))[0] == 5


async def test_end_cancels_the_running_turn_and_refuses_the_queue(
    run_env: RunEnv, temporal_client: Client
) -> None:
    async with busy_session(run_env, temporal_client) as busy:
        status = await update(busy.handle, "end", None, SessionStatus)
        assert status.state == "ended"
        assert (await busy.running).cancelled
        with pytest.raises(MdaError, match="has ended"):
            await busy.queued
        rows = await session_messages(busy.db, busy.record.id, include_archived=True)
        assert [r.content for r in rows] == ["take a while", "(the turn was cancelled)"]
