"""The REPL prompt, driven by real keystrokes through a pipe (prompt_toolkit's own
test input) with the output discarded."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from my_deepagent.cli.repl_input import make_prompt_session, read_message, read_message_async

ENTER = "\r"
ESC_ENTER = "\x1b\r"
CTRL_C = "\x03"
CTRL_D = "\x04"
UP = "\x1b[A"


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe:
        yield pipe


def _read(keys: PipeInput, history: Path, typed: str) -> str | None:
    keys.send_text(typed)
    session = make_prompt_session(history, input=keys, output=DummyOutput())
    return read_message(session, "> ")


def test_enter_sends_one_line(keys: PipeInput, tmp_path: Path) -> None:
    assert _read(keys, tmp_path / "h", "hello there" + ENTER) == "hello there"


def test_a_newline_byte_sends_too(keys: PipeInput, tmp_path: Path) -> None:
    assert _read(keys, tmp_path / "h", "piped\n") == "piped"


def test_esc_enter_inserts_a_newline(keys: PipeInput, tmp_path: Path) -> None:
    typed = "line one" + ESC_ENTER + "line two" + ESC_ENTER + "three" + ENTER
    assert _read(keys, tmp_path / "h", typed) == "line one\nline two\nthree"


def test_a_trailing_backslash_continues_the_line(keys: PipeInput, tmp_path: Path) -> None:
    typed = "first \\" + ENTER + "second\\" + ENTER + "third" + ENTER
    assert _read(keys, tmp_path / "h", typed) == "first \nsecond\nthird"


def test_a_backslash_inside_the_line_does_not(keys: PipeInput, tmp_path: Path) -> None:
    assert _read(keys, tmp_path / "h", "a\\b" + ENTER) == "a\\b"


def test_a_paste_keeps_its_newlines(keys: PipeInput, tmp_path: Path) -> None:
    pasted = "\x1b[200~def f():\n    return 1\n\x1b[201~"
    assert _read(keys, tmp_path / "h", pasted + ENTER) == "def f():\n    return 1\n"


def test_ctrl_d_is_end_of_input(keys: PipeInput, tmp_path: Path) -> None:
    assert _read(keys, tmp_path / "h", CTRL_D) is None


def test_ctrl_c_gives_an_empty_message(keys: PipeInput, tmp_path: Path) -> None:
    assert _read(keys, tmp_path / "h", "half a thou" + CTRL_C) == ""


def test_history_is_saved_privately_and_recalled(keys: PipeInput, tmp_path: Path) -> None:
    history = tmp_path / "not" / "yet" / "history"
    assert _read(keys, history, "first message" + ENTER) == "first message"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert "first message" in history.read_text()
    with create_pipe_input() as again:
        assert _read(again, history, UP + ENTER) == "first message"


async def test_async_reading_inside_an_event_loop(tmp_path: Path) -> None:
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        session = make_prompt_session(tmp_path / "h")
        pipe.send_text("one" + ESC_ENTER + "two" + ENTER)
        assert await read_message_async(session, "> ") == "one\ntwo"
        pipe.send_text(CTRL_C)
        assert await read_message_async(session, "> ") == ""
        pipe.send_text(CTRL_D)
        assert await read_message_async(session, "> ") is None


def test_slash_commands_complete_at_the_start_only(tmp_path: Path) -> None:
    completer = make_prompt_session(tmp_path / "h", output=DummyOutput()).completer
    assert completer is not None

    def complete(text: str) -> list[str]:
        found = completer.get_completions(Document(text), CompleteEvent(text_inserted=True))
        return [c.text for c in found]

    assert complete("/me") == ["/memory"]
    assert set(complete("/")) >= {"/help", "/remember", "/forget"}
    assert complete("what is /me") == []
