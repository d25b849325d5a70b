"""The run's git workspace, on real repositories: the user's checkout stays byte for byte
as it was, the run's branch gets the commits, resume picks the worktree up again, and bad
input is one line that leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from my_deepagent.errors import MdaError
from my_deepagent.examples import EXAMPLE_IDENTITY, prepare_example_repo
from my_deepagent.git import (
    GitIdentity,
    RepoInfo,
    WorkspaceError,
    branch_run_id,
    check_base_branch,
    commit_all,
    create_run_worktree,
    default_base_branch,
    git_env,
    remove_run_worktree,
    resolve_repo,
    run_branch_name,
    run_git,
)
from my_deepagent.settings import get_settings

RUN_ID = "run-1b4e28ba-2fa1-4c3d-9e5f-000000000001"
OTHER_RUN_ID = "run-7c0ffee0-2fa1-4c3d-9e5f-000000000002"


@pytest.fixture
def worktrees_dir(mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """mda's worktrees folder, with git isolated from this machine's identity and config."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    return get_settings().paths.worktrees_dir


@pytest.fixture
def user_repo(worktrees_dir: Path, tmp_path: Path) -> Path:
    """The user's checkout, on `main`, with a staged change, an unstaged change and an
    untracked file, as a developer's checkout often is."""
    repo = prepare_example_repo(tmp_path / "user-repo")
    (repo / "todo" / "store.py").write_text("# staged edit\n", encoding="utf-8")
    git(repo, "add", "todo/store.py")
    (repo / "README.md").write_text("unstaged edit\n", encoding="utf-8")
    (repo / "notes.txt").write_text("untracked\n", encoding="utf-8")
    return repo


USER = GitIdentity(name="A User", email="user@example.com")


def git(cwd: Path, *args: str) -> str:
    """git as the user runs it (status without refreshing the index)."""
    env = {**USER.env(), "GIT_OPTIONAL_LOCKS": "0"}
    return run_git(list(args), cwd=cwd, extra_env=env).stdout.strip()


def checkout_snapshot(repo: Path) -> dict[str, bytes]:
    """Everything of the user's checkout that mda must not change."""
    files = {
        str(path.relative_to(repo)): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    git_dir = repo / ".git"
    files |= {f".git/{name}": (git_dir / name).read_bytes() for name in ("HEAD", "index")}
    files["refs/heads/main"] = git(repo, "rev-parse", "refs/heads/main").encode()
    files["status"] = git(repo, "status", "--porcelain=v1", "-uall").encode()
    return files


def mda_branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/mda/").split()


def assert_nothing_created(repo: Path, worktrees_dir: Path) -> None:
    assert not worktrees_dir.exists() or not any(worktrees_dir.iterdir())
    assert mda_branches(repo) == []
    assert len(git(repo, "worktree", "list", "--porcelain").split("\n\n")) == 1


def test_run_works_on_its_own_branch_and_never_touches_the_user_checkout(
    user_repo: Path, worktrees_dir: Path
) -> None:
    before = checkout_snapshot(user_repo)
    repo = resolve_repo(user_repo)
    base = default_base_branch(repo)
    base_tip = check_base_branch(repo, base)

    worktree = create_run_worktree(repo, base, RUN_ID, worktrees_dir)

    assert (base, worktree.branch, worktree.reused) == ("main", "mda/run-1b4e28ba", False)
    assert worktree.path == worktrees_dir.resolve() / RUN_ID
    assert worktree.head == base_tip
    assert branch_run_id(repo, worktree.branch) == RUN_ID
    assert (worktree.path / "todo" / "store.py").read_text() != "# staged edit\n"
    (worktree.path / "SPEC.json").write_text('{"title": "due dates"}\n', encoding="utf-8")
    (worktree.path / "README.md").write_text("agent edit\n", encoding="utf-8")
    (worktree.path / "todo" / "__pycache__").mkdir()
    (worktree.path / "todo" / "__pycache__" / "store.pyc").write_bytes(b"\0ignored")

    sha = commit_all(worktree.path, "spec: due dates")

    assert sha is not None
    assert git(user_repo, "rev-parse", worktree.branch) == sha
    assert git(user_repo, "rev-parse", f"{sha}^") == base_tip
    assert git(user_repo, "log", "-1", "--format=%an <%ae>|%cn|%s", sha) == (
        "mda <mda@localhost>|mda|spec: due dates"
    )
    committed = git(user_repo, "diff", "--name-only", base_tip, sha).split()
    assert committed == ["README.md", "SPEC.json"]
    assert commit_all(worktree.path, "nothing new") is None
    assert checkout_snapshot(user_repo) == before


def test_commit_all_refuses_a_folder_that_is_not_a_run_worktree(
    user_repo: Path, worktrees_dir: Path
) -> None:
    before = checkout_snapshot(user_repo)
    with pytest.raises(WorkspaceError, match="not an mda branch"):
        commit_all(user_repo, "must not land on main")
    with pytest.raises(WorkspaceError, match="not a run worktree"):
        commit_all(user_repo / "todo", "must not land on main")
    assert checkout_snapshot(user_repo) == before


def test_commit_all_refuses_a_key_shaped_string_and_unstages(
    user_repo: Path, worktrees_dir: Path
) -> None:
    """A run's branch lands in the user's repository, and from there in pushes."""
    repo = resolve_repo(user_repo)
    worktree = create_run_worktree(repo, "main", RUN_ID, worktrees_dir)
    tip = git(user_repo, "rev-parse", worktree.branch)
    key = "sk-" + "proj-" + "Q" * 40
    (worktree.path / "SPEC.json").write_text('{"title": "ok"}\n', encoding="utf-8")
    (worktree.path / "config.py").write_text(f"x = 1\nOPENAI = '{key}'\n", encoding="utf-8")

    with pytest.raises(WorkspaceError, match=r"^config\.py \(line 2\) holds something shaped"):
        commit_all(worktree.path, "spec")

    assert git(user_repo, "rev-parse", worktree.branch) == tip
    assert git(worktree.path, "diff", "--cached", "--name-only") == ""
    (worktree.path / "config.py").write_text("x = 1\nOPENAI = os.environ['KEY']\n")
    assert commit_all(worktree.path, "spec") is not None


def test_resume_reuses_the_worktree_with_its_uncommitted_files(
    user_repo: Path, worktrees_dir: Path
) -> None:
    repo = resolve_repo(user_repo)
    first = create_run_worktree(repo, "main", RUN_ID, worktrees_dir)
    (first.path / "draft.md").write_text("half written\n", encoding="utf-8")

    again = create_run_worktree(repo, "main", RUN_ID, worktrees_dir)

    assert again.reused
    assert (again.path, again.branch, again.head) == (first.path, first.branch, first.head)
    assert (again.path / "draft.md").read_text() == "half written\n"


def test_resume_recreates_a_deleted_worktree_from_the_run_branch(
    user_repo: Path, worktrees_dir: Path
) -> None:
    repo = resolve_repo(user_repo)
    first = create_run_worktree(repo, "main", RUN_ID, worktrees_dir)
    (first.path / "SPEC.json").write_text("{}\n", encoding="utf-8")
    sha = commit_all(first.path, "spec")
    shutil.rmtree(first.path)
    git(user_repo, "commit", "-q", "-m", "user moves main on")  # the staged edit

    again = create_run_worktree(repo, "main", RUN_ID, worktrees_dir)

    assert not again.reused
    assert (again.path, again.branch, again.head) == (first.path, first.branch, sha)
    assert (again.path / "SPEC.json").read_text() == "{}\n"
    assert git(again.path, "status", "--porcelain") == ""


def test_two_runs_get_separate_worktrees_and_removal_keeps_the_branch(
    user_repo: Path, worktrees_dir: Path
) -> None:
    repo = resolve_repo(user_repo)
    first = create_run_worktree(repo, "main", RUN_ID, worktrees_dir)
    second = create_run_worktree(repo, "main", OTHER_RUN_ID, worktrees_dir)
    assert first.path != second.path
    assert mda_branches(user_repo) == ["mda/run-1b4e28ba", "mda/run-7c0ffee0"]

    remove_run_worktree(repo, RUN_ID, worktrees_dir)
    remove_run_worktree(repo, RUN_ID, worktrees_dir)
    assert not first.path.exists()
    assert mda_branches(user_repo) == ["mda/run-1b4e28ba", "mda/run-7c0ffee0"]

    remove_run_worktree(repo, OTHER_RUN_ID, worktrees_dir, delete_branch=True)
    assert mda_branches(user_repo) == ["mda/run-1b4e28ba"]
    assert list(worktrees_dir.iterdir()) == []


def test_a_subdirectory_resolves_to_the_top_level(user_repo: Path) -> None:
    repo = resolve_repo(user_repo / "todo")
    assert repo == RepoInfo(root=user_repo.resolve(), common_dir=user_repo.resolve() / ".git")


def test_git_variables_of_a_calling_hook_do_not_redirect_mda(
    user_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = prepare_example_repo(tmp_path / "other")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    repo = resolve_repo(user_repo)
    assert repo == RepoInfo(root=user_repo.resolve(), common_dir=user_repo.resolve() / ".git")


def test_the_users_hooks_never_run(user_repo: Path, worktrees_dir: Path, tmp_path: Path) -> None:
    ran = tmp_path / "hooks-ran"
    for hook in ("post-checkout", "pre-commit", "commit-msg", "post-commit"):
        script = user_repo / ".git" / "hooks" / hook
        script.write_text(f"#!/bin/sh\necho {hook} >> {ran}\nexit 1\n", encoding="utf-8")
        script.chmod(0o755)
    worktree = create_run_worktree(resolve_repo(user_repo), "main", RUN_ID, worktrees_dir)
    (worktree.path / "SPEC.json").write_text("{}\n", encoding="utf-8")
    assert commit_all(worktree.path, "spec") is not None
    assert not ran.exists()


def one_line_error(error: pytest.ExceptionInfo[MdaError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert error.value.exit_code == 2
    return message


def test_bad_repositories_are_one_line_errors(tmp_path: Path, worktrees_dir: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(WorkspaceError) as error:
        resolve_repo(plain)
    assert one_line_error(error) == (
        f"{plain} is not a git repository (run `git init` there or pass --repo)"
    )
    with pytest.raises(WorkspaceError) as error:
        resolve_repo(tmp_path / "missing")
    assert "does not exist" in one_line_error(error)
    run_git(["init", "-q", "--bare", "bare.git"], cwd=tmp_path)
    with pytest.raises(WorkspaceError) as error:
        resolve_repo(tmp_path / "bare.git")
    assert "is a bare repository" in one_line_error(error)
    assert not worktrees_dir.exists()


def test_a_repository_without_commits_is_refused(tmp_path: Path, worktrees_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run_git(["init", "-q"], cwd=empty)
    repo = resolve_repo(empty)
    base = default_base_branch(repo)
    with pytest.raises(WorkspaceError) as error:
        create_run_worktree(repo, base, RUN_ID, worktrees_dir)
    assert "has no commits yet" in one_line_error(error)
    assert_nothing_created(empty, worktrees_dir)


def test_missing_base_branch_lists_existing_ones_and_creates_nothing(
    user_repo: Path, worktrees_dir: Path
) -> None:
    repo = resolve_repo(user_repo)
    git(user_repo, "branch", "develop")
    with pytest.raises(WorkspaceError) as error:
        create_run_worktree(repo, "mian", RUN_ID, worktrees_dir)
    message = one_line_error(error)
    assert message.startswith("branch 'mian' not found in ")
    assert message.endswith("(existing: develop, main; pass --base <branch>)")
    with pytest.raises(WorkspaceError, match="not a valid branch name"):
        create_run_worktree(repo, "bad..name", RUN_ID, worktrees_dir)
    assert_nothing_created(user_repo, worktrees_dir)


def test_detached_head_needs_an_explicit_base(user_repo: Path, worktrees_dir: Path) -> None:
    git(user_repo, "checkout", "-q", "--detach")
    with pytest.raises(WorkspaceError) as error:
        default_base_branch(resolve_repo(user_repo))
    assert "is detached (check out a branch there or pass --base <branch>)" in (
        one_line_error(error)
    )
    assert_nothing_created(user_repo, worktrees_dir)


def test_a_branch_mda_did_not_create_is_never_taken_over(
    user_repo: Path, worktrees_dir: Path
) -> None:
    repo = resolve_repo(user_repo)
    git(user_repo, "branch", run_branch_name(RUN_ID))
    with pytest.raises(WorkspaceError, match="belongs to no mda run"):
        create_run_worktree(repo, "main", RUN_ID, worktrees_dir)
    assert not (worktrees_dir / RUN_ID).exists()
    assert branch_run_id(repo, run_branch_name(RUN_ID)) is None


def test_a_failed_checkout_leaves_no_folder_branch_or_registration(
    user_repo: Path, worktrees_dir: Path
) -> None:
    (user_repo / "data.txt").write_text("payload that goes missing\n", encoding="utf-8")
    git(user_repo, "add", "data.txt")
    git(user_repo, "commit", "-q", "-m", "data")
    blob = git(user_repo, "rev-parse", "HEAD:data.txt")
    (user_repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = resolve_repo(user_repo)

    with pytest.raises(WorkspaceError) as error:
        create_run_worktree(repo, "main", RUN_ID, worktrees_dir)

    assert "\n" not in str(error.value)
    assert_nothing_created(user_repo, worktrees_dir)
    assert branch_run_id(repo, run_branch_name(RUN_ID)) is None


def test_git_never_sees_api_keys_or_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDA_OPENAI_API_KEY", "sk-mda")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or")
    env = git_env()
    assert "MDA_OPENAI_API_KEY" not in env
    assert "OPENROUTER_API_KEY" not in env
    assert env["GIT_TERMINAL_PROMPT"] == "0"


def test_a_git_command_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    slow = f"alias.slow=!sleep 60 & echo $! > {pid_file}; wait"
    with pytest.raises(WorkspaceError) as error:
        run_git(["-c", slow, "slow"], cwd=tmp_path, timeout_s=0.5)
    assert error.value.exit_code == 1
    assert "did not finish within 0.5 s" in str(error.value)
    child = int(pid_file.read_text())
    for _ in range(1000):
        if not running(child):
            break
        time.sleep(0.01)
    assert not running(child)


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap the orphan)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"


def test_run_branch_names() -> None:
    assert run_branch_name(RUN_ID) == "mda/run-1b4e28ba"
    assert run_branch_name("nightly.2") == "mda/run-nightly2"
    with pytest.raises(ValueError):
        run_branch_name("../escape")


def test_example_repo_is_committed_on_main_and_its_tests_pass(
    tmp_path: Path, worktrees_dir: Path
) -> None:
    repo = prepare_example_repo(tmp_path / "todo-app")
    twin = prepare_example_repo(tmp_path / "twin")

    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(repo, "log", "--format=%an <%ae>") == (
        f"{EXAMPLE_IDENTITY.name} <{EXAMPLE_IDENTITY.email}>"
    )
    assert git(repo, "rev-parse", "HEAD") == git(twin, "rev-parse", "HEAD")
    assert {"README.md", "todo/store.py", "tests/test_store.py"} <= set(
        git(repo, "ls-files").split()
    )
    assert git(repo, "status", "--porcelain") == ""
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        },
        timeout=120,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout


def test_example_refuses_a_folder_with_files(tmp_path: Path, worktrees_dir: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(MdaError, match="is not an empty folder"):
        prepare_example_repo(tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["keep.txt"]
