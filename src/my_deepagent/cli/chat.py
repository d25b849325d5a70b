"""`mda chat` (and `mda` alone): talk to an agent in the current repository.

Without `-m` it opens the REPL (`cli/repl.py`). With `-m TEXT` it sends one message
(to a new session unless `--session` names one), prints the reply and exits: the
mode for scripts. `--json` prints `{"session_id", "reply", ...}`. `@path` references
are expanded before sending, inside the repository only.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from my_deepagent.sessions.opening import OpenRequest, OpenSession
    from my_deepagent.workflows.session_types import ChatMessage, CompactionOutcome, TurnResult


def chat(
    session: str | None = typer.Option(
        None, "--session", "-s", help="Continue this session (id or a 6+ character prefix)."
    ),
    agent: str | None = typer.Option(None, "--agent", help="Persona id (`mda personas list`)."),
    model: str | None = typer.Option(
        None, "--model", help="Model as provider:name (default: the persona's)."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Use an offline scripted persona: no key, no network."
    ),
    message: str | None = typer.Option(
        None, "-m", "--message", help="Send this one message, print the reply and exit."
    ),
    json_output: bool = typer.Option(False, "--json", help="With -m: print the reply as JSON."),
    repo: Path = typer.Option(Path(), "--repo", help="The git repository to work in."),
    compact_at: float | None = typer.Option(
        None,
        "--compact-at",
        min=0.05,
        max=1.0,
        help="A new session compacts past this share of the model's window (default 0.7).",
    ),
    budget_usd: str | None = typer.Option(
        None,
        "--budget-usd",
        help="The session's spending cap in US dollars (with --session: raise it).",
    ),
) -> None:
    """Chat with an agent in the repository: a REPL, or one message with -m."""
    from my_deepagent.budget_caps import usd_option
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.sessions.opening import OpenRequest

    cap = usd_option(budget_usd)
    if compact_at is not None and session is not None:
        raise MdaError(msg("chat.compact_at_new_only"))
    request = OpenRequest(
        session=session, agent=agent, model=model, offline=offline, repo=repo,
        compact_at=compact_at, budget_usd=cap,
    )  # fmt: skip
    if message is None:
        if json_output:
            raise MdaError(msg("chat.json_needs_message"))
        from my_deepagent.cli.repl import run_repl

        raise typer.Exit(asyncio.run(run_repl(request)))
    raise typer.Exit(asyncio.run(_one_shot(request, message, json_output=json_output)))


async def _one_shot(request: OpenRequest, text: str, *, json_output: bool) -> int:
    from my_deepagent.catalogue import msg
    from my_deepagent.git import resolve_repo
    from my_deepagent.sessions.client import chat_message, check_message_text, redaction_note
    from my_deepagent.sessions.opening import open_session
    from my_deepagent.sessions.references import expand_references

    # A message that cannot be sent must not leave a new, empty session behind.
    if request.session is None:
        text = expand_references(text, resolve_repo(request.repo).root).text
        check_message_text(text)
    async with open_session(request) as opened:
        if request.session is not None:
            text = expand_references(text, opened.root).text
        if opened.note:
            sys.stderr.write(msg("cli.note", message=opened.note) + "\n")
        redacted = redaction_note(text)
        if redacted:
            sys.stderr.write(msg("cli.note", message=redacted) + "\n")
        message = await chat_message(opened.db, text)
        result = await _send_noting_budget(opened, message)
        for warning in result.warnings:
            sys.stderr.write(msg("cli.warning", message=warning) + "\n")
        if json_output:
            from my_deepagent.cli.output import print_json
            from my_deepagent.sessions.views import turn_json

            print_json(turn_json(opened.id, result))
        else:
            sys.stdout.write(result.reply.rstrip() + "\n")
            note = compaction_note(result.compaction)
            if note:
                sys.stderr.write(note + "\n")
            sys.stderr.write(msg("chat.one_shot_session", session=opened.id) + "\n")
        return 1 if result.cancelled else 0


async def _send_noting_budget(opened: OpenSession, message: ChatMessage) -> TurnResult:
    """Send and wait; when the turn waits on a budget cap, say how to raise it (once
    per stop): a one-shot message has nobody to ask."""
    import contextlib

    from my_deepagent.catalogue import msg
    from my_deepagent.sessions.client import send
    from my_deepagent.workflows.session_types import SessionStatus

    task = asyncio.create_task(send(opened.handle, opened.db, message))
    noted = None
    while not task.done():
        with contextlib.suppress(Exception):  # a status read is best effort
            gate = (await opened.handle.query("status", result_type=SessionStatus)).budget_gate
            if gate is not None and gate != noted:
                noted = gate
                waits = msg(
                    "chat.turn_waits_raise_with",
                    gate=gate.describe(shown=True),
                    session=opened.id[:8],
                    cap=gate.suggested_cap(),
                )
                sys.stderr.write(msg("cli.note", message=waits) + "\n")
        await asyncio.wait([task], timeout=0.5)
    return await task


def compaction_reason(outcome: CompactionOutcome) -> str | None:
    """Why nothing was compacted, in the person's language; the English `reason` when
    the outcome has no catalogue key (recorded before outcomes carried one)."""
    from my_deepagent.sessions.client import said_text

    return None if outcome.reason is None else said_text(outcome.reason_said, outcome.reason)


def compaction_note(outcome: CompactionOutcome | None) -> str | None:
    """The line telling the user a compaction happened and what it saved, or why not."""
    from my_deepagent.catalogue import msg

    if outcome is None:
        return None
    if not outcome.compacted:
        reason = compaction_reason(outcome)
        return msg("chat.not_compacted", reason=reason) if reason else None
    saved = outcome.tokens_before - outcome.tokens_after
    return msg(
        "chat.compacted",
        archived=outcome.archived,
        before=f"{outcome.tokens_before:,}",
        after=f"{outcome.tokens_after:,}",
        saved=f"{saved:,}",
    )
