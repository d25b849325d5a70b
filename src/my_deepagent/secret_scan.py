"""Text shaped like a credential: provider API keys, cloud and forge tokens, private keys.

By shape, not by knowing any key: a false positive costs a reworded file, a miss costs
a key published on a branch. Used before mda commits an agent's work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    ("an Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("an OpenRouter API key", re.compile(r"\bsk-or-v1-[A-Za-z0-9]{20,}")),
    ("a LangSmith API key", re.compile(r"\blsv2_(?:pt|sk)_[A-Za-z0-9_]{20,}")),
    ("an OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}")),
    (
        "a GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    ),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
)


@dataclass(frozen=True)
class KeyShape:
    """What was found (`kind`) and on which line, never the value itself."""

    kind: str
    line: int


def find_key_shape(text: str) -> KeyShape | None:
    """The first credential-shaped string in `text`, or None."""
    for kind, pattern in KEY_SHAPES:
        match = pattern.search(text)
        if match is not None:
            return KeyShape(kind=kind, line=text.count("\n", 0, match.start()) + 1)
    return None
