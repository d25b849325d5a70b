"""Turn progress: the heartbeat model, tool-call labels and the REPL's status line."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from my_deepagent.sessions.progress import SPINNER, TurnProgress, progress_line, shorten_tool_call


def test_a_path_is_the_label() -> None:
    assert shorten_tool_call("read_file", {"file_path": "src/app.py", "limit": 200}) == (
        "read_file(src/app.py)"
    )
    assert shorten_tool_call("ls", {"path": "/src"}) == "ls(/src)"


def test_grep_shows_its_pattern_rather_than_its_folder() -> None:
    assert shorten_tool_call("grep", {"path": "/", "pattern": "def main"}) == "grep(def main)"


def test_long_command_is_cut_at_the_end_on_one_line() -> None:
    command = "pytest -q tests/test_references.py\n  tests/test_slash.py --maxfail=1 -x -vv"
    label = shorten_tool_call("execute", {"command": command}, limit=40)
    assert label == "execute(pytest -q tests/test_reference…)"
    assert len(label) == 40
    assert "\n" not in label


def test_long_path_keeps_the_file_name() -> None:
    path = "src/my_deepagent/" + "very_long_folder_name/" * 4 + "app.py"
    label = shorten_tool_call("edit_file", {"file_path": path, "old_string": "x"})
    assert len(label) == 60
    assert label.startswith("edit_file(…")
    assert label.endswith("folder_name/app.py)")


def test_other_tools_fall_back_to_a_string_or_a_count() -> None:
    assert shorten_tool_call("task", {"subagent_type": "general", "description": "audit"}) == (
        "task(audit)"
    )
    assert shorten_tool_call("web", {"topic": "x", "query": "temporal"}) == "web(temporal)"
    assert shorten_tool_call("custom", {"n": 3, "name": "bob"}) == "custom(bob)"
    assert shorten_tool_call("write_todos", {"todos": [{}, {}, {}]}) == "write_todos(3 todos)"
    assert shorten_tool_call("now", {}) == "now()"


def test_a_long_tool_name_alone_respects_the_limit() -> None:
    assert shorten_tool_call("x" * 80, {"path": "a"}, limit=20) == "x" * 19 + "…"


def test_progress_accumulates_and_keeps_the_last_five_tools() -> None:
    progress = TurnProgress().with_model_call(1000, 40)
    for n in range(7):
        progress = progress.with_tool_call("read_file", {"file_path": f"f{n}.py"})
    progress = progress.with_model_call(234, 16)
    assert progress.model_calls == 2
    assert (progress.input_tokens, progress.output_tokens) == (1234, 56)
    assert progress.tool_calls == 7
    assert progress.recent_tools == tuple(f"read_file(f{n}.py)" for n in range(2, 7))
    assert progress.phase == "thinking"


def test_progress_is_frozen_and_validated() -> None:
    progress = TurnProgress()
    with pytest.raises(ValidationError):
        progress.model_calls = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        TurnProgress(recent_tools=("a",) * 6)
    with pytest.raises(ValidationError):
        TurnProgress(input_tokens=-1)


def test_progress_round_trips_as_heartbeat_details() -> None:
    progress = TurnProgress(model_calls=1, recent_tools=("ls(/)",), phase="tool")
    assert TurnProgress.model_validate(progress.model_dump(mode="json")) == progress


def test_line_while_a_tool_runs() -> None:
    progress = TurnProgress(
        model_calls=2,
        input_tokens=1234,
        output_tokens=56,
        tool_calls=1,
        recent_tools=("read_file(src/app.py)",),
        phase="tool",
    )
    assert progress_line(progress, 3.2) == (
        "⠹ 3.2s · 2 model calls · 1 tool call · read_file(src/app.py) · 1,234 in / 56 out tokens"
    )


def test_line_at_the_start_and_after_a_minute() -> None:
    assert progress_line(TurnProgress(), 0.0) == "⠋ 0.0s · 0 model calls · thinking"
    later = TurnProgress(model_calls=1, input_tokens=10, output_tokens=2)
    assert progress_line(later, 75.4) == "⠼ 1m15s · 1 model call · thinking · 10 in / 2 out tokens"


def test_spinner_moves_with_time() -> None:
    frames = [progress_line(TurnProgress(), n * 0.1 + 0.01)[0] for n in range(len(SPINNER))]
    assert "".join(frames) == SPINNER
    assert progress_line(TurnProgress(), -5)[0] == SPINNER[0]
