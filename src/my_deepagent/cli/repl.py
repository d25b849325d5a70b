"""The REPL (`mda`, `mda chat`, `mda sessions resume`): read a line, send it as a turn
of the session's workflow, show the turn's progress, print the reply.

A line starting with `/` is a command (`cli/repl_commands.py`). While a turn runs the
progress line (model calls, the tool being run, tokens) is redrawn from the turn
activity's heartbeat; Ctrl-C then cancels the turn, not the session. A turn that
waits on a budget cap (policy `prompt`) is noticed from the session's status: the
REPL asks for a new cap (sent as `raise_budget`, and the turn goes on) or cancels the
turn on an empty answer. Ctrl-D or /quit leaves: the session stays and
`mda sessions resume` continues it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from my_deepagent.domain.budget import BudgetGate
    from my_deepagent.sessions.opening import OpenRequest, OpenSession
    from my_deepagent.workflows.session_types import ChatMessage, TurnResult

PROMPT = "› "
PROGRESS_POLL_S = 0.3
HISTORY_SHOWN = 20


class Repl:
    """One REPL on one open session; `out` is where everything is printed."""

    def __init__(self, opened: OpenSession, out: TextIO, *, live: bool) -> None:
        self.opened = opened
        self.out = out
        self.live = live
        """Redraw a progress line while a turn runs (a terminal only)."""
        self.ask: Callable[[str], Awaitable[str | None]] | None = None
        """Reads one answer from the user (None: nobody to ask, only say)."""
        self._asking = False

    def say(self, text: str) -> None:
        self.out.write(text.rstrip("\n") + "\n")
        self.out.flush()

    async def banner(self, *, show_history: bool) -> None:
        record = self.opened.record
        where = {
            "session": record.id[:8],
            "persona": record.persona_ref,
            "model": record.model,
            "repo": record.repo_path,
        }
        if self.opened.created:
            self.say(msg("chat.banner_new", **where))
        else:
            self.say(msg("chat.banner_resumed", **where))
        if self.opened.note:
            self.say(msg("chat.repl_note", message=self.opened.note))
        for warning in (self.sandbox_warning(), await self.price_warning()):
            if warning:
                self.say(warning)
        if show_history:
            await self.show_history()
        self.say(msg("chat.banner_help"))

    async def price_warning(self) -> str | None:
        """A line when the session's model has no known price (its cost shows unknown)."""
        from my_deepagent.prices.lookup import current_price
        from my_deepagent.settings import get_settings

        model = self.opened.record.model
        if await current_price(self.opened.db, get_settings(), model) is not None:
            return None
        return msg("chat.repl_note", message=msg("chat.no_price", model=model))

    def sandbox_warning(self) -> str | None:
        """A line when the agent's shell runs, or has run, outside the sandbox."""
        from my_deepagent.settings import get_settings

        if get_settings().sandbox == "off":
            return msg("chat.repl_warning", message=msg("chat.sandbox_off"))
        since = self.opened.record.unconfined_since
        if since is not None:
            earlier = msg("chat.unconfined_earlier", when=f"{since:%Y-%m-%d %H:%M} UTC")
            return msg("chat.repl_note", message=earlier)
        return None

    async def show_history(self) -> None:
        from my_deepagent.store.messages import live_messages

        rows = await live_messages(self.opened.db, self.opened.id)
        hidden = max(0, len(rows) - HISTORY_SHOWN)
        if hidden:
            self.say(msg("chat.history_hidden", hidden=hidden, session=self.opened.id[:8]))
        for row in rows[hidden:]:
            if row.is_summary:
                self.say(msg("chat.history_summary", content=row.content))
            elif row.role == "user":
                self.say(msg("chat.history_you", content=row.content))
            else:
                self.say(msg("chat.history_agent", content=row.content))

    async def handle_line(self, line: str) -> bool:
        """Act on one input line; False when the REPL should stop."""
        from my_deepagent.cli.repl_commands import run_command
        from my_deepagent.cli.slash import parse_slash

        if not line.strip():
            return True
        try:
            command = parse_slash(line)
            if command is not None:
                return await run_command(self, command)
            await self.turn(line)
        except MdaError as exc:
            self.say(msg("chat.repl_error", message=" ".join(exc.message.split())))
        except Exception as exc:  # the server or the network: keep the session open
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else msg("cli.no_message")
            self.say(msg("chat.repl_unexpected", kind=type(exc).__name__, first=first))
        return True

    async def turn(self, text: str) -> TurnResult:
        from my_deepagent.cli.chat import compaction_note
        from my_deepagent.sessions.client import chat_message, redaction_note
        from my_deepagent.sessions.references import expand_references

        expanded = expand_references(text, self.opened.root)
        if expanded.files:
            self.say(msg("chat.attached", files=", ".join(expanded.files)))
        redacted = redaction_note(expanded.text)
        if redacted:
            self.say(msg("chat.repl_note", message=redacted))
        message = await chat_message(self.opened.db, expanded.text)
        result = await self._wait_for_turn(message)
        if result.cancelled:
            self.say(msg("chat.turn_cancelled"))
        else:
            self.say(result.reply)
        for warning in result.warnings:
            self.say(msg("chat.repl_warning", message=warning))
        note = compaction_note(result.compaction)
        if note:
            self.say(f"({note})")
        return result

    async def _wait_for_turn(self, message: ChatMessage) -> TurnResult:
        from my_deepagent.sessions.client import cancel_turn, send

        task = asyncio.create_task(send(self.opened.handle, self.opened.db, message))
        loop = asyncio.get_running_loop()
        cancelling: list[asyncio.Task[None]] = []

        def interrupted() -> None:
            self._clear_line()
            self.say(msg("chat.cancelling"))
            cancelling.append(loop.create_task(cancel_turn(self.opened.handle, message.client_id)))

        with _on_sigint(loop, interrupted):
            watch = asyncio.create_task(self._watch_budget(task, message.client_id))
            try:
                if self.live:
                    await self._show_progress(task)
                return await task
            finally:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await watch

    async def _watch_budget(self, task: asyncio.Task[TurnResult], client_id: str) -> None:
        """Ask about a budget cap the turn waits on, once per stop."""
        from my_deepagent.workflows.session_types import SessionStatus

        asked = None
        while not task.done():
            gate = None
            with contextlib.suppress(Exception):  # a status read is best effort
                status = await self.opened.handle.query("status", result_type=SessionStatus)
                gate = status.budget_gate
            if gate is not None and gate != asked:
                asked = gate
                try:
                    await self._ask_budget(gate, client_id)
                except MdaError as exc:  # the raise did not reach the session: ask again
                    self.say(msg("chat.repl_error", message=exc.message))
                    asked = None
            await asyncio.wait([task], timeout=PROGRESS_POLL_S)

    async def _ask_budget(self, gate: BudgetGate, client_id: str) -> None:
        from my_deepagent.budget_caps import usd_option
        from my_deepagent.sessions.client import cancel_turn, set_cap

        self._asking = True
        try:
            self._clear_line()
            self.say(msg("chat.turn_waits", gate=gate.describe(shown=True)))
            if self.ask is None:
                self.say(msg("chat.raise_or_cancel", session=self.opened.id[:8]))
                return
            while True:
                answer = await self.ask(
                    msg("chat.ask_new_cap", scope=gate.scope, example=gate.suggested_cap())
                )
                if answer is None or not answer.strip():
                    await cancel_turn(self.opened.handle, client_id)
                    return
                try:
                    usd = usd_option(answer.strip(), msg("chat.the_new_cap"))
                except MdaError as exc:
                    self.say(msg("chat.repl_error", message=exc.message))
                    continue
                assert usd is not None
                if usd <= Decimal(gate.cap_usd):
                    above = msg("chat.cap_not_above", cap=gate.cap_usd)
                    self.say(msg("chat.repl_error", message=above))
                    continue
                await set_cap(self.opened, gate.scope, usd)
                self.say(msg("chat.cap_raised_goes_on", scope=gate.scope, usd=usd))
                return
        finally:
            self._asking = False

    async def _show_progress(self, task: asyncio.Task[TurnResult]) -> None:
        from my_deepagent.sessions.client import turn_progress
        from my_deepagent.sessions.progress import TurnProgress, progress_line

        started, progress = time.monotonic(), TurnProgress()
        while not task.done():
            with contextlib.suppress(Exception):  # a progress line is best effort
                progress = await turn_progress(self.opened.client, self.opened.handle) or progress
            if not self._asking:
                self.out.write("\r\x1b[K" + progress_line(progress, time.monotonic() - started))
                self.out.flush()
            await asyncio.wait([task], timeout=PROGRESS_POLL_S)
        self._clear_line()

    def _clear_line(self) -> None:
        if self.live:
            self.out.write("\r\x1b[K")
            self.out.flush()


@contextlib.contextmanager
def _on_sigint(loop: asyncio.AbstractEventLoop, handler: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C runs `handler` instead of stopping the program, inside the block."""
    try:
        loop.add_signal_handler(signal.SIGINT, handler)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
        yield None
        return
    try:
        yield None
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def run_repl(
    request: OpenRequest,
    *,
    show_history: bool = False,
    input: Input | None = None,
    output: Output | None = None,
    out: TextIO | None = None,
) -> int:
    """The REPL until Ctrl-D or /quit; 0."""
    from my_deepagent.cli.repl_input import make_prompt_session, read_message_async
    from my_deepagent.sessions.opening import open_session
    from my_deepagent.settings import get_settings

    out = out or sys.stdout
    async with open_session(request) as opened:
        prompt = make_prompt_session(
            get_settings().paths.data_dir / "repl_history", input=input, output=output
        )
        repl = Repl(opened, out, live=input is None and out.isatty())
        repl.ask = lambda text: read_message_async(prompt, text)
        await repl.banner(show_history=show_history or not opened.created)
        while True:
            line = await read_message_async(prompt, PROMPT)
            if line is None or not await repl.handle_line(line):
                break
        repl.say(msg("chat.session_kept", session=opened.id[:8]))
    return 0
