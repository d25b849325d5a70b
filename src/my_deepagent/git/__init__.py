"""Git for runs: the repository and base branch a run starts from, and the run's own
worktree and branch, so agents never write into the user's checkout.

Plain synchronous functions (git subprocesses with timeouts); activities call them
through `asyncio.to_thread` or as sync activities. No Temporal imports here.
"""

from my_deepagent.git.repo import (
    RepoInfo,
    check_base_branch,
    default_base_branch,
    local_branches,
    resolve_repo,
)
from my_deepagent.git.runner import (
    MDA_IDENTITY,
    GitIdentity,
    WorkspaceError,
    git_env,
    run_git,
)
from my_deepagent.git.worktree import (
    MDA_BRANCH_PREFIX,
    Worktree,
    branch_run_id,
    commit_all,
    create_run_worktree,
    remove_run_worktree,
    run_branch_name,
    run_worktree_path,
)

__all__ = [
    "MDA_BRANCH_PREFIX",
    "MDA_IDENTITY",
    "GitIdentity",
    "RepoInfo",
    "WorkspaceError",
    "Worktree",
    "branch_run_id",
    "check_base_branch",
    "commit_all",
    "create_run_worktree",
    "default_base_branch",
    "git_env",
    "local_branches",
    "remove_run_worktree",
    "resolve_repo",
    "run_branch_name",
    "run_git",
    "run_worktree_path",
]
