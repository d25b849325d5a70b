"""What the Korean tests share: the `korean` home (MDA_LANG=ko, no stdin), a git
repository in it, and reading the one `mda: 오류: ` line a failing command ends with."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from my_deepagent.examples import prepare_example_repo
from my_deepagent.settings import reset_settings

HANGUL = re.compile(r"[\uac00-\ud7a3]")
ERROR = "mda: 오류: "


@pytest.fixture
def korean(mda_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MDA_LANG", "ko")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    reset_settings()
    return mda_home


@pytest.fixture
def repo(korean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    return prepare_example_repo(tmp_path / "repo")


def error_line(code: int, capsys: pytest.CaptureFixture[str]) -> str:
    """The message of the one Korean error line a command that exited `code` printed."""
    out, err = capsys.readouterr()
    assert code != 0, out
    assert err.count("\n") == 1 and err.startswith(ERROR), err
    message = err.removeprefix(ERROR).rstrip("\n")
    assert HANGUL.search(message), message
    return message
