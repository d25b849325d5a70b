"""`scrub`: every kind of secret mda knows the shape of, the keys it holds, private key
blocks and bearer tokens come out; ordinary text stays as it was. Log lines pass
through it, tracebacks included."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from my_deepagent.scrub import REDACTED, ScrubbingFormatter, hold, scrub
from my_deepagent.settings import reset_settings

PLANTED = {
    "openrouter": "sk-or-v1-" + "a1b2c3d4" * 8,
    "openai": "sk-proj-" + "Zx9Yw8Vu7Ts6" * 4,
    "anthropic": "sk-ant-api03-" + "Qq1Ww2Ee3Rr4" * 4,
    "langsmith": "lsv2_pt_" + "0f1e2d3c4b5a" * 3,
    "github": "ghp_" + "A1b2C3d4E5f6" * 3,
    "gitlab": "glpat-" + "x1Y2z3W4v5U6" * 2,
    "aws id": "AKIA" + "ABCDEFGHIJKLMNOP",
    "slack": "xoxb-" + "123456789012-abcdefABCDEF",
    "github pat": "github_pat_" + "11ABCDEFG0" * 5,
    "aws session id": "ASIA" + "QRSTUVWXYZ234567",
    "google": "AIza" + "SyA-1234567890abcdefghijklmnopqrstu",
    "stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "hugging face": "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_shape_is_scrubbed_where_it_stands(kind: str) -> None:
    text = f"the {kind} token is {PLANTED[kind]}, keep it safe"
    assert scrub(text) == f"the {kind} token is {REDACTED}, keep it safe"


def test_every_credential_shape_has_its_fixed_part() -> None:
    """Scrubbing skips the shapes whose fixed part a text lacks (that is what makes a
    large file read cheap): each shape of the scan names its part."""
    from my_deepagent import scrub as module
    from my_deepagent.secret_scan import KEY_SHAPES

    assert {name for name, _ in KEY_SHAPES} == set(module._SHAPE_ANCHORS)


def test_bearer_tokens_aws_secrets_and_private_key_blocks() -> None:
    block = (
        "-----BEGIN OPENSSH "
        + "PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----"
    )
    text = (
        "Authorization: Bearer abc.def-ghi\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        f"{block}\nafter"
    )
    assert scrub(text) == (
        f"Authorization: Bearer {REDACTED}\naws_secret_access_key = {REDACTED}\n{REDACTED}\nafter"
    )


def test_keys_mda_holds_are_scrubbed_whatever_their_shape(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_OPENAI_COMPATIBLE_API_KEY", "local-server-secret-1")
    reset_settings()
    hold("keyring-held-value-42")
    assert scrub("a local-server-secret-1 and a keyring-held-value-42") == (
        f"a {REDACTED} and a {REDACTED}"
    )


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "Run the tests: pytest -q; skipped 3, task-runner ok, the Bearer of news.",
        "def main() -> None:\n    return sk_value + ask_me\n",
        "AKIA is a prefix; aws_secret_access_key = <your key here>",
    ):
        assert scrub(text) == text


def test_log_lines_and_their_tracebacks_are_scrubbed() -> None:
    formatter = ScrubbingFormatter("%(levelname)s %(message)s")
    try:
        raise RuntimeError(f"provider said no to {PLANTED['openrouter']}")
    except RuntimeError:
        record = logging.LogRecord(
            "mda", logging.ERROR, __file__, 1, "key %s failed", (PLANTED["openai"],), sys.exc_info()
        )
    line = formatter.format(record)
    assert PLANTED["openrouter"] not in line and PLANTED["openai"] not in line
    assert line.startswith(f"ERROR key {REDACTED} failed") and "RuntimeError" in line
