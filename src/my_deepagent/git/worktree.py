"""A run's worktree: a linked git worktree on a branch of mda's own, beside the user's.

The user's checkout is never touched: no checkout, stash or reset runs there. A run
works in `<worktrees_dir>/<run_id>` on the branch `mda/run-<first 8 of the id>`,
created from the base branch's tip (a forked run's: from a commit of its parent's
branch). The branch records its run in the repository's config
(`branch.<name>.mdaRunId`; `git branch -D` removes it with the branch), which is what
makes a branch "created by mda" and therefore safe for mda to reset or delete.

Creating is idempotent, for retried activities and resumed runs: a registered worktree
on the run's branch is reused; if its folder was deleted, the branch is checked out
again into a new folder (keeping the agent's commits). A failed creation removes
whatever it created (folder, registration, branch).

Every worker keeps its own worktree of a run, in its own data folder, all on the
run's branch (git allows that with `--force`; a worktree folder named for the run
is another worker's, any other checkout of the branch is the user's and is refused).
`run_work` keeps their files in step through the repository. A registration whose
folder is gone is dropped only when it is this worker's own path or the user's: on a
shared volume another machine's path may not exist here and still be in use.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.git.repo import RepoInfo, branch_exists, check_base_branch, check_commit
from my_deepagent.git.runner import (
    LONG_TIMEOUT_S,
    MDA_IDENTITY,
    GitIdentity,
    WorkspaceError,
    run_git,
)
from my_deepagent.secret_scan import find_key_shape

MDA_BRANCH_PREFIX = "mda/"
MAX_SCANNED_BYTES = 2_000_000
_RUN_CONFIG_KEY = "mdaRunId"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SHORT_ID_LENGTH = 8
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class Worktree:
    """Where a run works. `reused` is True when an existing worktree was picked up."""

    run_id: str
    path: Path
    branch: str
    base: str
    repo_root: Path
    head: str
    reused: bool


@dataclass(frozen=True)
class RegisteredWorktree:
    """One entry of `git worktree list`; `branch` is None when detached."""

    path: Path
    branch: str | None


def run_branch_name(run_id: str) -> str:
    """`mda/run-<first 8 characters of the id>`, without a leading `run-`."""
    _check_run_id(run_id)
    short = _NOT_ALNUM.sub("", run_id.removeprefix("run-")) or _NOT_ALNUM.sub("", run_id)
    return f"{MDA_BRANCH_PREFIX}run-{short[:_SHORT_ID_LENGTH]}"


def run_worktree_path(worktrees_dir: Path, run_id: str) -> Path:
    _check_run_id(run_id)
    return worktrees_dir.expanduser().resolve() / run_id


def branch_run_id(repo: RepoInfo, branch: str) -> str | None:
    """The run that created `branch`, or None if mda did not create it."""
    if not branch.startswith(MDA_BRANCH_PREFIX):
        return None
    found = run_git(
        ["config", "--local", "--get", f"branch.{branch}.{_RUN_CONFIG_KEY}"],
        cwd=repo.root,
        check=False,
    )
    if found.returncode != 0:
        return None
    return found.stdout.strip() or None


def list_worktrees(repo: RepoInfo) -> list[RegisteredWorktree]:
    listing = run_git(["worktree", "list", "--porcelain"], cwd=repo.root).stdout
    entries: list[RegisteredWorktree] = []
    for record in listing.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in record.splitlines() if line)
        if "worktree" in fields:
            branch = fields.get("branch")
            entries.append(
                RegisteredWorktree(
                    path=Path(fields["worktree"]).resolve(),
                    branch=branch.removeprefix("refs/heads/") if branch else None,
                )
            )
    return entries


def create_run_worktree(
    repo: RepoInfo, base: str, run_id: str, worktrees_dir: Path, *, start: str | None = None
) -> Worktree:
    """The run's worktree, created from `base` or picked up again (see module docstring).

    A new branch starts at `start` when given (a fork's: a commit of its parent run's
    branch), else at the tip of `base`; an existing branch is checked out as it is."""
    branch = run_branch_name(run_id)
    path = run_worktree_path(worktrees_dir, run_id)
    registered = list_worktrees(repo)
    mine = next((entry for entry in registered if entry.path == path), None)
    if mine is not None and path.is_dir():
        if mine.branch != branch:
            raise WorkspaceError(
                f"worktree {path} is on {mine.branch or 'a detached HEAD'}, not {branch} "
                f"(remove it: git worktree remove --force {path})"
            )
        return _worktree(repo, run_id, path, branch, base, reused=True)
    shared = False
    for entry in registered:
        if entry.path == path and not path.is_dir():
            _forget_registration(repo, entry.path)
        elif entry.branch != branch:
            continue
        elif entry.path.name == run_id:
            shared = True  # another worker's worktree of this run (see `run_work`)
        elif not entry.path.is_dir():
            _forget_registration(repo, entry.path)
        else:
            raise WorkspaceError(
                f"branch {branch} is checked out at {entry.path} "
                "(switch that checkout to another branch, then retry)"
            )
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise WorkspaceError(
            f"{path} exists but is not a worktree of {repo.root} (delete it, then retry)"
        )
    if branch_exists(repo, branch):
        owner = branch_run_id(repo, branch)
        if owner != run_id:
            raise WorkspaceError(
                f"branch {branch} already exists and belongs to "
                f"{'run ' + owner if owner else 'no mda run'} (delete or rename it, then retry)"
            )
        force = ["--force"] if shared else []
        add_args = [*force, str(path), branch]
        _add_worktree(repo, path, add_args, created_branch=None, run_id=run_id)
    else:
        tip = check_commit(repo, start) if start else check_base_branch(repo, base)
        add_args = ["--no-track", "-b", branch, str(path), tip]
        _add_worktree(repo, path, add_args, created_branch=branch, run_id=run_id)
    return _worktree(repo, run_id, path, branch, base, reused=False)


def remove_run_worktree(
    repo: RepoInfo, run_id: str, worktrees_dir: Path, *, delete_branch: bool = False
) -> None:
    """Remove the run's worktree folder (discarding uncommitted changes in it).

    The branch stays unless `delete_branch`, and only a branch this run created is
    ever deleted. Removing what is already gone is not an error.
    """
    path = run_worktree_path(worktrees_dir, run_id)
    if any(entry.path == path for entry in list_worktrees(repo)):
        _forget_registration(repo, path)
    if path.exists():
        shutil.rmtree(path)
    branch = run_branch_name(run_id)
    if delete_branch and branch_run_id(repo, branch) == run_id:
        run_git(["branch", "-D", branch], cwd=repo.root)


def commit_all(worktree: Path, message: str, *, identity: GitIdentity = MDA_IDENTITY) -> str | None:
    """Stage everything in `worktree` (what .gitignore allows) and commit it as
    `identity`; the new commit's sha, or None when nothing changed.

    Refuses any folder that is not the top of a worktree on an mda branch, so a wrong
    path can never commit into the user's checkout.
    """
    if not message.strip():
        raise ValueError("commit message must not be empty")
    check_is_run_worktree(worktree)
    run_git(["add", "-A"], cwd=worktree, timeout_s=LONG_TIMEOUT_S)
    staged = run_git(["diff", "--cached", "--quiet"], cwd=worktree, check=False)
    if staged.returncode == 0:
        return None
    _refuse_staged_keys(worktree)
    run_git(
        ["-c", "commit.gpgsign=false", "commit", "--no-verify", "-q", "-m", message],
        cwd=worktree,
        extra_env=identity.env(),
        timeout_s=LONG_TIMEOUT_S,
    )
    return _head(worktree)


def _refuse_staged_keys(worktree: Path) -> None:
    """Unstage everything and raise when a staged file holds something key-shaped:
    a run's branch lands in the user's repository, and from there in pushes."""
    listed = run_git(["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT"], cwd=worktree)
    for name in filter(None, listed.stdout.split("\0")):
        path = worktree / name
        try:
            if path.is_symlink() or path.stat().st_size > MAX_SCANNED_BYTES:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        found = find_key_shape(text)
        if found is not None:
            run_git(["reset", "-q"], cwd=worktree)
            raise WorkspaceError(
                f"{name} (line {found.line}) holds something shaped like {found.kind}: mda "
                "does not commit credentials (remove it from the file, then retry)"
            )


def _add_worktree(
    repo: RepoInfo, path: Path, add_args: list[str], *, created_branch: str | None, run_id: str
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        run_git(["worktree", "add", "-q", *add_args], cwd=repo.root, timeout_s=LONG_TIMEOUT_S)
        if created_branch is not None:
            key = f"branch.{created_branch}.{_RUN_CONFIG_KEY}"
            run_git(["config", "--local", key, run_id], cwd=repo.root)
    except BaseException:
        _undo_add(repo, path, created_branch)
        raise


def _undo_add(repo: RepoInfo, path: Path, created_branch: str | None) -> None:
    """Remove what a failed `_add_worktree` left: registration, folder, new branch."""
    if any(entry.path == path for entry in list_worktrees(repo)):
        _forget_registration(repo, path)
    if path.exists():
        shutil.rmtree(path)
    if created_branch is not None and branch_exists(repo, created_branch):
        run_git(["branch", "-D", created_branch], cwd=repo.root)


def _forget_registration(repo: RepoInfo, path: Path) -> None:
    """Drop one worktree registration (and its folder), leaving the user's others alone.

    `git worktree remove` also handles a registration whose folder is gone; old git
    versions refuse that, so `prune` is the fallback.
    """
    removed = run_git(["worktree", "remove", "--force", str(path)], cwd=repo.root, check=False)
    if removed.returncode != 0:
        run_git(["worktree", "prune"], cwd=repo.root)


def check_is_run_worktree(worktree: Path) -> None:
    top = run_git(["rev-parse", "--show-toplevel"], cwd=worktree, check=False)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != worktree.resolve():
        raise WorkspaceError(f"{worktree} is not a run worktree (commit refused)")
    head = run_git(["symbolic-ref", "-q", "--short", "HEAD"], cwd=worktree, check=False)
    branch = head.stdout.strip()
    if head.returncode != 0 or not branch.startswith(MDA_BRANCH_PREFIX):
        raise WorkspaceError(
            f"{worktree} is on {branch or 'a detached HEAD'}, not an mda branch (commit refused)"
        )


def _worktree(
    repo: RepoInfo, run_id: str, path: Path, branch: str, base: str, *, reused: bool
) -> Worktree:
    return Worktree(
        run_id=run_id,
        path=path,
        branch=branch,
        base=base,
        repo_root=repo.root,
        head=_head(path),
        reused=reused,
    )


def head_commit(worktree: Path) -> str:
    """The commit checked out in `worktree`."""
    return run_git(["rev-parse", "HEAD"], cwd=worktree).stdout.strip()


_head = head_commit


def _check_run_id(run_id: str) -> None:
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} cannot name a folder or branch")
