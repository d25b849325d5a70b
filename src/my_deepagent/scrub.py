"""Secrets out of everything mda writes for people: one function, `scrub`.

`scrub(text)` replaces, with `[redacted]`:
- the values of the keys mda itself holds (its settings' provider keys, and every key
  it has read from the OS keyring in this process), longest first;
- whole private key blocks (`-----BEGIN ... PRIVATE KEY-----` to its END line);
- `Bearer <token>` of 8 characters or more (the word stays), and
  `aws_secret_access_key = <value>`;
- anything shaped like a credential (`secret_scan.KEY_SHAPES`: OpenRouter, OpenAI,
  Anthropic, LangSmith, GitHub, GitLab, AWS key ids, Google, Slack, Stripe, Hugging
  Face), and any other `sk-` token with a digit in it.

It is applied wherever text leaves mda's hands: tool results and errors before the
model sees them (`agents/secret_filter.py`), what a person types before it is sent
(messages, requirements, gate answers, notes), the message mirror, replies and
progress lines, failures in Temporal history (`temporal_converter.py`), provider
error messages, the worker's log lines (`ScrubbingFormatter`) and the audit trail.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from my_deepagent.secret_scan import KEY_SHAPES

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")

REDACTED = "[redacted]"

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    replacement: str
    anchors: tuple[str, ...] | None = None
    """Strings every match contains (lower case when the pattern ignores case): text
    holding none of them is skipped, which makes scrubbing a large file read cheap.
    None: always run the pattern."""


_SHAPE_ANCHORS: dict[str, tuple[str, ...]] = {
    "a private key": ("-----BEGIN ",),
    "an Anthropic API key": ("sk-ant-",),
    "an OpenRouter API key": ("sk-or-v1-",),
    "a LangSmith API key": ("lsv2_",),
    "an OpenAI API key": ("sk-",),
    "a GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "a GitLab token": ("glpat-",),
    "an AWS access key id": ("AKIA", "ASIA"),
    "a Google API key": ("AIza",),
    "a Slack token": ("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"),
    "a Stripe secret key": ("k_live_",),
    "a Hugging Face token": ("hf_",),
}
"""A shape missing here is still applied, to every text (only slower)."""

_RULES: tuple[_Rule, ...] = (
    _Rule(_PRIVATE_KEY_BLOCK, REDACTED, ("-----BEGIN ",)),
    _Rule(
        re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
        rf"\1 {REDACTED}",
        ("bearer",),
    ),
    _Rule(
        re.compile(r"\b(aws_secret_access_key\s*[=:]\s*)[\"']?[A-Za-z0-9/+=]{16,}", re.I),
        rf"\1{REDACTED}",
        ("aws_secret_access_key",),
    ),
    *(_Rule(pattern, REDACTED, _SHAPE_ANCHORS.get(name)) for name, pattern in KEY_SHAPES),
    # Any other `sk-` token with a digit in it (a masked key in a provider's error);
    # words like `sk-learn` or a CSS class `sk-spinner` stay.
    _Rule(re.compile(r"\bsk-(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{6,}"), REDACTED, ("sk-",)),
)

_held: set[str] = set()
_held_lock = threading.Lock()
MIN_HELD_LENGTH = 8
"""Shorter values are not remembered: replacing them would mangle ordinary text."""


def hold(secret: str) -> None:
    """Remember a key this process holds (read from the OS keyring), to scrub it."""
    value = secret.strip()
    if len(value) >= MIN_HELD_LENGTH:
        with _held_lock:
            _held.add(value)


def scrub(text: str) -> str:
    for secret in _known_secrets():
        text = text.replace(secret, REDACTED)
    return scrub_patterns(text)


def scrub_patterns(text: str) -> str:
    """`scrub` without the keys mda holds: the shapes only (no settings are read)."""
    lowered: str | None = None
    for rule in _RULES:
        if rule.anchors is not None:
            if rule.pattern.flags & re.IGNORECASE:
                lowered = text.lower() if lowered is None else lowered
                haystack = lowered
            else:
                haystack = text
            if not any(anchor in haystack for anchor in rule.anchors):
                continue
        replaced = rule.pattern.sub(rule.replacement, text)
        if replaced != text:
            text, lowered = replaced, None
    return text


def scrubbed_fields(model: M) -> M:
    """A copy of `model` with each of its text fields scrubbed (a signal a person
    typed, before it is sent into a workflow's history)."""
    texts = {name: scrub(value) for name, value in model if isinstance(value, str)}
    return model.model_copy(update=texts)


class ScrubbingFormatter(logging.Formatter):
    """A log formatter whose every line (tracebacks included) has passed `scrub`."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def _known_secrets() -> list[str]:
    """The keys of this process's settings (configured on purpose: any length) and the
    ones it holds, longest first (a key may contain another)."""
    from my_deepagent.keys import PROVIDER_SETTINGS
    from my_deepagent.settings import get_settings

    with _held_lock:
        values = set(_held)
    try:
        settings = get_settings()
    except Exception:  # an unreadable config must not hide the text being scrubbed
        settings = None
    if settings is not None:
        for field in (*PROVIDER_SETTINGS.values(), "api_token", "payload_key"):
            secret = getattr(settings, field)
            if secret is not None and secret.get_secret_value().strip():
                values.add(secret.get_secret_value().strip())
    return sorted(values, key=len, reverse=True)
