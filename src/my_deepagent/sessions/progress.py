"""What a running turn is doing, small enough to travel in every heartbeat.

The turn activity folds each model call and tool call into a `TurnProgress` and sends
it as heartbeat details; the REPL reads the latest one and redraws `progress_line`.
Tool calls are kept as short one-line labels (`read_file(src/app.py)`), never their
full arguments: a heartbeat carries the last few, and a file's content or a long
command has no place in it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from my_deepagent.catalogue import msg

RECENT_TOOLS = 5
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_FRAME_S = 0.1

_TELLING_ARGUMENTS = (
    "file_path",
    "command",
    "pattern",
    "path",
    "description",
    "query",
    "url",
)
"""Most telling first: grep's pattern says more than the folder it searches."""
_PATH_ARGUMENTS = ("file_path", "path")
"""Paths are shortened from the left: the file name is the telling end."""


class TurnProgress(BaseModel):
    """Counts so far in one turn, and the latest tool calls as short labels."""

    model_config = ConfigDict(frozen=True)

    model_calls: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    tool_calls: int = Field(default=0, ge=0)
    recent_tools: tuple[str, ...] = Field(default=(), max_length=RECENT_TOOLS)
    phase: Literal["thinking", "tool"] = "thinking"

    def with_model_call(self, input_tokens: int, output_tokens: int) -> TurnProgress:
        """After a model call returned: counted, and the agent is thinking again."""
        return self.model_copy(
            update={
                "model_calls": self.model_calls + 1,
                "input_tokens": self.input_tokens + input_tokens,
                "output_tokens": self.output_tokens + output_tokens,
                "phase": "thinking",
            }
        )

    def with_tool_call(self, name: str, args: dict[str, Any]) -> TurnProgress:
        """When a tool call starts: counted, labelled, and the phase is "tool"."""
        recent = (*self.recent_tools, shorten_tool_call(name, args))[-RECENT_TOOLS:]
        return self.model_copy(
            update={"tool_calls": self.tool_calls + 1, "recent_tools": recent, "phase": "tool"}
        )


def shorten_tool_call(name: str, args: dict[str, Any], limit: int = 60) -> str:
    """`name(most telling argument)` on one line, at most `limit` characters, scrubbed
    (it travels in heartbeat details)."""
    from my_deepagent.scrub import scrub

    key, value = _telling_argument(args)
    value = scrub(value)
    room = limit - len(name) - 2
    if room < 2:
        return _cut_end(name, limit)
    shown = " ".join(value.split())
    if len(shown) > room:
        shown = _cut_start(shown, room) if key in _PATH_ARGUMENTS else _cut_end(shown, room)
    return f"{name}({shown})"


def _telling_argument(args: dict[str, Any]) -> tuple[str, str]:
    for key in _TELLING_ARGUMENTS:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            return key, value
    for key, value in args.items():
        if isinstance(value, str) and value.strip():
            return key, value
        if isinstance(value, list | tuple | dict):
            return key, f"{len(value)} {key}"
    return "", ""


def _cut_end(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cut_start(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :]


def progress_line(progress: TurnProgress, elapsed_s: float) -> str:
    """One status line in the person's language, e.g. "⠹ 3.2s · 2 model calls ·
    read_file(src/app.py) · 1,234 in / 56 out tokens"; the spinner frame follows the
    elapsed time, so redraws animate it."""
    elapsed_s = max(0.0, elapsed_s)
    mark = SPINNER[int(elapsed_s / SPINNER_FRAME_S) % len(SPINNER)]
    parts = [f"{mark} {_elapsed(elapsed_s)}", _model_calls(progress.model_calls)]
    if progress.tool_calls:
        parts.append(_tool_calls(progress.tool_calls))
    if progress.phase == "tool" and progress.recent_tools:
        parts.append(progress.recent_tools[-1])
    else:
        parts.append(msg("chat.progress_thinking"))
    if progress.input_tokens or progress.output_tokens:
        tokens = {"input": f"{progress.input_tokens:,}", "output": f"{progress.output_tokens:,}"}
        parts.append(msg("chat.progress_tokens", **tokens))
    return " · ".join(parts)


def _elapsed(seconds: float) -> str:
    if seconds < 60:
        return msg("chat.progress_seconds", seconds=f"{seconds:.1f}")
    minutes, rest = divmod(int(seconds), 60)
    return msg("chat.progress_minutes", minutes=minutes, seconds=f"{rest:02d}")


def _model_calls(n: int) -> str:
    if n == 1:
        return msg("chat.progress_model_call", count=f"{n:,}")
    return msg("chat.progress_model_calls", count=f"{n:,}")


def _tool_calls(n: int) -> str:
    if n == 1:
        return msg("chat.progress_tool_call", count=f"{n:,}")
    return msg("chat.progress_tool_calls", count=f"{n:,}")
