"""Consent per provider: `mda init` records it (`--yes`, `--allow`; a terminal is asked), and a run
whose personas use a provider without it is refused before anything is created,
naming the command that grants it; the scripted model needs none."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from my_deepagent.consent import consent_file
from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.launch import RunRequest, plan_run
from my_deepagent.settings import get_settings


def mda(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "my_deepagent", *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.fixture
def repo(mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from my_deepagent.examples import prepare_example_repo

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    return prepare_example_repo(tmp_path / "repo")


def test_init_writes_the_folders_and_config_and_records_what_was_allowed(mda_home: Path) -> None:
    done = mda("init", "--allow", "openai", "--allow", "Anthropic")
    assert done.returncode == 0, done.stderr
    settings = get_settings()
    assert settings.paths.config_file.read_text().startswith("# mda's configuration.")
    assert settings.paths.log_dir.is_dir() and settings.paths.data_dir.is_dir()
    assert "openai: allowed since 20" in done.stdout
    assert "openrouter: not allowed" in done.stdout
    path = consent_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = json.loads(path.read_text())["granted"]
    assert set(first) == {"openai", "anthropic"}

    (settings.paths.config_file).write_text("budget_day_usd = 3\n")
    again = mda("init", "--yes")
    assert again.returncode == 0, again.stderr
    assert settings.paths.config_file.read_text() == "budget_day_usd = 3\n"  # kept
    answers = json.loads(path.read_text())["granted"]
    assert set(answers) == {"openrouter", "openai", "anthropic", "openai-compatible"}
    assert answers["openai"] == first["openai"]  # the time it was first given

    silent = mda("init")
    assert "not a terminal: pass --yes or --allow PROVIDER" in silent.stdout
    bad = mda("init", "--allow", "skynet")
    assert bad.returncode == 2 and "unknown provider 'skynet'" in bad.stderr


def test_a_run_without_consent_is_refused_before_anything_is_created(
    repo: Path, mda_home: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(MDA_OPENROUTER_API_KEY="sk-or-v1-test", TEMPORAL_CONFIG_FILE=str(mda_home / "x"))
    args = ("start", "spec-and-review", "--repo", str(repo), "-r", "add due dates")
    refused = mda(*args, env=env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert (
        "you have not allowed mda to send repository content to openrouter: run `mda init` "
        "(or `mda init --allow openrouter`)" in refused.stderr
    )
    assert not (mda_home / "run").exists(), "no server or worker started"
    assert not (mda_home / "data" / "mda.db").exists(), "no run row"

    request = RunRequest(template="spec-and-review", repo=repo, requirements="x", offline=True)
    planned = plan_run(request, load_user_catalog(), "b" * 32)  # scripted: no consent needed
    assert {p.persona_ref for p in planned.phases} >= {"scripted-spec-writer@1"}
