"""Run events and LLM calls are written once, however often an activity is retried."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from my_deepagent.store.database import Database
from my_deepagent.store.events import event_key, list_events, record_event
from my_deepagent.store.llm_calls import (
    call_totals,
    list_llm_calls,
    llm_call_key,
    record_llm_call,
)
from my_deepagent.store.records import EventType, RunRecord
from my_deepagent.store.runs import create_run


@pytest.fixture
async def run(db: Database, tmp_path: object) -> RunRecord:
    return await create_run(db, repo_path=str(tmp_path), base_branch="main", template_ref="t@1")


def test_event_keys_are_built_from_deterministic_parts_only() -> None:
    assert event_key("r1", EventType.RUN_STARTED) == "r1:run.started"
    assert (
        event_key("r1", EventType.PHASE_STARTED, phase_key="spec", round=2)
        == "r1:phase.started:phase=spec:round=2"
    )
    assert event_key("r1", EventType.RUN_RESUMED, part=3) == "r1:run.resumed:3"
    assert event_key("r1", EventType.PHASE_STARTED, phase_key="spec", round=0) != event_key(
        "r1", EventType.PHASE_STARTED, phase_key="spec", round=1
    )
    with pytest.raises(ValueError):
        event_key("r1", "run.exploded")  # type: ignore[arg-type]


async def test_the_same_key_twice_writes_one_event(db: Database, run: RunRecord) -> None:
    key = event_key(run.id, EventType.PHASE_STARTED, phase_key="spec", round=0)
    payload = {"persona": "scripted-spec-writer@1"}
    assert await record_event(db, run.id, EventType.PHASE_STARTED, key, payload, phase_key="spec")
    assert not await record_event(
        db, run.id, EventType.PHASE_STARTED, key, {"persona": "changed"}, phase_key="spec"
    )
    [event] = await list_events(db, run.id)
    assert (event.type, event.idempotency_key, event.phase_key) == (
        EventType.PHASE_STARTED,
        key,
        "spec",
    )
    assert event.payload == payload
    assert event.created_at.utcoffset() is not None


async def test_events_follow_in_order_from_a_cursor(db: Database, run: RunRecord) -> None:
    types = [EventType.RUN_STARTED, EventType.PHASE_STARTED, EventType.PHASE_COMPLETED]
    for event_type in types:
        await record_event(db, run.id, event_type, event_key(run.id, event_type, phase_key="spec"))
    events = await list_events(db, run.id)
    assert [e.type for e in events] == types
    later = await list_events(db, run.id, after_id=events[0].id)
    assert [e.type for e in later] == types[1:]
    assert await list_events(db, run.id, after_id=events[-1].id) == []


async def test_an_event_for_an_unknown_run_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await record_event(db, "0" * 32, EventType.RUN_STARTED, "k")


async def test_an_llm_call_reported_twice_is_one_row(db: Database, run: RunRecord) -> None:
    thread = f"run:{run.id}:phase:spec:0"

    async def report(message_id: str) -> bool:
        recorded = await record_llm_call(
            db,
            thread_id=thread,
            message_id=message_id,
            model="scripted:spec-writer",
            input_tokens=1200,
            output_tokens=300,
            cached_tokens=1000,
            run_id=run.id,
            phase_key="spec",
            persona_ref="scripted-spec-writer@1",
        )
        return recorded.new

    assert await report("m1")
    assert not await report("m1")
    assert await report("m2")
    calls = await list_llm_calls(db, run.id)
    assert [c.call_key for c in calls] == [llm_call_key(thread, "m1"), llm_call_key(thread, "m2")]
    assert (calls[0].input_tokens, calls[0].output_tokens, calls[0].cached_tokens) == (
        1200,
        300,
        1000,
    )
    assert (await call_totals(db, run_id=run.id))[1:] == (2400, 600, 2000)


async def test_token_totals_of_a_run_without_calls_are_zero(db: Database, run: RunRecord) -> None:
    assert (await call_totals(db, run_id=run.id))[1:] == (0, 0, 0)
