"""Every message mda shows a person, in English and Korean: one catalogue.

A message is looked up by its key and filled with named fields:

    raise MdaError(msg("sessions.message_empty"))
    say(msg("keys.saved", provider=name, fingerprint=fp))

The language is `MDA_LANG` (`en` or `ko`); unset, the locale's (`LC_ALL`,
`LC_MESSAGES`, `LANG`: a `ko` locale speaks Korean); else English. What machines read
stays as it is in every language: JSON keys and values, the column names of
tab-separated output, command names, flags and paths inside a message.

The messages live beside the code that shows them, one module per part of mda
(`chat`, `runs`, `operations`, ...), each a `dict[str, Text]`; this module merges
them and refuses a key defined twice. Workflow code, which must not depend on the
machine's language, uses `english()`.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "ko"]
LANGUAGES: tuple[Language, ...] = ("en", "ko")


@dataclass(frozen=True)
class Text:
    """One message in each language; `{name}` fields are the same in both."""

    en: str
    ko: str

    def fields(self, language: Language) -> set[str]:
        template = self.en if language == "en" else self.ko
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}


PARTS = ("common", "chat", "runs", "operations", "assets", "workspace")
"""The catalogue's modules, one per part of mda."""


def _merged() -> dict[str, Text]:
    import importlib

    merged: dict[str, Text] = {}
    for part in PARTS:
        messages: dict[str, Text] = importlib.import_module(f"{__name__}.{part}").MESSAGES
        for key, text in messages.items():
            if key in merged:
                raise RuntimeError(f"message key {key} is defined twice in the catalogue")
            merged[key] = text
    return merged


_catalogue: dict[str, Text] | None = None


def catalogue() -> dict[str, Text]:
    global _catalogue
    if _catalogue is None:
        _catalogue = _merged()
    return _catalogue


def language() -> Language:
    """`MDA_LANG` if it names a language mda speaks, else the locale's, else English."""
    chosen = os.environ.get("MDA_LANG", "").strip().lower()
    for known in LANGUAGES:
        if chosen == known:
            return known
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = os.environ.get(variable, "")
        if locale:
            return "ko" if locale.lower().startswith("ko") else "en"
    return "en"


def msg(key: str, /, **fields: object) -> str:
    """The message `key` in the person's language, its fields filled in."""
    return _render(key, language(), fields)


def english(key: str, /, **fields: object) -> str:
    """The message `key` in English, whatever the machine's language (workflow code)."""
    return _render(key, "en", fields)


def render(key: str, language: Language, /, **fields: object) -> str:
    """The message `key` in `language`, chosen by someone else than this machine (a run's
    report, in the language of the person who started the run)."""
    return _render(key, language, fields)


def _render(key: str, language: Language, fields: dict[str, object]) -> str:
    text = catalogue()[key]
    return (text.en if language == "en" else text.ko).format(**fields)
