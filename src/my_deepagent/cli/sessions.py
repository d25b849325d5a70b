"""`mda sessions list|show|resume|end|restore|rewind`: the conversations mda keeps.

`list` and `show` read mda's database (every message is mirrored there); `resume`
opens the REPL on a session, starting its workflow again from the database if it is
not running; `end` ends it for good (it then refuses messages); `restore` brings the
repository's files back as they were before one of its turns (files created since
are kept); `rewind` takes the session back to before a turn, through its workflow:
the conversation, the files exactly, or both (`sessions/rewind.py`).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from temporalio.client import Client

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
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.sessions.views import session_json
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import list_sessions as store_list

    async with open_database(get_settings()) as db:
        sessions = await store_list(db, limit=limit)
    if as_json:
        print_json([session_json(s) for s in sessions])
        return
    print_table(
        msg("chat.sessions_title"),
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
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json
    from my_deepagent.sessions.views import budget_json, message_json, session_json
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.messages import session_messages
    from my_deepagent.store.sessions import find_session

    async with open_database(get_settings()) as db:
        record = await find_session(db, ref)
        rows = await session_messages(db, record.id, include_archived=all_messages)
        budget = await budget_json(await _client_if_live(record), db, record)
    if not all_messages:
        rows = [r for r in rows if not r.is_summary]
    if as_json:
        print_json({**session_json(record), **budget, "messages": [message_json(m) for m in rows]})
        return
    out = sys.stdout
    out.write(msg("chat.show_header", session=record.id, state=record.state) + "\n")
    for line in _show_lines(record, budget):
        out.write(f"  {line}\n")
    for row in rows:
        flags = _flags(row)
        out.write(f"\n#{row.seq} {row.role}{flags}:\n{row.content.rstrip()}\n")
        for call in row.tool_calls or ():
            out.write(f"  ↳ {call['args']}\n")


def _show_lines(record: SessionRecord, budget: dict[str, Any]) -> list[str]:
    """`mda sessions show`: the session's details, one line each."""
    from my_deepagent.catalogue import msg
    from my_deepagent.domain.budget import BudgetGate, usd_text

    lines = [
        msg("chat.show_title", title=record.title)
        if record.title
        else msg("chat.show_no_title"),
        msg("chat.show_agent_line", persona=record.persona_ref, model=record.model),
        msg("chat.show_repository", repo=record.repo_path),
        msg(
            "chat.show_turns", turns=record.turns, context=f"{record.context_tokens:,}",
            input=f"{record.total_input_tokens:,}", output=f"{record.total_output_tokens:,}",
        ),
    ]  # fmt: skip
    if record.unconfined_since is not None:
        lines.append(msg("chat.show_unconfined", when=_when(record.unconfined_since)))
    cap = budget["budget"].get("session")
    spent = usd_text(budget["spent_usd"])
    if cap:
        cap_usd = usd_text(cap["usd"])
        lines.append(msg("chat.show_spent_of", spent=spent, cap=cap_usd, policy=cap["policy"]))
    else:
        lines.append(msg("chat.show_spent", spent=spent))
    gate = budget["budget_gate"]
    if gate is not None:
        waiting = BudgetGate.model_validate(gate)
        lines.append(
            msg(
                "chat.show_waiting", gate=waiting.describe(shown=True),
                session=record.id[:8], cap=waiting.suggested_cap(),
            )
        )  # fmt: skip
    return lines


def _flags(row: MessageRecord) -> str:
    from my_deepagent.catalogue import msg

    summary = msg("chat.flag_summary") if row.is_summary else ""
    return summary + (msg("chat.flag_archived") if row.archived else "")


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
    from my_deepagent.catalogue import msg
    from my_deepagent.sessions.client import end_session
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import find_session

    async with open_database(get_settings()) as db:
        record = await find_session(db, ref)
        ended = await end_session(db, record)
    if ended:
        sys.stdout.write(msg("chat.session_ended_now", session=record.id) + "\n")
    else:
        sys.stdout.write(msg("chat.session_already_ended", session=record.id) + "\n")


@app.command("restore")
def restore(
    session: str = _SESSION,
    turn: int | None = typer.Option(
        None, "--turn", min=1, help="Restore the files as they were before this turn."
    ),
) -> None:
    """Bring back the repository's files as they were before a turn; alone, list the turns.

    This undoes an agent's deletes, `git stash drop` or `git clean -fdx`."""
    asyncio.run(_restore(session, turn))


async def _restore(ref: str, turn: int | None) -> None:
    from datetime import UTC, datetime
    from pathlib import Path

    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_table
    from my_deepagent.errors import MdaError
    from my_deepagent.git.snapshot import SNAPSHOT_NAMESPACE, list_snapshots, restore_working_tree
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import find_session

    settings = get_settings()
    async with open_database(settings) as db:
        record = await find_session(db, ref)
    repo = Path(record.repo_path)
    short = record.id[:8]
    snapshots = [s for s in await asyncio.to_thread(list_snapshots, repo, record.id) if s.turn]
    if turn is None:
        if not snapshots:
            sys.stdout.write(msg("chat.restore_nothing", session=short) + "\n")
            return
        rows = [[str(s.turn), s.created[:19].replace("T", " "), s.commit[:12]] for s in snapshots]
        title = msg("chat.restore_title", session=short, repo=repo)
        print_table(title, ["before turn", "at", "record"], rows)
        sys.stdout.write(msg("chat.restore_hint", session=short) + "\n")
        return
    chosen = next((s for s in snapshots if s.turn == turn), None)
    if chosen is None:
        turns = ", ".join(str(s.turn) for s in snapshots)
        if not turns:
            raise MdaError(msg("chat.restore_no_turn_yet", session=short, turn=turn))
        raise MdaError(msg("chat.restore_no_turn", session=short, turn=turn, turns=turns))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    undo_ref = f"{SNAPSHOT_NAMESPACE}/{record.id}/before-restore-{stamp}"
    count = await asyncio.to_thread(
        restore_working_tree, repo, chosen, undo_ref, settings.paths.data_dir
    )
    sys.stdout.write(msg("chat.restored", count=count, repo=repo, turn=turn, undo=undo_ref) + "\n")


@app.command("rewind")
def rewind(
    session: str = _SESSION,
    to: int | None = typer.Option(
        None, "--to", min=1, help="Go back to before this turn; alone, list the recent turns."
    ),
    files: bool = typer.Option(False, "--files", help="Rewind the files only."),
    conversation: bool = typer.Option(
        False, "--conversation", help="Rewind the conversation only."
    ),
    both: bool = typer.Option(False, "--both", help="Rewind both (the default)."),
    force: bool = typer.Option(
        False, "--force", help="Rewind the files even over changes made outside the session."
    ),
    as_json: bool = _JSON,
) -> None:
    """Take a session back to before a turn: its conversation, its files, or both.

    The turns from there on are archived (`mda sessions show --all`) and the agent
    starts a new context; the files become exactly what they were (ignored files are
    never deleted), the state just before recorded on a ref of its own."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError

    if files + conversation + both > 1:
        raise MdaError(msg("chat.rewind_one_part"))
    part = "files" if files else "conversation" if conversation else "both"
    asyncio.run(_rewind(session, to, part, force, as_json))


async def _rewind(ref: str, turn: int | None, part: str, force: bool, as_json: bool) -> None:
    from pathlib import Path

    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.client import ensure_worker
    from my_deepagent.errors import MdaError
    from my_deepagent.sessions import rewind as rewinding
    from my_deepagent.sessions.client import ensure_running
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import find_session
    from my_deepagent.temporal_config import connect_client

    async with open_database(get_settings()) as db:
        record = await find_session(db, ref)
        short = record.id[:8]
        if turn is None:
            lines = await rewinding.recent_turns(db, Path(record.repo_path), record.id)
            if as_json:
                print_json([{**vars(line), "at": line.at.isoformat()} for line in lines])
                return
            if not lines:
                sys.stdout.write(msg("chat.rewind_nothing_yet", session=short) + "\n")
                return
            title = msg("chat.rewind_title", session=short)
            print_table(title, ["turn", "at", "message", "files"], rewinding.turn_rows(lines))
            sys.stdout.write(msg("chat.rewind_hint", session=short) + "\n")
            return
        if record.state == "ended":
            raise MdaError(msg("chat.rewind_ended", session=short))
        client = await connect_client()
        handle = await ensure_running(client, db, record)
        await ensure_worker(client)
        request = rewinding.rewind_request(turn, part, force=force)
        result = await rewinding.rewind(handle, request)
    if as_json:
        print_json(rewinding.rewind_json(result, record.id))
        return
    for line in rewinding.rewind_lines(result):
        sys.stdout.write(line + "\n")


def _when(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%d %H:%M")) if moment is not None else ""


async def _client_if_live(record: SessionRecord) -> Client | None:
    """A client when the session may be running (no server: the row says enough)."""
    from my_deepagent.temporal_config import connect_client

    if record.state == "ended":
        return None
    try:
        return await connect_client()
    except Exception:
        return None
