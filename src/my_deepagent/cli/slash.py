"""Slash commands of the REPL: which lines are commands, and what each one takes.

The command table is data (`COMMANDS`) so the REPL's dispatcher, `/help` and the tests
all read the same list: a command cannot be added without a usage line, and a test
can check that every command has a handler. Parsing needs no server: a command's
argument is checked here (missing, extra, more than one word) and the handler only
does the work.

A line is a command when it starts with `/` and a word. "/usr/bin is odd" is a message
(the word is followed by `/`), and so is " /tmp is full" (a leading space): that is
how a user sends a message that starts like an unknown command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

ArgumentKind = Literal["none", "optional", "word", "words", "text"]
"""none: nothing after the name; optional: zero or one word; word: exactly one word;
words: zero or more words on one line; text: any non-empty text (newlines included)."""


@dataclass(frozen=True)
class SlashSpec:
    """One command: its name (without `/`), how to call it, what it does (in the
    person's language, looked up when shown)."""

    name: str
    usage: str
    describe: Callable[[], str]
    argument: ArgumentKind = "none"
    missing: Callable[[], str] | None = None
    """The message when a required argument is missing."""

    @property
    def summary(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class SlashCommand:
    """A parsed command line; `argument` is None when nothing follows the name."""

    name: str
    argument: str | None = None


COMMANDS: tuple[SlashSpec, ...] = (
    SlashSpec("help", "/help", lambda: msg("chat.help_help")),
    SlashSpec("quit", "/quit", lambda: msg("chat.help_quit")),
    SlashSpec("exit", "/exit", lambda: msg("chat.help_exit")),
    SlashSpec("agent", "/agent [persona]", lambda: msg("chat.help_agent"), "optional"),
    SlashSpec("model", "/model [model]", lambda: msg("chat.help_model"), "optional"),
    SlashSpec("clear", "/clear", lambda: msg("chat.help_clear")),
    SlashSpec("stats", "/stats", lambda: msg("chat.help_stats")),
    SlashSpec("budget", "/budget [raise <usd> [scope]]", lambda: msg("chat.help_budget"), "words"),
    SlashSpec("runs", "/runs", lambda: msg("chat.help_runs")),
    SlashSpec("compact", "/compact", lambda: msg("chat.help_compact")),
    SlashSpec(
        "rewind",
        "/rewind [N [--files|--conversation|--both] [--force]]",
        lambda: msg("chat.help_rewind"),
        "words",
    ),
    SlashSpec(
        "remember",
        "/remember <text>",
        lambda: msg("chat.help_remember"),
        "text",
        lambda: msg("chat.nothing_to_remember"),
    ),
    SlashSpec(
        "forget",
        "/forget <slug>",
        lambda: msg("chat.help_forget"),
        "word",
        lambda: msg("chat.forget_which"),
    ),
    SlashSpec("memory", "/memory", lambda: msg("chat.help_memory")),
)

_BY_NAME = {spec.name: spec for spec in COMMANDS}
_COMMAND = re.compile(r"/([A-Za-z][\w-]*)(?=\s|$)")


def command_names() -> tuple[str, ...]:
    """Every command name, without the `/`, in help order."""
    return tuple(spec.name for spec in COMMANDS)


def parse_slash(line: str) -> SlashCommand | None:
    """The command on `line`, or None when the line is a message for the agent.

    Raises MdaError for an unknown command and for an argument the command does not
    accept (one line, with the usage).
    """
    match = _COMMAND.match(line)
    if match is None:
        return None
    name = match.group(1).lower()
    spec = _BY_NAME.get(name)
    if spec is None:
        raise MdaError(msg("chat.slash_unknown", word=match.group(1)))
    argument = line[match.end() :].strip() or None
    _check_argument(spec, argument)
    return SlashCommand(name=name, argument=argument)


def _check_argument(spec: SlashSpec, argument: str | None) -> None:
    name, usage = spec.name, spec.usage
    if argument is None:
        if spec.argument in ("word", "text"):
            missing = spec.missing
            raise MdaError(
                missing() if missing else msg("chat.slash_needs_argument", name=name, usage=usage)
            )
        return
    got = repr(_preview(argument))
    if spec.argument == "none":
        raise MdaError(msg("chat.slash_no_argument", name=name, got=got))
    if spec.argument in ("optional", "word") and len(argument.split()) > 1:
        raise MdaError(msg("chat.slash_one_word", name=name, got=got, usage=usage))
    if spec.argument == "words" and "\n" in argument:
        raise MdaError(msg("chat.slash_one_line", name=name, usage=usage))


def _preview(argument: str, limit: int = 40) -> str:
    flat = " ".join(argument.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def help_text() -> str:
    """One line per command: usage, then what it does."""
    width = max(len(spec.usage) for spec in COMMANDS)
    lines = [f"{spec.usage.ljust(width)}  {spec.summary}" for spec in COMMANDS]
    lines.append(f"{'@path'.ljust(width)}  {msg('chat.help_path')}")
    lines.append(f"{'Esc Enter'.ljust(width)}  {msg('chat.help_newline')}")
    return "\n".join(lines)
