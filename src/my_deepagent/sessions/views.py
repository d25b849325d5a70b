"""A session and its messages as `mda sessions show --json` prints them and the HTTP
API returns them: the row, the transcript, and the spending against its caps (live
from the workflow when it runs and answers, else from the row); and a turn's answer
as `mda chat -m --json` prints it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from temporalio.client import Client

    from my_deepagent.store.database import Database
    from my_deepagent.store.records import MessageRecord, SessionRecord
    from my_deepagent.workflows.session_types import SessionStatus, TurnResult


def session_json(record: SessionRecord) -> dict[str, Any]:
    return {
        "session_id": record.id,
        "state": record.state,
        "title": record.title,
        "persona": record.persona_ref,
        "model": record.model,
        "repo": record.repo_path,
        "turns": record.turns,
        "context_tokens": record.context_tokens,
        "input_tokens": record.total_input_tokens,
        "output_tokens": record.total_output_tokens,
        "created_at": record.created_at.isoformat(),
        "last_message_at": record.last_message_at.isoformat() if record.last_message_at else None,
        "unconfined_since": (
            record.unconfined_since.isoformat() if record.unconfined_since else None
        ),
    }


def message_json(row: MessageRecord) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "role": row.role,
        "content": row.content,
        "tool_calls": row.tool_calls,
        "token_count": row.token_count,
        "is_summary": row.is_summary,
        "archived": row.archived,
        "created_at": row.created_at.isoformat(),
    }


async def budget_json(client: Client | None, db: Database, record: SessionRecord) -> dict[str, Any]:
    """The session's spending, caps and waiting budget gate (live when its workflow
    runs and answers; from its row otherwise)."""
    from my_deepagent.budget_standing import session_caps
    from my_deepagent.settings import get_settings
    from my_deepagent.store.budget import spent

    key = f"session:{record.id}"
    caps, gate = session_caps(record, get_settings()), None
    if record.state != "ended" and client is not None:
        live = await live_status(client, record)
        if live is not None:
            caps, gate = live.budget, live.budget_gate
    return {
        "spent_usd": str((await spent(db, [key]))[key]),
        "budget": caps.model_dump(mode="json"),
        "budget_gate": gate.model_dump(mode="json") if gate else None,
    }


async def live_status(client: Client, record: SessionRecord) -> SessionStatus | None:
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import execution_status
    from my_deepagent.sessions.client import session_handle
    from my_deepagent.workflows.session_types import SessionStatus

    """The session's live status when its workflow runs and answers, else None."""
    try:
        handle = session_handle(client, record.id)
        if await execution_status(handle) != WorkflowExecutionStatus.RUNNING:
            return None
        status: SessionStatus = await handle.query("status", result_type=SessionStatus)
    except Exception:  # no server, no worker: the row says enough
        return None
    return status


def turn_json(session_id: str, result: TurnResult) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "reply": result.reply,
        "turn": result.turn,
        "seq": result.assistant_seq,
        "duplicate": result.duplicate,
        "cancelled": result.cancelled,
        "usage": result.usage.model_dump(),
        "context_tokens": result.context_tokens,
        "compaction": result.compaction.model_dump() if result.compaction else None,
        "warnings": list(result.warnings),
    }
