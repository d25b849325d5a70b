"""Which repository and which base branch a run works on, checked before anything is
created, so bad input is one line and leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from my_deepagent.catalogue import msg
from my_deepagent.git.runner import WorkspaceError, git_message, run_git

_BRANCHES_SHOWN = 5


@dataclass(frozen=True)
class RepoInfo:
    """A repository with a working tree.

    `root` is the realpath of the top level of the working tree that was given (the
    user's checkout, or one of its linked worktrees); `common_dir` is the shared
    `.git` directory, the same for every worktree of one repository.
    """

    root: Path
    common_dir: Path


def resolve_repo(path: Path | str) -> RepoInfo:
    """The repository containing `path` (any folder inside it resolves to its top level)."""
    given = Path(path).expanduser()
    if not given.exists():
        raise WorkspaceError(msg("workspace.repo_missing", path=given))
    if not given.is_dir():
        raise WorkspaceError(msg("workspace.repo_not_directory", path=given))
    probe = run_git(
        ["rev-parse", "--is-bare-repository", "--is-inside-git-dir", "--git-common-dir"],
        cwd=given,
        check=False,
    )
    if probe.returncode != 0:
        raise _not_a_repository(given, probe.stderr)
    is_bare, inside_git_dir, common_dir = probe.stdout.splitlines()[:3]
    if is_bare == "true":
        raise WorkspaceError(msg("workspace.repo_bare", path=given))
    if inside_git_dir == "true":
        raise WorkspaceError(msg("workspace.repo_inside_git_dir", path=given))
    top = run_git(["rev-parse", "--show-toplevel"], cwd=given).stdout.strip()
    return RepoInfo(root=Path(top).resolve(), common_dir=(given / common_dir).resolve())


def default_base_branch(repo: RepoInfo) -> str:
    """The branch checked out at `repo.root`: the base a run starts from by default."""
    head = run_git(["symbolic-ref", "-q", "--short", "HEAD"], cwd=repo.root, check=False)
    if head.returncode != 0:
        raise WorkspaceError(msg("workspace.head_detached", root=repo.root))
    return head.stdout.strip()


def check_base_branch(repo: RepoInfo, base: str) -> str:
    """The commit at the tip of the local branch `base`, or a one-line error."""
    ref = f"refs/heads/{base}"
    if not base or run_git(["check-ref-format", ref], cwd=repo.root, check=False).returncode:
        raise WorkspaceError(msg("workspace.bad_branch_name", base=repr(base)))
    tip = run_git(["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], cwd=repo.root, check=False)
    if tip.returncode == 0:
        return tip.stdout.strip()
    branches = local_branches(repo)
    if not branches:
        raise WorkspaceError(msg("workspace.no_commits", root=repo.root))
    if branch_exists(repo, base, namespace="refs/remotes"):
        raise WorkspaceError(
            msg(
                "workspace.remote_branch",
                base=repr(base),
                local=base.split("/", 1)[-1],
                remote=base,
            )
        )
    shown = ", ".join(branches[:_BRANCHES_SHOWN]) + (
        ", ..." if len(branches) > _BRANCHES_SHOWN else ""
    )
    raise WorkspaceError(
        msg("workspace.branch_not_found", base=repr(base), root=repo.root, existing=shown)
    )


def check_commit(repo: RepoInfo, commit: str) -> str:
    """The full sha of `commit` (a sha a run recorded), or a one-line error when the
    repository no longer has it."""
    missing = WorkspaceError(msg("runs.fork_commit_missing", commit=commit[:12], root=repo.root))
    if not commit or commit.startswith("-"):
        raise missing
    found = run_git(
        ["rev-parse", "--verify", "-q", f"{commit}^{{commit}}"], cwd=repo.root, check=False
    )
    if found.returncode != 0:
        raise missing
    return found.stdout.strip()


def local_branches(repo: RepoInfo) -> list[str]:
    listing = run_git(
        ["for-each-ref", "--format=%(refname:short)", "--sort=-committerdate", "refs/heads/"],
        cwd=repo.root,
    )
    return listing.stdout.split()


def branch_exists(repo: RepoInfo, branch: str, *, namespace: str = "refs/heads") -> bool:
    found = run_git(
        ["rev-parse", "--verify", "-q", f"{namespace}/{branch}"], cwd=repo.root, check=False
    )
    return found.returncode == 0


def _not_a_repository(given: Path, stderr: str) -> WorkspaceError:
    message = git_message(stderr)
    if "not a git repository" in message:
        return WorkspaceError(msg("workspace.not_a_repository", path=given))
    if "dubious ownership" in message:
        return WorkspaceError(
            msg("workspace.dubious_ownership", path=given, resolved=given.resolve())
        )
    return WorkspaceError(msg("workspace.git_cannot_read", path=given, message=message))
