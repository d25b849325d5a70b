"""mda's own git commands never run code the repository controls, and never hand it
mda's environment: a hook, an fsmonitor, a filter, an external diff or a textconv
planted in `.git/config` stays inert through creating a run's worktree, committing
the agent's work and checking for changes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from my_deepagent.examples import prepare_example_repo
from my_deepagent.git import commit_all, create_run_worktree, resolve_repo, run_git
from my_deepagent.settings import get_settings

RUN_ID = "run-5a1ec0de-2fa1-4c3d-9e5f-000000000008"


def plant(repo: Path, marker: Path) -> None:
    """Every way a repository's config or hooks could make git start a program."""
    spy = repo.parent / "spy.sh"
    spy.write_text(f'#!/bin/sh\nenv >> "{marker}"\necho "$0 $*" >> "{marker}"\ncat\n')
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    for hook in (
        "pre-commit",
        "post-checkout",
        "commit-msg",
        "post-commit",
        "reference-transaction",
    ):
        path = repo / ".git" / "hooks" / hook
        path.write_text(f"#!/bin/sh\n{spy}\n")
        path.chmod(0o755)
    settings = {
        "core.fsmonitor": str(spy),
        "core.sshCommand": str(spy),
        "core.askPass": str(spy),
        "core.pager": str(spy),
        "core.editor": str(spy),
        "diff.external": str(spy),
        "diff.spy.textconv": str(spy),
        "diff.spy.command": str(spy),
        "filter.spy.clean": str(spy),
        "filter.spy.smudge": str(spy),
        "filter.spy.process": str(spy),
        "filter.spy.required": "true",
        "gpg.program": str(spy),
        "commit.gpgSign": "true",
    }
    for key, value in settings.items():
        run_git(["config", key, value], cwd=repo)
    (repo / ".gitattributes").write_text("* filter=spy diff=spy\n")


def test_planted_git_config_and_hooks_never_run(
    mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_never_for_git_0123456789abcdef")
    repo = prepare_example_repo(tmp_path / "user-repo")
    marker = tmp_path / "ran.txt"
    plant(repo, marker)

    worktree = create_run_worktree(
        resolve_repo(repo), "main", RUN_ID, get_settings().paths.worktrees_dir
    )
    (worktree.path / "new.txt").write_text("agent's work\n")
    (worktree.path / "README.md").write_text("changed\n")
    sha = commit_all(worktree.path, "mda: work")
    run_git(["status", "--porcelain"], cwd=worktree.path)
    run_git(["diff", "HEAD~1"], cwd=worktree.path)

    assert sha is not None
    assert not marker.exists(), marker.read_text()
    shown = run_git(["show", "HEAD:new.txt"], cwd=worktree.path).stdout
    assert shown == "agent's work\n"


def test_git_gets_an_allow_listed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from my_deepagent.git import git_env

    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "MDA_OPENAI_API_KEY", "SSH_AUTH_SOCK"):
        monkeypatch.setenv(name, "secret")
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    env = git_env()
    assert set(env) <= {
        *("PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "TZ", "XDG_CONFIG_HOME"),
        *("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"),
        *("GIT_CEILING_DIRECTORIES", "GIT_TERMINAL_PROMPT", "GIT_EDITOR"),
        *("GIT_SEQUENCE_EDITOR", "LC_ALL", "LANGUAGE"),
    }
    assert "secret" not in env.values() and "GIT_DIR" not in env
