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
from dataclasses import dataclass
from typing import Literal

from my_deepagent.errors import MdaError

ArgumentKind = Literal["none", "optional", "word", "words", "text"]
"""none: nothing after the name; optional: zero or one word; word: exactly one word;
words: zero or more words on one line; text: any non-empty text (newlines included)."""


@dataclass(frozen=True)
class SlashSpec:
    """One command: its name (without `/`), how to call it, what it does."""

    name: str
    usage: str
    summary: str
    argument: ArgumentKind = "none"
    missing: str = ""
    """The message when a required argument is missing."""


@dataclass(frozen=True)
class SlashCommand:
    """A parsed command line; `argument` is None when nothing follows the name."""

    name: str
    argument: str | None = None


COMMANDS: tuple[SlashSpec, ...] = (
    SlashSpec("help", "/help", "show these commands"),
    SlashSpec("quit", "/quit", "leave the REPL (the session stays; resume it later)"),
    SlashSpec("exit", "/exit", "same as /quit"),
    SlashSpec(
        "agent",
        "/agent [persona]",
        "show the current persona, or switch to another (fresh context)",
        "optional",
    ),
    SlashSpec(
        "model",
        "/model [model]",
        "show the current model, or switch to another (fresh context)",
        "optional",
    ),
    SlashSpec("clear", "/clear", "archive the visible messages and start a fresh context"),
    SlashSpec("stats", "/stats", "messages, tokens and cost of this session"),
    SlashSpec(
        "budget",
        "/budget [raise <usd> [scope]]",
        "spending against the caps, or raise one (default: the session's)",
        "words",
    ),
    SlashSpec("runs", "/runs", "recent runs in this repository"),
    SlashSpec("compact", "/compact", "summarise older messages now to free context"),
    SlashSpec(
        "remember",
        "/remember <text>",
        "save a note to this project's memory",
        "text",
        "nothing to remember: /remember <text>",
    ),
    SlashSpec(
        "forget",
        "/forget <slug>",
        "remove a note from this project's memory",
        "word",
        "/forget <slug>: which note? (see /memory)",
    ),
    SlashSpec("memory", "/memory", "list this project's memory notes"),
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
        raise MdaError(
            f"unknown command /{match.group(1)} (see /help; "
            "start the line with a space to send it as a message)"
        )
    argument = line[match.end() :].strip() or None
    _check_argument(spec, argument)
    return SlashCommand(name=name, argument=argument)


def _check_argument(spec: SlashSpec, argument: str | None) -> None:
    if argument is None:
        if spec.argument in ("word", "text"):
            raise MdaError(spec.missing or f"/{spec.name} needs an argument: {spec.usage}")
        return
    if spec.argument == "none":
        raise MdaError(f"/{spec.name} takes no argument (got {_preview(argument)!r})")
    if spec.argument in ("optional", "word") and len(argument.split()) > 1:
        raise MdaError(f"/{spec.name} takes one word, not {_preview(argument)!r}: {spec.usage}")
    if spec.argument == "words" and "\n" in argument:
        raise MdaError(f"/{spec.name} takes one line: {spec.usage}")


def _preview(argument: str, limit: int = 40) -> str:
    flat = " ".join(argument.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def help_text() -> str:
    """One line per command: usage, then what it does."""
    width = max(len(spec.usage) for spec in COMMANDS)
    lines = [f"{spec.usage.ljust(width)}  {spec.summary}" for spec in COMMANDS]
    lines.append(f"{'@path'.ljust(width)}  send a repository file along with your message")
    lines.append(f"{'Esc Enter'.ljust(width)}  new line (or end the line with \\); Enter sends")
    return "\n".join(lines)
