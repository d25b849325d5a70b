"""What the session tests share: a session created the way `mda chat` creates one, its
workflow started, and messages sent through the same client functions the REPL uses."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle

from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.sessions.client import SessionChoice, create_session, ensure_running
from my_deepagent.store.database import Database
from my_deepagent.store.records import SessionRecord
from my_deepagent.workflows.session_types import (
    TURNS_PER_EXECUTION,
    ChatMessage,
    SessionStatus,
)
from run_harness import RunEnv


async def new_session(
    env: RunEnv,
    client: Client,
    db: Database,
    *,
    persona: str = "scripted-chat@1",
    model: str | None = None,
    turns_per_execution: int = TURNS_PER_EXECUTION,
    compact_at: float | None = None,
) -> tuple[SessionRecord, WorkflowHandle[Any, SessionStatus]]:
    chosen = load_user_catalog().persona(persona)
    choice = SessionChoice(persona=chosen, model=model or str(chosen.model_spec))
    record = await create_session(db, env.repo, choice, compact_threshold=compact_at)
    handle = await ensure_running(client, db, record, turns_per_execution=turns_per_execution)
    return record, handle


def message(text: str, client_id: str) -> ChatMessage:
    return ChatMessage(client_id=client_id, text=text, size=len(text.encode()))
