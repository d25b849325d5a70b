"""Slash command parsing and help: which lines are commands, which arguments pass."""

from __future__ import annotations

import pytest

from my_deepagent.cli.slash import COMMANDS, SlashCommand, command_names, help_text, parse_slash
from my_deepagent.errors import MdaError

NO_ARGUMENT = ("help", "quit", "exit", "clear", "stats", "runs", "compact", "memory")


def test_the_table_holds_exactly_the_product_commands() -> None:
    assert set(command_names()) == {
        *NO_ARGUMENT, "agent", "model", "remember", "forget", "budget", "rewind",
    }  # fmt: skip
    assert len(command_names()) == len(COMMANDS) == 14
    for spec in COMMANDS:
        assert spec.usage.startswith(f"/{spec.name}")
        assert spec.summary


@pytest.mark.parametrize("name", NO_ARGUMENT)
def test_commands_without_arguments(name: str) -> None:
    assert parse_slash(f"/{name}") == SlashCommand(name)
    assert parse_slash(f"/{name}   \n") == SlashCommand(name)


@pytest.mark.parametrize("name", NO_ARGUMENT)
def test_commands_without_arguments_refuse_extra_text(name: str) -> None:
    with pytest.raises(MdaError) as caught:
        parse_slash(f"/{name} now please")
    assert caught.value.message == f"/{name} takes no argument (got 'now please')"


@pytest.mark.parametrize("name", ["agent", "model"])
def test_agent_and_model_show_or_switch(name: str) -> None:
    assert parse_slash(f"/{name}") == SlashCommand(name, None)
    assert parse_slash(f"/{name}  coder ") == SlashCommand(name, "coder")
    with pytest.raises(MdaError, match=f"^/{name} takes one word"):
        parse_slash(f"/{name} two words")


def test_budget_shows_or_raises_on_one_line() -> None:
    assert parse_slash("/budget") == SlashCommand("budget", None)
    assert parse_slash("/budget raise 2 day") == SlashCommand("budget", "raise 2 day")
    with pytest.raises(MdaError, match=r"^/budget takes one line"):
        parse_slash("/budget raise\n2")


def test_model_spec_with_punctuation_is_one_word() -> None:
    spec = "openrouter:anthropic/claude-sonnet-4.5"
    assert parse_slash(f"/model {spec}") == SlashCommand("model", spec)


def test_remember_takes_free_text_and_needs_some() -> None:
    text = "tests run with `pytest -q`\nand need Docker"
    assert parse_slash(f"/remember {text}") == SlashCommand("remember", text)
    with pytest.raises(MdaError) as caught:
        parse_slash("/remember   ")
    assert caught.value.message == "nothing to remember: /remember <text>"


def test_forget_needs_one_slug() -> None:
    assert parse_slash("/forget tests-need-docker") == SlashCommand("forget", "tests-need-docker")
    with pytest.raises(MdaError) as caught:
        parse_slash("/forget")
    assert caught.value.message == "/forget <slug>: which note? (see /memory)"
    with pytest.raises(MdaError, match="takes one word"):
        parse_slash("/forget a b")


def test_names_are_case_insensitive() -> None:
    assert parse_slash("/HELP") == SlashCommand("help")


@pytest.mark.parametrize("line", ["/foo", "/tmp is full", "/foo-bar baz"])
def test_unknown_command(line: str) -> None:
    word = line.split()[0]
    with pytest.raises(MdaError) as caught:
        parse_slash(line)
    assert caught.value.message.startswith(f"unknown command {word} (see /help;")
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    "line",
    [
        "hello",
        "",
        "/",
        "/ help",
        "/usr/bin is odd",
        "/etc/passwd",
        "/foo.txt is here",
        "/123",
        " /help",
        " /tmp is full",
        "what does /help do?",
        "@src/app.py /help",
    ],
)
def test_messages_are_not_commands(line: str) -> None:
    assert parse_slash(line) is None


def test_help_lists_every_command_one_line_each() -> None:
    lines = help_text().splitlines()
    for spec in COMMANDS:
        matching = [line for line in lines if line.split()[0] == f"/{spec.name}"]
        assert len(matching) == 1, spec.name
        assert spec.usage in matching[0]
        assert spec.summary in matching[0]
    assert any(line.startswith("@path") for line in lines)
