"""Which persona and model a new session talks to (`mda`, `mda chat [--agent] [--model]`).

`mda` alone picks the best chat persona whose key is set; with no key at all it opens
the scripted persona and says so (and how to fix it), so a fresh install still opens
a working REPL. Anything named explicitly is never swapped: a missing key is then one
line naming the variable to set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from my_deepagent.consent import grant
from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.errors import MdaError
from my_deepagent.sessions.client import choose_agent
from my_deepagent.settings import get_settings, reset_settings


def test_no_key_at_all_falls_back_to_the_scripted_persona_with_a_note(mda_home: Path) -> None:
    choice = choose_agent(load_user_catalog(), agent=None, model=None, offline=False)
    assert choice.persona.ref == "scripted-chat@1" and choice.model == "scripted:chat"
    assert choice.note is not None
    assert "no key for openrouter: run `mda keys set openrouter`" in choice.note
    assert "scripted" in choice.note


def test_the_best_persona_with_a_key_and_consent_is_chosen(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_ANTHROPIC_API_KEY", "sk-ant-test")
    reset_settings()
    choice = choose_agent(load_user_catalog(), agent=None, model=None, offline=False)
    assert choice.persona.provider == "scripted"  # a key, but no consent yet
    with pytest.raises(MdaError, match="not allowed mda to send repository content to anthropic"):
        choose_agent(
            load_user_catalog(), agent="anthropic-claude-haiku-assistant", model=None, offline=False
        )
    grant(get_settings(), ["anthropic"])
    choice = choose_agent(load_user_catalog(), agent=None, model=None, offline=False)
    assert choice.persona.provider == "anthropic" and choice.note is None


def test_offline_chooses_the_scripted_persona_without_a_note(mda_home: Path) -> None:
    choice = choose_agent(load_user_catalog(), agent=None, model=None, offline=True)
    assert choice.model.startswith("scripted:") and choice.note is None


@pytest.mark.parametrize(
    ("agent", "model", "offline", "needle"),
    [
        ("openrouter-deepseek-assistant", None, False, "export MDA_OPENROUTER_API_KEY"),
        (None, "openai:gpt-4o", False, "no key for openai: run `mda keys set openai`"),
        (None, "openai:gpt-4o", True, "--offline needs a scripted model"),
        ("nobody", None, False, "no persona 'nobody'"),
    ],
)
def test_what_is_named_is_never_swapped(
    mda_home: Path, agent: str | None, model: str | None, offline: bool, needle: str
) -> None:
    with pytest.raises(MdaError, match=needle):
        choose_agent(load_user_catalog(), agent=agent, model=model, offline=offline)
