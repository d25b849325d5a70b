"""A run's unfinished work shared through the repository, on a real repository and two
workers' worktrees of one run: what one records the other gets exactly (changed,
new and deleted files), a record on an older tip is ignored, and nothing but a run's
own worktree on its own branch is ever touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from my_deepagent.git import create_run_worktree, resolve_repo, run_branch_name
from my_deepagent.git.run_work import (
    clear_run_work,
    record_run_work,
    sync_run_worktree,
    work_ref,
)
from my_deepagent.git.runner import WorkspaceError

RUN_ID = "run-5a1e0000-2fa1-4c3d-9e5f-000000000001"
IDENTITY = ("-c", "user.name=Dev", "-c", "user.email=dev@example.com")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def files(worktree: Path) -> dict[str, str]:
    return {
        str(path.relative_to(worktree)): path.read_text()
        for path in sorted(worktree.rglob("*"))
        if path.is_file() and path.name != ".git"
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("build/\n")
    (root / "src" / "app.py").write_text("v1\n")
    (root / "src" / "old.py").write_text("to be deleted\n")
    git(root, "add", "-A")
    git(root, *IDENTITY, "commit", "-q", "-m", "first")
    return root


@pytest.fixture
def two_workers(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The run's worktree on each of two workers (each in its own data folder)."""
    info = resolve_repo(repo)
    first = create_run_worktree(info, "main", RUN_ID, tmp_path / "worker-a" / "worktrees")
    second = create_run_worktree(info, "main", RUN_ID, tmp_path / "worker-b" / "worktrees")
    return first.path, second.path


def test_the_other_worker_gets_exactly_the_recorded_files(two_workers: tuple[Path, Path]) -> None:
    mine, theirs = two_workers
    (mine / "src" / "app.py").write_text("v2\n")
    (mine / "src" / "new.py").write_text("new\n")
    (mine / "src" / "old.py").unlink()
    (mine / "build").mkdir()
    (mine / "build" / "out.bin").write_text("ignored by git\n")

    assert record_run_work(mine, RUN_ID) is not None
    assert record_run_work(mine, RUN_ID) is None  # nothing new to record
    (theirs / "src" / "stray.py").write_text("left by a killed attempt\n")

    assert sync_run_worktree(theirs, RUN_ID) is True
    assert files(theirs) == {
        ".gitignore": "build/\n",
        "src/app.py": "v2\n",
        "src/new.py": "new\n",
    }
    assert git(theirs, "status", "--porcelain") == "M src/app.py\n D src/old.py\n?? src/new.py"
    assert sync_run_worktree(theirs, RUN_ID) is False  # in step now: nothing to do
    assert sync_run_worktree(mine, RUN_ID) is False


def test_a_record_taken_before_the_branch_moved_on_is_ignored(
    repo: Path, two_workers: tuple[Path, Path]
) -> None:
    mine, theirs = two_workers
    (mine / "src" / "app.py").write_text("draft of the first phase\n")
    record_run_work(mine, RUN_ID)
    (mine / "src" / "app.py").write_text("accepted\n")
    git(mine, "add", "-A")
    git(mine, *IDENTITY, "commit", "-q", "-m", "phase accepted")

    assert sync_run_worktree(theirs, RUN_ID) is True
    assert (theirs / "src" / "app.py").read_text() == "accepted\n"
    assert git(theirs, "status", "--porcelain") == ""


def test_files_back_at_the_tip_clear_the_record(repo: Path, two_workers: tuple[Path, Path]) -> None:
    mine, _ = two_workers
    (mine / "src" / "app.py").write_text("v2\n")
    record_run_work(mine, RUN_ID)
    (mine / "src" / "app.py").write_text("v1\n")

    assert record_run_work(mine, RUN_ID) is None
    assert git(repo, "for-each-ref", work_ref(RUN_ID)) == ""
    (mine / "src" / "app.py").write_text("v3\n")
    record_run_work(mine, RUN_ID)
    clear_run_work(mine, RUN_ID)
    assert git(repo, "for-each-ref", work_ref(RUN_ID)) == ""


def test_a_stale_index_lock_of_a_killed_attempt_is_removed(two_workers: tuple[Path, Path]) -> None:
    mine, theirs = two_workers
    lock = Path(git(theirs, "rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")
    (mine / "src" / "app.py").write_text("v2\n")
    record_run_work(mine, RUN_ID)

    sync_run_worktree(theirs, RUN_ID)
    assert not lock.exists()
    assert (theirs / "src" / "app.py").read_text() == "v2\n"


def test_the_users_checkout_and_other_branches_are_refused(
    repo: Path, two_workers: tuple[Path, Path]
) -> None:
    mine, _ = two_workers
    (repo / "src" / "app.py").write_text("the user's own edit\n")
    with pytest.raises(WorkspaceError, match="is not a run's worktree"):
        sync_run_worktree(repo, RUN_ID)
    with pytest.raises(WorkspaceError, match="is not a run's worktree"):
        record_run_work(repo, RUN_ID)
    assert (repo / "src" / "app.py").read_text() == "the user's own edit\n"

    git(mine, "switch", "-q", "--detach")
    (mine / "src" / "app.py").write_text("v2\n")
    with pytest.raises(WorkspaceError, match=f"is not on refs/heads/{run_branch_name(RUN_ID)}"):
        sync_run_worktree(mine, RUN_ID)
    assert (mine / "src" / "app.py").read_text() == "v2\n"
    assert git(repo, "for-each-ref", work_ref(RUN_ID)) == ""
