"""`--help` and click's usage errors in Korean, and the same in English.

The help walk covers the whole command tree, so a command or option added without
its Korean help fails here; each usage error shape (a missing argument, an unknown
option or command, a bad value, an option without its value) is run for real.
"""

from __future__ import annotations

import pytest
import typer.main

from korean_helpers import HANGUL, error_line
from my_deepagent.catalogue.help_ko import HELP_KO
from my_deepagent.cli.help_text import HELP_OPTION, help_entries
from my_deepagent.cli.main import app, main


def _tree() -> dict[str, str]:
    root = typer.main.get_command(app)
    root.name = "mda"
    return {key: text for key, text, _ in help_entries(root)}


def test_every_command_and_option_a_person_sees_has_korean_help() -> None:
    tree = _tree()
    assert len(tree) > 100  # the walk reached the subcommands and their options
    missing = sorted(set(tree) - set(HELP_KO))
    stale = sorted(set(HELP_KO) - set(tree) - {HELP_OPTION})
    assert missing == [], "no Korean help for these"
    assert stale == [], "Korean help for something that no longer exists"
    assert [k for k, text in HELP_KO.items() if not HANGUL.search(text)] == []
    # The first paragraph is the short help in command lists: the same shape in both.
    for key, english in tree.items():
        assert english.count("\n\n") == HELP_KO[key].count("\n\n"), key


def test_help_speaks_korean_when_asked_then_english_again(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MDA_LANG", "ko")
    assert main(["keys", "set", "--help"]) == 0
    korean = capsys.readouterr().out
    for text in (HELP_KO["mda keys set"], HELP_KO["mda keys set:stdin"], HELP_KO[HELP_OPTION]):
        assert " ".join(text.split())[:20] in " ".join(korean.split())
    assert "옵션" in korean and "Options" not in korean

    assert main(["keys", "--help"]) == 0  # a group lists its commands' Korean help
    assert HELP_KO["mda keys list"][:15] in capsys.readouterr().out

    monkeypatch.setenv("MDA_LANG", "en")
    assert main(["keys", "set", "--help"]) == 0
    english = capsys.readouterr().out
    assert "Options" in english and "Read the key from standard input." in english
    assert not HANGUL.search(english)


USAGE_ERRORS = [
    (["--bogus"], "No such option: --bogus", "그런 옵션이 없습니다: --bogus"),
    (["keys", "set"], "Missing argument 'provider'.", "인자 'provider' 가 빠졌습니다."),
    (["keys", "set", "a", "b"], "Got unexpected extra argument(s) (b)", "필요 없는 인자가"),
    (["nosuch"], "No such command 'nosuch'.", "'nosuch' 이라는 명령이 없습니다."),
    (["runs", "list", "--limit", "x"], "Invalid value for '--limit'", "정수여야 합니다"),
    (["runs", "list", "--limit", "0"], "greater than or equal to 1", "1 이상이어야 합니다"),
    (["chat", "--compact-at", "2"], "less than or equal to 1.0", "1.0 이하여야 합니다"),
    (["worker", "--concurrency"], "Option '--concurrency' requires an argument.", "값이 필요"),
    (["audit", "tail", "--follow=3"], "Option '--follow' does not take a value.", "값을 받지"),
]


@pytest.mark.parametrize(("argv", "english", "korean"), USAGE_ERRORS)
def test_usage_errors_are_one_line_in_either_language(
    argv: list[str],
    english: str,
    korean: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MDA_LANG", "en")
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("mda: error: ") and english in err

    monkeypatch.setenv("MDA_LANG", "ko")
    code = main(argv)
    message = error_line(code, capsys)
    assert code == 2 and korean in message
    assert "Invalid value" not in message and "No such" not in message and "Missing" not in message
