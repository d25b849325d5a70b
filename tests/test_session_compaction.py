"""Compaction end to end: a session whose context passes the threshold is compacted after the
turn that passed it. The older messages become one structured summary row, the
originals are archived (not deleted), the 10 most recent stay, the token totals say
what was saved, and the next turn's agent context starts from the summary.

The session model has a 2,000-token window (`scripted:chat-window-2000`), so the
default 70% threshold is 1,400 tokens; the offline summariser is the scripted model.
"""

from __future__ import annotations

from temporalio.client import Client

from my_deepagent.sessions.client import send, update
from my_deepagent.settings import get_settings
from my_deepagent.store.database import open_database
from my_deepagent.store.llm_calls import call_totals
from my_deepagent.store.messages import live_messages, session_messages
from my_deepagent.store.sessions import get_session
from my_deepagent.workflows.session_types import CompactionOutcome, TurnResult
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import start_worker

WINDOW_MODEL = "scripted:chat-window-2000"
GOAL = "Goal: add due dates to the todo app in src/todo.py, keeping tests green."


def turn_text(turn: int) -> str:
    return f"Step {turn}: we decided the file src/step_{turn}.py matters. " * 6


async def test_compaction_summarises_archives_and_reseeds(
    run_env: RunEnv, temporal_client: Client
) -> None:
    await start_worker(run_env, temporal_client)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, model=WINDOW_MODEL)
        await send(handle, db, message(GOAL, "goal"))
        compacted: TurnResult | None = None
        for turn in range(1, 30):
            result = await send(handle, db, message(turn_text(turn), f"t{turn}"))
            if result.compaction is not None and result.compaction.compacted:
                compacted = result
                break
        assert compacted is not None and compacted.compaction is not None
        outcome = compacted.compaction
        assert outcome.tokens_before > 1400 > outcome.tokens_after

        live = await live_messages(db, record.id)
        summary, kept = live[0], live[1:]
        assert summary.is_summary and summary.role == "system"
        assert summary.seq == outcome.summary_seq
        assert len(kept) == 10 and not any(m.is_summary for m in kept)
        for heading in ("## Goal", "## Decisions", "## Open tasks", "## Files touched"):
            assert heading in summary.content
        assert "add due dates to the todo app" in summary.content
        assert "src/todo.py" in summary.content

        every = await session_messages(db, record.id, include_archived=True)
        archived = [m for m in every if m.archived]
        assert len(archived) == outcome.archived and archived[0].content == GOAL
        assert len(every) == len(archived) + len(live)

        session = await get_session(db, record.id)
        assert session is not None and session.compactions == 1
        assert session.context_tokens == outcome.tokens_after == sum(m.token_count for m in live)
        summary_calls = await call_totals(db, thread_id=f"session:{record.id}:summary")
        assert summary_calls[0] >= 1

        after = await send(handle, db, message("What was my first message?", "after"))
        assert "Your first message was: “[Summary of the conversation so far]" in after.reply

        refused = await update(handle, "compact", None, CompactionOutcome)
        assert not refused.compacted and refused.reason is not None
        assert "compaction needs at least 4" in refused.reason


async def test_the_threshold_is_configurable_per_session(
    run_env: RunEnv, temporal_client: Client
) -> None:
    await start_worker(run_env, temporal_client)

    async def first_compaction(compact_at: float | None) -> int:
        async with open_database(get_settings()) as db:
            _record, handle = await new_session(
                run_env, temporal_client, db, model=WINDOW_MODEL, compact_at=compact_at
            )
            for turn in range(1, 40):
                text = f"Step {turn}: the file src/step_{turn}.py matters. " * 2
                result = await send(handle, db, message(text, f"c{compact_at}-{turn}"))
                if result.compaction is not None and result.compaction.compacted:
                    return turn
        raise AssertionError("never compacted")

    assert await first_compaction(0.5) < await first_compaction(None)
