"""The message catalogue: every message in both languages with the same fields, every
key the code asks for defined and every defined key asked for, and the language
chosen as the person set it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from my_deepagent.catalogue import LANGUAGES, catalogue, english, language, msg

HANGUL = re.compile(r"[\uac00-\ud7a3]")
SOURCE = Path(__file__).resolve().parents[1] / "src" / "my_deepagent"
LOOKUP = re.compile(r"""\b(?:msg|english|_refuse)\(\s*["']([a-z0-9_.]+)["']""")


def used_keys() -> dict[str, list[str]]:
    """Each key the source asks for, and the files that ask."""
    found: dict[str, list[str]] = {}
    for path in SOURCE.rglob("*.py"):
        if path.is_relative_to(SOURCE / "catalogue"):
            continue
        for key in LOOKUP.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, []).append(str(path.relative_to(SOURCE)))
    return found


def test_every_message_exists_in_both_languages_with_the_same_fields() -> None:
    problems = []
    for key, text in catalogue().items():
        if not text.en.strip() or not text.ko.strip():
            problems.append(f"{key}: empty")
        if text.fields("en") != text.fields("ko"):
            problems.append(f"{key}: fields {text.fields('en')} vs {text.fields('ko')}")
        if not HANGUL.search(text.ko):
            problems.append(f"{key}: the Korean text has no Korean in it")
        if HANGUL.search(text.en):
            problems.append(f"{key}: the English text has Korean in it")
    assert problems == []


def test_every_key_asked_for_is_defined_and_every_defined_key_is_asked_for() -> None:
    used = used_keys()
    assert sorted(set(used) - set(catalogue())) == [], "asked for, never defined"
    assert sorted(set(catalogue()) - set(used)) == [], "defined, never asked for"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_renders_with_its_fields(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDA_LANG", lang)
    for key, text in catalogue().items():
        filled = msg(key, **{name: f"<{name}>" for name in text.fields("en")})
        assert "{" not in filled.replace("{{", "") or "}}" in text.en, key


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"MDA_LANG": "ko"}, "ko"),
        ({"MDA_LANG": "EN", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ko_KR"}, "ko"),
        ({"MDA_LANG": "fr", "LANG": "ko_KR.UTF-8"}, "ko"),
        ({}, "en"),
    ],
)
def test_the_language_is_mda_lang_then_the_locale_then_english(
    environment: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MDA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert language() == expected


def test_workflow_code_gets_english_whatever_the_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MDA_LANG", "ko")
    assert english("cli.aborted") == "aborted"
    assert msg("cli.aborted") == "중단했습니다"
