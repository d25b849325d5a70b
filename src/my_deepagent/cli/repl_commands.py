"""What each slash command of the REPL does (the table of commands is `cli/slash.py`).

Commands that change the session (/clear, /compact, /agent, /model, /remember,
/forget) are updates of its workflow, queued behind any running turn. The others
read mda's database or the project's memory folder.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from my_deepagent.cli.repl import Repl
    from my_deepagent.cli.slash import SlashCommand

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
        repl.say(f"agent: {repl.opened.record.persona_ref} (on {repl.opened.record.model})")
    else:
        repl.say(await switch_agent(repl.opened, agent=argument, model=None))
    return True


async def _model(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.sessions.client import switch_agent

    if argument is None:
        repl.say(f"model: {repl.opened.record.model}")
    else:
        repl.say(await switch_agent(repl.opened, agent=None, model=argument))
    return True


async def _clear(repl: Repl, _: str | None) -> bool:
    from my_deepagent.sessions.client import update

    await update(repl.opened.handle, "clear", None, int)
    await repl.opened.refresh()
    repl.say("cleared: the visible messages are archived and the agent starts afresh")
    return True


async def _compact(repl: Repl, _: str | None) -> bool:
    from my_deepagent.cli.chat import compaction_note
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import CompactionOutcome

    outcome = await update(repl.opened.handle, "compact", None, CompactionOutcome)
    await repl.opened.refresh()
    if not outcome.compacted:
        repl.say(f"nothing compacted: {outcome.reason}")
    else:
        repl.say(compaction_note(outcome) or "")
    return True


async def _remember(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.scrub import scrub
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import MemoryResult, MemoryText

    text = scrub(argument or "")
    if text != (argument or ""):
        repl.say("note: a secret in the note was replaced; memory never holds keys")
    note = await update(repl.opened.handle, "remember", MemoryText(text=text), MemoryResult)
    repl.say(f"remembered as {note.slug} ({note.file_name}); the agent sees it from the next turn")
    return True


async def _forget(repl: Repl, argument: str | None) -> bool:
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import MemoryResult, MemorySlug

    note = await update(repl.opened.handle, "forget", MemorySlug(slug=argument or ""), MemoryResult)
    repl.say(f"forgot {note.slug}")
    return True


async def _memory(repl: Repl, _: str | None) -> bool:
    from my_deepagent.sessions.memory import list_entries, memory_dir
    from my_deepagent.settings import get_settings

    folder = memory_dir(get_settings().paths.data_dir, repl.opened.record.project_key)
    entries = list_entries(folder)
    if not entries:
        repl.say(f"no memory notes yet ({folder}); /remember <text> adds one")
        return True
    repl.say(f"{len(entries)} memory notes in {folder}:")
    for entry in entries:
        repl.say(f"  {entry.slug}: {entry.title} ({entry.chars} characters)")
    return True


async def _stats(repl: Repl, _: str | None) -> bool:
    from my_deepagent.domain.budget import usd_text
    from my_deepagent.store.llm_calls import session_llm_calls
    from my_deepagent.store.messages import session_messages
    from my_deepagent.tokens import context_window

    record = await repl.opened.refresh()
    rows = await session_messages(repl.opened.db, record.id, include_archived=True)
    archived = sum(1 for r in rows if r.archived)
    window = context_window(record.model)
    share = 100 * record.context_tokens / window if window else 0.0
    repl.say(
        f"session {record.id[:8]} · {record.turns} turns · {len(rows) - archived} visible "
        f"messages ({archived} archived) · {record.compactions} compactions"
    )
    repl.say(f"context: {record.context_tokens:,} of {window:,} tokens ({share:.0f}%)")
    repl.say(
        f"used: {record.total_input_tokens:,} input, {record.total_output_tokens:,} output, "
        f"{record.total_cached_tokens:,} cached tokens"
    )
    calls = await session_llm_calls(repl.opened.db, record.id)
    cost = sum((Decimal(c.cost_usd) for c in calls if c.cost_usd is not None), Decimal(0))
    unpriced = sum(1 for c in calls if c.cost_usd is None)
    note = f" (+ {unpriced} calls of unknown cost)" if unpriced else ""
    repl.say(f"cost: {usd_text(cost)} over {len(calls)} model calls{note}")
    return True


async def _budget(repl: Repl, argument: str | None) -> bool:
    """The session's standing against each cap (live caps, with their raises), or
    `/budget raise <usd> [scope]`."""
    from my_deepagent.budget_standing import Line, standing
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
        repl.say(Line(line.scope, line.name, line.spent, cap).text())
    if not status.budget.any:
        repl.say("no caps are set (`/budget raise 2` caps this session at $2)")
    return True


async def _raise(repl: Repl, argument: str) -> bool:
    from my_deepagent.budget_caps import scope_option, usd_option
    from my_deepagent.errors import MdaError
    from my_deepagent.sessions.client import set_cap

    words = argument.split()
    if len(words) not in (2, 3) or words[0] != "raise":
        raise MdaError("/budget raise <usd> [run|session|day|persona_day], e.g. /budget raise 2")
    usd = usd_option(words[1], "the new cap")
    assert usd is not None
    scope = scope_option(words[2] if len(words) == 3 else None, "the scope") or "session"
    await set_cap(repl.opened, scope, usd)
    repl.say(f"the {scope} cap of this session is now ${usd}")
    return True


async def _runs(repl: Repl, _: str | None) -> bool:
    from my_deepagent.store.runs import list_runs

    runs = await list_runs(repl.opened.db, repo_path=repl.opened.record.repo_path, limit=10)
    if not runs:
        repl.say("no runs in this repository yet (`mda start TEMPLATE` starts one)")
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
    "remember": _remember,
    "forget": _forget,
    "memory": _memory,
    "stats": _stats,
    "budget": _budget,
    "runs": _runs,
}
