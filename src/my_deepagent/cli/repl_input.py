"""Reading one chat message at the REPL prompt (prompt_toolkit).

Enter sends. A message of several lines is written with Esc Enter (what Alt-Enter
sends in most terminals) or by ending a line with a backslash, as in a shell; a paste
keeps its newlines. Ctrl-D at the prompt ends the REPL and Ctrl-C clears the line: the
caller tells them apart by `read_message` returning None or "".

prompt_toolkit is imported inside the functions: `cli/main.py` may import this module
at startup, and `mda --help` must stay instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.input import Input
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.output import Output

CONTINUATION = "… "


def make_prompt_session(
    history_file: Path,
    *,
    input: Input | None = None,
    output: Output | None = None,
) -> PromptSession[str]:
    """A prompt with persistent history in `history_file` (its folder is created)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history_file.parent.mkdir(parents=True, exist_ok=True)
    # Pasted keys and secrets end up in the history: keep it private.
    history_file.touch(mode=0o600, exist_ok=True)
    return PromptSession(
        history=FileHistory(str(history_file)),
        multiline=True,
        key_bindings=_message_bindings(),
        prompt_continuation=_continuation,
        completer=_slash_completer(),
        complete_while_typing=True,
        input=input,
        output=output,
    )


def read_message(session: PromptSession[str], prompt: str) -> str | None:
    """The next message; None at end of input (Ctrl-D), "" on Ctrl-C.

    Blocks; from a running event loop use `read_message_async`.
    """
    try:
        return session.prompt(prompt)
    except EOFError:
        return None
    except KeyboardInterrupt:
        return ""


async def read_message_async(session: PromptSession[str], prompt: str) -> str | None:
    """`read_message` for a caller inside an asyncio event loop (the REPL's)."""
    try:
        return await session.prompt_async(prompt)
    except EOFError:
        return None
    except KeyboardInterrupt:
        return ""


def _message_bindings() -> KeyBindings:
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    bindings = KeyBindings()

    @bindings.add("enter")
    def _send_or_continue(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.document.text_before_cursor.endswith("\\"):
            buffer.delete_before_cursor(1)
            buffer.newline(copy_margin=False)
        else:
            buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def _new_line(event: KeyPressEvent) -> None:
        event.current_buffer.newline(copy_margin=False)

    return bindings


def _continuation(width: int, line_number: int, is_soft_wrap: int) -> str:
    return CONTINUATION.rjust(width)


def _slash_completer() -> Completer:
    """Completes a command name typed at the start of the message."""
    from prompt_toolkit.completion import WordCompleter

    from my_deepagent.cli.slash import command_names

    return WordCompleter([f"/{name}" for name in command_names()], sentence=True)
