"""A turn the provider refuses fails in one line and does not poison the session: the
next message starts a fresh agent context, seeded without the refused message, and is
answered. The provider is a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from temporalio.client import Client

from my_deepagent.errors import MdaError
from my_deepagent.sessions.client import ensure_running, send
from my_deepagent.settings import get_settings
from my_deepagent.store.database import open_database
from my_deepagent.store.llm_calls import session_llm_calls
from my_deepagent.store.messages import session_messages
from my_deepagent.store.sessions import get_session
from openai_stub import ErrorReply, OpenAIStub, Reply
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import start_worker


def add_stub_persona() -> str:
    personas = get_settings().paths.user_personas_dir
    personas.mkdir(parents=True, exist_ok=True)
    (personas / "stub-chat@1.yaml").write_text(
        """\
id: stub-chat
version: 1
description: Chat through the loopback OpenAI-compatible stub.
model: openai-compatible:stub-model
capabilities: [chat]
limits:
  max_cost_per_call_usd: 0.01
  max_tokens: 1024
  max_model_calls: 5
system_prompt: |
  Answer briefly.
"""
    )
    return "stub-chat@1"


async def test_a_refused_turn_does_not_poison_the_next_one(
    openai_stub: OpenAIStub, run_env: RunEnv, temporal_client: Client
) -> None:
    persona = add_stub_persona()
    await start_worker(run_env, temporal_client)
    openai_stub.script(ErrorReply(400, "this request is too large for the model"))
    openai_stub.script(Reply(content="Fine, next question."))
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        with pytest.raises(MdaError, match=r"the turn failed: .*too large"):
            await send(handle, db, message("a poisonous message", "bad"))
        answered = await send(handle, db, message("a normal question", "good"))
        assert answered.reply == "Fine, next question."

        sent = json.dumps(openai_stub.requests[-1]["messages"])
        assert "a normal question" in sent and "a poisonous message" not in sent
        rows = await session_messages(db, record.id, include_archived=True)
        assert [(r.role, r.content) for r in rows] == [
            ("user", "a poisonous message"),
            ("user", "a normal question"),
            ("assistant", "Fine, next question."),
        ]
        session = await get_session(db, record.id)
        assert session is not None and session.context == 1


async def test_a_restart_after_a_refused_turn_stays_off_the_failed_thread(
    openai_stub: OpenAIStub, run_env: RunEnv, temporal_client: Client
) -> None:
    """The row records the new context at once, so a workflow restarted from the
    database (here: after a terminate) does not go back to the failed thread."""
    persona = add_stub_persona()
    await start_worker(run_env, temporal_client)
    openai_stub.script(ErrorReply(400, "this request is too large for the model"))
    openai_stub.script(Reply(content="Back again."))
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        with pytest.raises(MdaError, match="the turn failed"):
            await send(handle, db, message("a poisonous message", "bad"))
        session = await get_session(db, record.id)
        assert session is not None and session.context == 1
        await handle.terminate("test")
        restarted = await ensure_running(temporal_client, db, session)
        answered = await send(restarted, db, message("after the restart", "good"))
        assert answered.reply == "Back again."
        assert "a poisonous message" not in json.dumps(openai_stub.requests[-1]["messages"])


async def test_the_ledger_holds_exactly_what_the_provider_served(
    openai_stub: OpenAIStub, run_env: RunEnv, temporal_client: Client
) -> None:
    """Tokens and the provider's reported cost, summed over the ledger, equal what the
    server answered; a call without a reported cost on an unpriced model is unknown."""
    persona = add_stub_persona()
    await start_worker(run_env, temporal_client)
    served = [
        Reply(content="One.", prompt_tokens=120, completion_tokens=30, cost=0.00123),
        Reply(content="Two.", prompt_tokens=250, completion_tokens=45, cost=0.0021),
        Reply(content="Three.", prompt_tokens=310, completion_tokens=12),
    ]
    openai_stub.script(*served)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        for n, text in enumerate(("first", "second", "third")):
            await send(handle, db, message(text, f"m{n}"))
        rows = await session_llm_calls(db, record.id)
    assert len(openai_stub.requests) == len(rows) == 3
    assert sum(r.input_tokens for r in rows) == sum(r.prompt_tokens for r in served)
    assert sum(r.output_tokens for r in rows) == sum(r.completion_tokens for r in served)
    assert [r.cost_usd for r in rows] == [Decimal("0.00123"), Decimal("0.0021"), None]
    assert [r.cost_source for r in rows] == ["provider", "provider", None]
