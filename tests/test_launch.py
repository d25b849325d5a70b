"""`mda start`'s checks before anything is created: keys, requirements."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.errors import ConfigError, MdaError
from my_deepagent.examples import prepare_example_repo
from my_deepagent.launch import RunRequest, plan_run, read_requirements


@pytest.fixture
def repo(mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    return prepare_example_repo(tmp_path / "repo")


def test_a_missing_key_is_refused_before_anything_is_created(repo: Path, mda_home: Path) -> None:
    request = RunRequest(template="spec-and-review", repo=repo, requirements="x")
    with pytest.raises(ConfigError) as caught:
        plan_run(request, load_user_catalog(), "a" * 32)
    assert caught.value.message.startswith("no key for openrouter: run `mda keys set openrouter`")
    assert "\n" not in caught.value.message


def test_offline_needs_no_key(repo: Path) -> None:
    request = RunRequest(template="spec-and-review", repo=repo, requirements="x", offline=True)
    run_input = plan_run(request, load_user_catalog(), "b" * 32)
    assert [p.persona_ref for p in run_input.phases] == [
        "scripted-spec-writer@1",
        "scripted-reviewer@1",
        "scripted-verifier@1",
    ]
    assert run_input.base_branch == "main"


def test_mda_start_without_a_key_exits_2_and_starts_no_server(repo: Path, mda_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDA_", "TEMPORAL_"))}
    env.update(MDA_HOME=str(mda_home), TEMPORAL_CONFIG_FILE=str(mda_home / "none.toml"))
    result = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "start", "spec-and-review", "--repo", str(repo),
         "-r", "add due dates"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "MDA_OPENROUTER_API_KEY" in result.stderr
    assert not (mda_home / "run").exists(), "no server or worker pid file"
    assert not (mda_home / "data" / "mda.db").exists(), "no run row"


@pytest.mark.parametrize(
    ("text", "file_text", "expected"),
    [
        (None, None, "no requirements"),
        ("  ", None, "no requirements"),
        ("x", "y", "not both"),
        ("x" * (256 * 1024 + 1), None, "over 256 KiB"),
    ],
)
def test_bad_requirements_are_one_line(
    tmp_path: Path, text: str | None, file_text: str | None, expected: str
) -> None:
    file = None
    if file_text is not None:
        file = tmp_path / "req.md"
        file.write_text(file_text)
    with pytest.raises(MdaError) as caught:
        read_requirements(text, file)
    assert expected in caught.value.message


def test_requirements_file_missing_or_not_text(tmp_path: Path) -> None:
    with pytest.raises(MdaError, match="cannot read requirements file"):
        read_requirements(None, tmp_path / "absent.md")
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(MdaError, match="not UTF-8"):
        read_requirements(None, binary)
