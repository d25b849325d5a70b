"""A session's Temporal history stays small however long the conversation: 300 turns
end with every execution under 4 MiB (continue-as-new happened) and the whole
transcript in mda's database. A saved session history with a compaction and a
continue-as-new replays against today's `SessionWorkflow`.

Regenerate the saved history (after an intended, versioned change) with

    MDA_REGENERATE_HISTORIES=1 .venv/bin/pytest tests/test_session_history.py -k regenerate
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from my_deepagent.sessions.client import send, update
from my_deepagent.settings import get_settings
from my_deepagent.store.database import open_database
from my_deepagent.store.messages import session_messages
from my_deepagent.worker import workflow_runner
from my_deepagent.workflows.session import SessionWorkflow
from my_deepagent.workflows.session_types import CompactionOutcome, SessionStatus
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import start_worker

LONG_TURNS = 300
MAX_EXECUTION_HISTORY = 4 * 1024 * 1024
SAVED = Path(__file__).parent / "histories" / "sessions" / "compaction-and-continue.json"
REGENERATE = os.environ.get("MDA_REGENERATE_HISTORIES") == "1"


async def executions(client: Client, session_id: str) -> list[WorkflowHistory]:
    """Every execution of the session's workflow, oldest first."""
    found = [
        execution
        async for execution in client.list_workflows(f'WorkflowId = "session-{session_id}"')
    ]
    found.sort(key=lambda e: e.start_time)
    return [await client.get_workflow_handle(e.id, run_id=e.run_id).fetch_history() for e in found]


def history_bytes(history: WorkflowHistory) -> int:
    return len(history.to_json().encode())


def continued_as_new(history: WorkflowHistory) -> bool:
    return history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


async def test_300_turns_stay_small_and_the_transcript_is_whole(
    run_env: RunEnv, temporal_client: Client
) -> None:
    await start_worker(run_env, temporal_client)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db)
        first = await send(handle, db, message("turn 0: we keep the tests green", "turn-0"))
        for turn in range(1, LONG_TURNS):
            await send(handle, db, message(f"turn {turn}", f"turn-{turn}"))
        status = await handle.query("status", result_type=SessionStatus)
        assert status.turns == LONG_TURNS

        histories = await executions(temporal_client, record.id)
        assert len(histories) >= LONG_TURNS // 100
        assert all(continued_as_new(h) for h in histories[:-1])
        assert max(history_bytes(h) for h in histories) < MAX_EXECUTION_HISTORY

        rows = await session_messages(db, record.id, include_archived=True)
        texts = [r.content for r in rows if r.role == "user"]
        assert texts == ["turn 0: we keep the tests green"] + [
            f"turn {t}" for t in range(1, LONG_TURNS)
        ]
        assert sum(r.role == "assistant" for r in rows) == LONG_TURNS

        # A message resent after continue-as-new is still answered once, from the database.
        again = await send(handle, db, message("turn 0: we keep the tests green", "turn-0"))
        assert again.duplicate and again.reply == first.reply and again.turn == 1
        status = await handle.query("status", result_type=SessionStatus)
        assert status.turns == LONG_TURNS
        assert len(await session_messages(db, record.id, include_archived=True)) == len(rows)


async def compacted_session(
    env: RunEnv, client: Client
) -> tuple[str, WorkflowHandle[Any, SessionStatus]]:
    """Turns on a 2,000-token window: an automatic compaction, a forced one, a clear, and
    continue-as-new every 5 turns."""
    async with open_database(get_settings()) as db:
        record, handle = await new_session(
            env, client, db, model="scripted:chat-window-2000", turns_per_execution=5
        )
        automatic = None
        for turn in range(12):
            text = f"turn {turn}: remember that file src/mod_{turn}.py matters. " * 12
            result = await send(handle, db, message(text, f"t{turn}"))
            if result.compaction is not None and result.compaction.compacted:
                automatic = automatic or result.compaction
        assert automatic is not None and automatic.compacted
        forced = await update(handle, "compact", None, CompactionOutcome)
        assert forced.compacted or forced.reason
        await update(handle, "clear", None, int)
        await send(handle, db, message("after the clear", "t-last"))
        return record.id, handle


def replayer() -> Replayer:
    return Replayer(
        workflows=[SessionWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )


def has_activity(history: WorkflowHistory, name: str) -> bool:
    return any(
        e.activity_task_scheduled_event_attributes.activity_type.name == name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )


async def test_session_histories_replay(run_env: RunEnv, temporal_client: Client) -> None:
    await start_worker(run_env, temporal_client)
    session_id, _handle = await compacted_session(run_env, temporal_client)
    histories = await executions(temporal_client, session_id)
    assert len(histories) >= 2 and continued_as_new(histories[0])
    assert any(has_activity(h, "session_compact") for h in histories)
    for history in histories:
        result = await replayer().replay_workflow(history)
        assert result.replay_failure is None

    saved = WorkflowHistory.from_json("saved-session", SAVED.read_text())
    assert continued_as_new(saved) and has_activity(saved, "session_compact")
    assert (await replayer().replay_workflow(saved)).replay_failure is None


@pytest.mark.skipif(not REGENERATE, reason="set MDA_REGENERATE_HISTORIES=1 to rewrite it")
async def test_regenerate_session_history(run_env: RunEnv, temporal_client: Client) -> None:
    await start_worker(run_env, temporal_client)
    session_id, _handle = await compacted_session(run_env, temporal_client)
    histories = await executions(temporal_client, session_id)
    chosen = next(
        h for h in histories if continued_as_new(h) and has_activity(h, "session_compact")
    )
    SAVED.parent.mkdir(parents=True, exist_ok=True)
    document = json.loads(chosen.to_json())
    SAVED.write_text(json.dumps(document, separators=(",", ":")) + "\n")
