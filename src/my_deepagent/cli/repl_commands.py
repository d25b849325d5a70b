"""What each slash command of the REPL does (the table of commands is `cli/slash.py`).

Commands that change the session (/clear, /compact, /agent, /model, /remember,
/forget, /rewind) are updates of its workflow, queued behind any running turn (a
rewind is refused instead). The others read mda's database or the project's memory
folder.

/rewind alone lists the recent turns and, when someone is there to answer, asks which
one and what to rewind (an empty answer rewinds nothing); `/rewind 3 --files` does it
at once, for scripts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from my_deepagent.catalogue import msg

if TYPE_CHECKING:
    from my_deepagent.cli.repl import Repl
    from my_deepagent.cli.slash import SlashCommand
    from my_deepagent.store.records import LlmCallRecord, MessageRecord, SessionRecord

Handler = Callable[["Repl", str | None], Awaitable[bool]]


async def run_command(repl: Repl, command: SlashCommand) -> bool:
    """Run one command; False when the REPL should stop."""
    return await HANDLERS[command.name](repl, command.argument)


async def _help(repl: Repl, _: str | None) -> bool:
    from my_deepagent.cli.slash import help_text

    repl.say(help_text())
    return True


async def _quit(repl: Repl, _: str | None) -> bool:
    return False


async def _agent(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.sessions.client import switch_agent

    if argument is None:
        record = repl.opened.record
        repl.say(msg("chat.show_agent", persona=record.persona_ref, model=record.model))
    else:
        repl.say(await switch_agent(repl.opened, agent=argument, model=None))
    return True


async def _model(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.sessions.client import switch_agent

    if argument is None:
        repl.say(msg("chat.show_model", model=repl.opened.record.model))
    else:
        repl.say(await switch_agent(repl.opened, agent=None, model=argument))
    return True


async def _clear(repl: Repl, _: str | None) -> bool:
    from my_deepagent.sessions.client import update

    await update(repl.opened.handle, "clear", None, int)
    await repl.opened.refresh()
    repl.say(msg("chat.cleared"))
    return True


async def _compact(repl: Repl, _: str | None) -> bool:
    from my_deepagent.cli.chat import compaction_note, compaction_reason
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import CompactionOutcome

    outcome = await update(repl.opened.handle, "compact", None, CompactionOutcome)
    await repl.opened.refresh()
    if not outcome.compacted:
        repl.say(msg("chat.nothing_compacted", reason=compaction_reason(outcome)))
    else:
        repl.say(compaction_note(outcome) or "")
    return True


async def _rewind(repl: Repl, argument: str | None) -> bool:
    from pathlib import Path

    from my_deepagent.sessions import rewind as rewinding

    opened = repl.opened
    if argument is not None:
        request = rewinding.parse_rewind_words(argument)
    else:
        lines = await rewinding.recent_turns(opened.db, Path(opened.record.repo_path), opened.id)
        if not lines:
            repl.say(msg("chat.rewind_nothing_yet", session=opened.id[:8]))
            return True
        repl.say(msg("chat.rewind_title", session=opened.id[:8]))
        for row in rewinding.turn_rows(lines):
            repl.say("  " + "  ".join(row))
        if repl.ask is None:
            repl.say(msg("chat.rewind_repl_hint"))
            return True
        answer = ((await repl.ask(msg("chat.rewind_ask_turn"))) or "").strip()
        if not answer:
            repl.say(msg("chat.rewind_not_done"))
            return True
        part = ((await repl.ask(msg("chat.rewind_ask_part"))) or "").strip().lower()
        option = {"c": "--conversation", "f": "--files"}.get(part[:1], "--both")
        request = rewinding.parse_rewind_words(f"{answer} {option}")
    result = await rewinding.rewind(opened.handle, request)
    await opened.refresh()
    for line in rewinding.rewind_lines(result):
        repl.say(line)
    return True


async def _remember(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.scrub import scrub
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import MemoryResult, MemoryText

    text = scrub(argument or "")
    if text != (argument or ""):
        repl.say(msg("chat.repl_note", message=msg("chat.secret_in_note")))
    note = await update(repl.opened.handle, "remember", MemoryText(text=text), MemoryResult)
    repl.say(msg("chat.remembered", slug=note.slug, file=note.file_name))
    return True


async def _forget(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import MemoryResult, MemorySlug

    note = await update(repl.opened.handle, "forget", MemorySlug(slug=argument or ""), MemoryResult)
    repl.say(msg("chat.forgot", slug=note.slug))
    return True


async def _memory(repl: Repl, _: str | None) -> bool:
    from my_deepagent.sessions.memory import list_entries, memory_dir
    from my_deepagent.settings import get_settings

    folder = memory_dir(get_settings().paths.data_dir, repl.opened.record.project_key)
    entries = list_entries(folder)
    if not entries:
        repl.say(msg("chat.no_memory_notes", folder=folder))
        return True
    repl.say(msg("chat.memory_notes", count=len(entries), folder=folder))
    for entry in entries:
        line = msg("chat.memory_note_line", slug=entry.slug, title=entry.title, chars=entry.chars)
        repl.say(f"  {line}")
    return True


async def _stats(repl: Repl, _: str | None) -> bool:
    from my_deepagent.store.llm_calls import session_llm_calls
    from my_deepagent.store.messages import session_messages

    record = await repl.opened.refresh()
    rows = await session_messages(repl.opened.db, record.id, include_archived=True)
    calls = await session_llm_calls(repl.opened.db, record.id)
    for line in _stats_lines(record, rows, calls):
        repl.say(line)
    return True


def _stats_lines(
    record: SessionRecord, rows: list[MessageRecord], calls: list[LlmCallRecord]
) -> list[str]:
    """/stats: messages, context, tokens used and cost."""
    from my_deepagent.domain.budget import usd_text
    from my_deepagent.tokens import context_window

    archived = sum(1 for r in rows if r.archived)
    window = context_window(record.model)
    share = 100 * record.context_tokens / window if window else 0.0
    cost = sum((Decimal(c.cost_usd) for c in calls if c.cost_usd is not None), Decimal(0))
    unpriced = sum(1 for c in calls if c.cost_usd is None)
    spent = {"cost": usd_text(cost), "calls": len(calls)}
    return [
        msg(
            "chat.stats_session", session=record.id[:8], turns=record.turns,
            visible=len(rows) - archived, archived=archived, compactions=record.compactions,
        ),
        msg(
            "chat.stats_context", tokens=f"{record.context_tokens:,}", window=f"{window:,}",
            share=f"{share:.0f}",
        ),
        msg(
            "chat.stats_used", input=f"{record.total_input_tokens:,}",
            output=f"{record.total_output_tokens:,}", cached=f"{record.total_cached_tokens:,}",
        ),
        msg("chat.stats_cost_unpriced", **spent, unpriced=unpriced)
        if unpriced
        else msg("chat.stats_cost", **spent),
    ]  # fmt: skip


async def _budget(repl: Repl, argument: str | None) -> bool:
    """The session's standing against each cap (live caps, with their raises), or
    `/budget raise <usd> [scope]`."""
    from my_deepagent.budget_standing import standing
    from my_deepagent.settings import get_settings
    from my_deepagent.workflows.session_types import SessionStatus

    if argument is not None:
        return await _raise(repl, argument)
    record = await repl.opened.refresh()
    status = await repl.opened.handle.query("status", result_type=SessionStatus)
    lines = await standing(repl.opened.db, get_settings(), session=record)
    for line in lines:
        if line.scope == "run":
            continue
        cap = status.budget.cap(line.scope)
        repl.say(dataclasses.replace(line, cap=cap).text())
    if not status.budget.any:
        repl.say(msg("chat.no_caps"))
    return True


async def _raise(repl: Repl, argument: str) -> bool:
    from my_deepagent.budget_caps import scope_option, usd_option
    from my_deepagent.errors import MdaError
    from my_deepagent.sessions.client import set_cap

    words = argument.split()
    if len(words) not in (2, 3) or words[0] != "raise":
        raise MdaError(msg("chat.budget_raise_usage"))
    usd = usd_option(words[1], msg("chat.the_new_cap"))
    assert usd is not None
    scope = scope_option(words[2] if len(words) == 3 else None, msg("chat.the_scope")) or "session"
    await set_cap(repl.opened, scope, usd)
    repl.say(msg("chat.cap_set", scope=scope, usd=usd))
    return True


async def _runs(repl: Repl, _: str | None) -> bool:
    from my_deepagent.store.runs import list_run_headers

    runs = await list_run_headers(repl.opened.db, repo_path=repl.opened.record.repo_path, limit=10)
    if not runs:
        repl.say(msg("chat.no_runs"))
        return True
    for run in runs:
        started = run.created_at.strftime("%Y-%m-%d %H:%M")
        repl.say(f"  {run.id[:8]}  {run.state.value:<18} {run.template_ref:<22} {started}")
    return True


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "quit": _quit,
    "exit": _quit,
    "agent": _agent,
    "model": _model,
    "clear": _clear,
    "compact": _compact,
    "rewind": _rewind,
    "remember": _remember,
    "forget": _forget,
    "memory": _memory,
    "stats": _stats,
    "budget": _budget,
    "runs": _runs,
}
