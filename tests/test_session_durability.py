"""A session turn survives its worker: SIGKILL the worker while a model call of the
turn is in flight; once a new worker starts, the same turn completes, the client's
update gets its answer, and no model call that had completed is served again (the
scripted model logs every call it serves). The ledger holds one row per call.

The session's persona lists the repository 4 times before it answers (`-explore-4`,
5 model calls), each call slowed by `MDA_SCRIPTED_LATENCY_MS`.
"""

from __future__ import annotations

import asyncio
import collections
import signal
from pathlib import Path

from temporalio.client import Client

from my_deepagent.sessions.client import send
from my_deepagent.settings import get_settings
from my_deepagent.store.database import open_database
from my_deepagent.store.llm_calls import call_totals
from my_deepagent.store.messages import session_messages
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import (
    DEADLINE_S,
    kill,
    served,
    start_worker,
    wait_until,
    write_explorer_persona,
)

LATENCY_MS = "700"
KILL_AFTER_CALLS = 2
EXPLORE = 4


def add_chat_explorer() -> str:
    return write_explorer_persona(
        f"scripted-chat-explorer-{EXPLORE}", f"scripted:chat-explore-{EXPLORE}", "[chat]", EXPLORE
    )


async def test_killed_worker_mid_turn_finishes_the_turn_without_repeating_calls(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    call_log = tmp_path / "calls.log"
    slow = {"MDA_SCRIPTED_LATENCY_MS": LATENCY_MS, "MDA_SCRIPTED_CALL_LOG": str(call_log)}
    persona = add_chat_explorer()
    first = await start_worker(run_env, temporal_client, **slow)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        turn = asyncio.create_task(send(handle, db, message("What is in this repo?", "m1")))
        await wait_until(lambda: len(served(call_log)) >= KILL_AFTER_CALLS, "2 model calls")
        kill(first)
        at_kill = served(call_log)
        assert not turn.done()
        await start_worker(run_env, temporal_client, **slow)
        result = await asyncio.wait_for(turn, DEADLINE_S)

        assert "You said: “What is in this repo?”" in result.reply and not result.cancelled
        calls = served(call_log)
        counts = collections.Counter(calls)
        assert len(counts) == EXPLORE + 1
        repeated = {call: n for call, n in counts.items() if n > 1}
        assert len(repeated) <= 1 and all(n == 2 for n in repeated.values()), repeated
        assert not set(repeated) & set(at_kill[:-1]), "a call completed before the kill ran again"
        assert (await call_totals(db, session_id=record.id))[0] == len(counts)
        rows = await session_messages(db, record.id, include_archived=True)
        assert [(r.seq, r.role) for r in rows] == [(0, "user"), (1, "assistant")]
        assert [c["name"] for c in rows[1].tool_calls or []] == ["ls"] * EXPLORE

        after = await send(handle, db, message("And the first thing I asked?", "m2"))
        assert "Your first message was: “What is in this repo?”" in after.reply


async def test_a_worker_shut_down_mid_turn_keeps_the_real_reply(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    """SIGTERM: the worker waits its graceful 10 s, then cancels the turn; the retry on
    a new worker answers, and that answer (not a cancellation) is what is recorded."""
    call_log = tmp_path / "calls.log"
    slow = {"MDA_SCRIPTED_LATENCY_MS": "1500", "MDA_SCRIPTED_CALL_LOG": str(call_log)}
    persona = write_explorer_persona(
        "scripted-chat-explorer-9", "scripted:chat-explore-9", "[chat]", 9
    )
    first = await start_worker(run_env, temporal_client, **slow)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        turn = asyncio.create_task(send(handle, db, message("Take your time.", "slow")))
        await wait_until(lambda: len(served(call_log)) >= 1, "the turn's first model call")
        first.send_signal(signal.SIGTERM)
        await asyncio.to_thread(first.wait, 60)
        await start_worker(run_env, temporal_client, **slow)
        result = await asyncio.wait_for(turn, DEADLINE_S)
        assert not result.cancelled and "You said: “Take your time.”" in result.reply
        rows = await session_messages(db, record.id, include_archived=True)
        assert [r.content for r in rows] == ["Take your time.", result.reply]
