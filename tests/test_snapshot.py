"""Working-tree records of a session's repository, in a real git repository: what an
agent destroys (`git stash drop`, `git clean -fdx`, a mass delete) comes back, the
user's index, branch and stash are never touched, and secret files never enter git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from my_deepagent.git import snapshot
from my_deepagent.git.runner import run_git
from my_deepagent.git.snapshot import (
    MAX_IGNORED_FILE_BYTES,
    Rewound,
    WorkspaceError,
    list_snapshots,
    record_working_tree,
    restore_working_tree,
    rewind_working_tree,
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


def rewind(repo: Path, data: Path, turn: int = 1, stamp: str = "1") -> Rewound:
    undo = f"refs/mda/sessions/{SESSION}/before-rewind-{stamp}"
    return rewind_working_tree(repo, turn_ref(SESSION, turn), undo, data)


def test_a_vaulted_secret_is_never_written_through_a_linked_folder(
    repo: Path, tmp_path: Path
) -> None:
    """The agent replaced `config/` (which held the user's `.env`) by a link to a folder
    outside the repository and ignored it: the rewind writes the `.env` back inside."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    (repo / "config").mkdir()
    (repo / "config" / ".env").write_text("DB_PASSWORD=the-users-secret\n")
    record(repo, data, 1)
    subprocess.run(["rm", "-rf", "config"], cwd=repo, check=True)
    outside.mkdir()
    (repo / "config").symlink_to(outside, target_is_directory=True)
    with (repo / ".gitignore").open("a") as ignore:
        ignore.write("config\n")

    rewind(repo, data)

    assert list(outside.iterdir()) == [], "nothing is written outside the repository"
    assert not (repo / "config").is_symlink()
    assert (repo / "config" / ".env").read_text() == "DB_PASSWORD=the-users-secret\n"


def test_a_restore_refuses_a_secret_whose_folder_became_a_link(repo: Path, tmp_path: Path) -> None:
    data, outside = tmp_path / "data", tmp_path / "outside"
    (repo / "config").mkdir()
    (repo / "config" / ".env").write_text("DB_PASSWORD=the-users-secret\n")
    record(repo, data, 1)
    subprocess.run(["rm", "-rf", "config"], cwd=repo, check=True)
    outside.mkdir()
    (repo / "config").symlink_to(outside, target_is_directory=True)
    (snapshot,) = list_snapshots(repo, SESSION)

    restore_working_tree(repo, snapshot, f"refs/mda/sessions/{SESSION}/undo", data)

    assert list(outside.iterdir()) == [], "nothing is written outside the repository"
    assert (repo / ".env").read_text() == "API_KEY=the-users-key\n"  # the others are


def test_a_secret_is_never_written_into_a_hard_link_to_another_file(
    repo: Path, tmp_path: Path
) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere.txt"
    record(repo, data, 1)
    elsewhere.write_text("a file of the user's outside the repository\n")
    (repo / ".env").unlink()
    os.link(elsewhere, repo / ".env")

    rewind(repo, data)

    assert elsewhere.read_text() == "a file of the user's outside the repository\n"
    assert (repo / ".env").read_text() == "API_KEY=the-users-key\n"


def test_the_users_ignored_files_survive_the_agents_gitignore(repo: Path, tmp_path: Path) -> None:
    """Ignored means ignored by the rules the snapshot recorded: the agent's edit of
    `.gitignore` neither exposes the user's ignored files to deletion nor hides its own
    new files from it."""
    data = tmp_path / "data"
    (repo / ".gitignore").write_text(".env\nbuild/\ndata/\n")
    (repo / "data").mkdir()
    (repo / "data" / "big.db").write_bytes(b"\1" * (MAX_IGNORED_FILE_BYTES + 1))
    record(repo, data, 1)
    (repo / ".gitignore").write_text(".env\n*.tmp\nhidden/\n")  # the agent's rules
    (repo / "agent.tmp").write_text("made by the agent, ignored by its own rule\n")
    (repo / "hidden").mkdir()
    (repo / "hidden" / "a.txt").write_text("also the agent's\n")
    (repo / "nested").mkdir()
    (repo / "nested" / ".gitignore").write_text("*\n")
    (repo / "nested" / "b.txt").write_text("hidden by a new nested rule\n")
    (repo / "build" / "more.bin").write_bytes(b"ignored by the user's rule\n")

    done = rewind(repo, data)

    assert (repo / "data" / "big.db").stat().st_size == MAX_IGNORED_FILE_BYTES + 1
    assert (repo / "build" / "more.bin").exists(), "ignored by the snapshot's rules"
    assert (repo / ".gitignore").read_text() == ".env\nbuild/\ndata/\n"
    for gone in ("agent.tmp", "hidden", "nested"):
        assert not (repo / gone).exists(), gone
    assert sorted(done.deleted) == [
        "agent.tmp", "hidden/a.txt", "nested/.gitignore", "nested/b.txt",
    ]  # fmt: skip


@pytest.mark.parametrize("failing", ["checkout-index", "delete", "copy"])
def test_a_rewind_that_failed_midway_is_completed_by_its_retry(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    data = tmp_path / "data"
    record(repo, data, 1)
    expected = {p: p.read_bytes() for p in repo.rglob("*") if ".git" not in p.parts and p.is_file()}
    (repo / "src" / "app.py").write_text("the agent's\n")
    (repo / "src" / "made.py").write_text("the agent's\n")
    (repo / ".env").write_text("API_KEY=changed\n")

    def broken_git(args: list[str], **kwargs: Any) -> Any:
        if args[0] == failing:
            raise WorkspaceError("fatal: Unable to create '.git/index.lock': File exists")
        return run_git(args, **kwargs)

    def broken(*args: Any) -> Any:
        raise WorkspaceError("interrupted")

    if failing == "checkout-index":
        monkeypatch.setattr(snapshot, "run_git", broken_git)
    else:
        monkeypatch.setattr(snapshot, f"_{failing}_files", broken)
    with pytest.raises(WorkspaceError):
        rewind(repo, data)
    monkeypatch.undo()

    rewind(repo, data)  # the retry: same undo ref

    now = {p: p.read_bytes() for p in repo.rglob("*") if ".git" not in p.parts and p.is_file()}
    assert now == expected
    undo = f"refs/mda/sessions/{SESSION}/before-rewind-1"
    assert git(repo, "show", f"{undo}:src/made.py") == "the agent's\n"
