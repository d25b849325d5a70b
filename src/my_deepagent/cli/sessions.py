"""`mda sessions list|show|resume|end`: the conversations mda keeps.

`list` and `show` read mda's database (every message is mirrored there); `resume`
opens the REPL on a session, starting its workflow again from the database if it is
not running; `end` ends it for good (it then refuses messages).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from my_deepagent.store.records import MessageRecord, SessionRecord

app = typer.Typer(help="Sessions: list them, show one, resume or end it.", no_args_is_help=True)

_SESSION = typer.Argument(..., help="Session id or a unique prefix (6+ characters).")
_JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("list")
def list_sessions(
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many, latest first."),
    as_json: bool = _JSON,
) -> None:
    """List sessions, the most recently used first."""
    asyncio.run(_list(limit, as_json))


async def _list(limit: int, as_json: bool) -> None:
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import list_sessions as store_list

    async with open_database(get_settings()) as db:
        sessions = await store_list(db, limit=limit)
    if as_json:
        print_json([_session_json(s) for s in sessions])
        return
    print_table(
        "Sessions",
        ["session", "state", "title", "turns", "model", "repository", "last message"],
        [
            [
                s.id[:8], s.state, s.title or "", str(s.turns), s.model, s.repo_path,
                _when(s.last_message_at or s.created_at),
            ]
            for s in sessions
        ],
    )  # fmt: skip


@app.command("show")
def show(
    session: str = _SESSION,
    all_messages: bool = typer.Option(
        False, "--all", help="Include archived messages and compaction summaries."
    ),
    as_json: bool = _JSON,
) -> None:
    """Show a session and its messages."""
    asyncio.run(_show(session, all_messages, as_json))


async def _show(ref: str, all_messages: bool, as_json: bool) -> None:
    from my_deepagent.cli.output import print_json
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.messages import session_messages
    from my_deepagent.store.sessions import find_session

    async with open_database(get_settings()) as db:
        record = await find_session(db, ref)
        rows = await session_messages(db, record.id, include_archived=all_messages)
    if not all_messages:
        rows = [r for r in rows if not r.is_summary]
    if as_json:
        print_json({**_session_json(record), "messages": [_message_json(m) for m in rows]})
        return
    out = sys.stdout
    out.write(f"Session {record.id} ({record.state})\n")
    out.write(f"  title: {record.title or '(none yet)'}\n")
    out.write(f"  agent: {record.persona_ref} on {record.model}\n")
    out.write(f"  repository: {record.repo_path}\n")
    out.write(
        f"  turns: {record.turns} · context {record.context_tokens:,} tokens · used "
        f"{record.total_input_tokens:,} in / {record.total_output_tokens:,} out\n"
    )
    for row in rows:
        flags = (" [summary]" if row.is_summary else "") + (" [archived]" if row.archived else "")
        out.write(f"\n#{row.seq} {row.role}{flags}:\n{row.content.rstrip()}\n")
        for call in row.tool_calls or ():
            out.write(f"  ↳ {call['args']}\n")


@app.command("resume")
def resume(
    session: str = _SESSION,
    agent: str | None = typer.Option(None, "--agent", help="Switch to this persona."),
    model: str | None = typer.Option(None, "--model", help="Switch to this model."),
) -> None:
    """Open the REPL on a session: its history, then the next message continues it."""
    from my_deepagent.cli.repl import run_repl
    from my_deepagent.sessions.opening import OpenRequest

    request = OpenRequest(session=session, agent=agent, model=model)
    raise typer.Exit(asyncio.run(run_repl(request, show_history=True)))


@app.command("end")
def end(session: str = _SESSION) -> None:
    """End a session: it keeps its messages and refuses new ones."""
    asyncio.run(_end(session))


async def _end(ref: str) -> None:
    from my_deepagent.sessions.client import end_session
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import find_session

    async with open_database(get_settings()) as db:
        record = await find_session(db, ref)
        ended = await end_session(db, record)
    sys.stdout.write(f"Session {record.id} {'ended' if ended else 'had already ended'}.\n")


def _session_json(record: SessionRecord) -> dict[str, Any]:
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
    }


def _message_json(row: MessageRecord) -> dict[str, Any]:
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


def _when(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%d %H:%M")) if moment is not None else ""
