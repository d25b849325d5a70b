"""What the file tools may touch, judged on a real file system: symbolic links out of
the root or onto secrets, hard links, git's metadata, deleting the root or tracked
folders. Each refusal is one line naming what to do instead, never a real path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from my_deepagent.agents.file_guard import check_file_access


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text("print('hi')\n")
    (repo / "scratch").mkdir()
    (repo / "scratch" / "tmp.txt").write_text("untracked\n")
    (repo / ".env").write_text("API_KEY=x\n")
    (tmp_path / "outside.txt").write_text("not the agent's\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "src"], cwd=repo, check=True)
    return repo


def refusal(root: Path, tool: str, path: str) -> str | None:
    found = check_file_access(root, tool, path, "repository")
    return None if found is None else found.reason


@pytest.mark.parametrize("tool", ["read_file", "write_file", "edit_file"])
def test_a_symlink_out_of_the_root_is_refused(root: Path, tool: str) -> None:
    (root / "notes.txt").symlink_to(root.parent / "outside.txt")
    reason = refusal(root, tool, "/notes.txt")
    assert reason is not None and "out of the repository" in reason
    assert str(root.parent) not in reason


def test_a_symlinked_folder_out_of_the_root_is_refused(root: Path) -> None:
    (root / "linked").symlink_to(root.parent)
    reason = refusal(root, "read_file", "/linked/outside.txt")
    assert reason is not None and "symbolic link" in reason


@pytest.mark.parametrize("tool", ["read_file", "edit_file"])
def test_a_symlink_onto_a_secret_is_refused(root: Path, tool: str) -> None:
    (root / "config.txt").symlink_to(".env")
    reason = refusal(root, tool, "/config.txt")
    assert reason is not None and "credentials" in reason


def test_a_symlink_inside_to_an_ordinary_file_is_allowed(root: Path) -> None:
    (root / "main.py").symlink_to("src/app.py")
    assert refusal(root, "read_file", "/main.py") is None


@pytest.mark.parametrize("tool", ["read_file", "write_file", "edit_file"])
def test_a_hard_link_is_refused(root: Path, tool: str) -> None:
    (root / "copy.txt").hardlink_to(root.parent / "outside.txt")
    reason = refusal(root, tool, "/copy.txt")
    assert reason is not None and "hard link" in reason


@pytest.mark.parametrize("path", ["/.git/hooks/pre-commit", "/.git/config", "/.git"])
@pytest.mark.parametrize("tool", ["write_file", "edit_file", "delete"])
def test_git_metadata_is_never_written(root: Path, tool: str, path: str) -> None:
    reason = refusal(root, tool, path)
    assert reason is not None and "git's own metadata" in reason


def test_reading_git_metadata_is_left_to_the_path_rules(root: Path) -> None:
    assert refusal(root, "read_file", "/.git/HEAD") is None


def test_delete_refuses_the_root_and_folders_with_tracked_files(root: Path) -> None:
    assert "the whole repository" in (refusal(root, "delete", "/") or "")
    assert "git tracks" in (refusal(root, "delete", "/src") or "")
    assert refusal(root, "delete", "/scratch") is None
    assert refusal(root, "delete", "/src/app.py") is None
