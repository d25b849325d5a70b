"""Working-tree records of a session's repository, in a real git repository: what an
agent destroys (`git stash drop`, `git clean -fdx`, a mass delete) comes back, the
user's index, branch and stash are never touched, and secret files never enter git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from my_deepagent.git.snapshot import (
    list_snapshots,
    record_working_tree,
    restore_working_tree,
    turn_ref,
    vault_dir,
)

SESSION = "sess-0001"
IDENTITY = ("-c", "user.name=Dev", "-c", "user.email=dev@example.com")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text(".env\nbuild/\n")
    (root / "src" / "app.py").write_text("v1\n")
    git(root, "add", "-A")
    git(root, *IDENTITY, "commit", "-q", "-m", "first")
    (root / "src" / "app.py").write_text("uncommitted work\n")
    (root / "src" / "new.py").write_text("untracked\n")
    (root / ".env").write_text("API_KEY=the-users-key\n")
    (root / "build").mkdir()
    (root / "build" / "big.bin").write_bytes(b"\0" * 10)
    return root


def record(repo: Path, data: Path, turn: int) -> str:
    ref = turn_ref(SESSION, turn)
    return record_working_tree(repo, ref, f"before turn {turn}", vault_dir(data, ref))


def users_state(repo: Path) -> tuple[str, str, str, str]:
    return (
        git(repo, "status", "--porcelain"),
        git(repo, "rev-parse", "HEAD"),
        git(repo, "stash", "list"),
        (repo / ".git" / "index").read_bytes().hex(),
    )


def test_recording_leaves_the_users_index_branch_and_stash_alone(
    repo: Path, tmp_path: Path
) -> None:
    before = users_state(repo)
    commit = record(repo, tmp_path / "data", 1)
    assert users_state(repo) == before
    files = git(repo, "ls-tree", "-r", "--name-only", commit).split()
    assert files == [".gitignore", "src/app.py", "src/new.py"]
    assert git(repo, "show", f"{commit}:src/app.py") == "uncommitted work\n"
    assert record(repo, tmp_path / "data", 1) == commit  # a retried turn keeps its record
    assert [s.turn for s in list_snapshots(repo, SESSION)] == [1]


def test_secret_files_stay_out_of_git_and_in_mdas_folder(repo: Path, tmp_path: Path) -> None:
    record(repo, tmp_path / "data", 1)
    every_object = git(repo, "log", "--all", "-p", "--format=%H")
    assert "the-users-key" not in every_object
    kept = vault_dir(tmp_path / "data", turn_ref(SESSION, 1)) / ".env"
    assert kept.read_text() == "API_KEY=the-users-key\n"
    assert kept.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "destroy",
    [
        "git stash -q && git stash drop -q",
        "git clean -fdxq",
        "rm -rf src .env .gitignore",
        "git checkout -- . && git clean -fdq",
    ],
)
def test_what_the_agent_destroyed_comes_back(repo: Path, tmp_path: Path, destroy: str) -> None:
    data = tmp_path / "data"
    record(repo, data, 1)
    subprocess.run(destroy, shell=True, cwd=repo, check=True)
    (repo / "created-after.txt").write_text("kept\n")

    (snapshot,) = list_snapshots(repo, SESSION)
    restore_working_tree(repo, snapshot, f"refs/mda/sessions/{SESSION}/undo", data)

    assert (repo / "src" / "app.py").read_text() == "uncommitted work\n"
    assert (repo / "src" / "new.py").read_text() == "untracked\n"
    assert (repo / ".env").read_text() == "API_KEY=the-users-key\n"
    assert (repo / "created-after.txt").read_text() == "kept\n"


def test_a_restore_can_itself_be_undone(repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    record(repo, data, 1)
    (repo / "src" / "app.py").write_text("the agent's later work\n")
    (snapshot,) = list_snapshots(repo, SESSION)
    undo = f"refs/mda/sessions/{SESSION}/undo"
    restore_working_tree(repo, snapshot, undo, data)
    assert git(repo, "show", f"{undo}:src/app.py") == "the agent's later work\n"
