"""`prepare_run`: the run's git worktree, created once and picked up again on a retry or
a resumed run (`git.create_run_worktree` is idempotent). Bad input (no repository, no
such branch, a branch mda does not own) cannot get better by retrying, so it fails the
activity at once with the one-line message the user reads."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.exceptions import ApplicationError

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.git import WorkspaceError, create_run_worktree, resolve_repo
from my_deepagent.workflows.run_types import PreparedRun, PrepareRunInput


class WorkspaceActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="prepare_run")
    async def prepare_run(self, input: PrepareRunInput) -> PreparedRun:
        worktrees_dir = self.deps.settings.paths.worktrees_dir
        try:
            repo = await asyncio.to_thread(resolve_repo, input.repo_path)
            worktree = await asyncio.to_thread(
                create_run_worktree, repo, input.base_branch, input.run_id, worktrees_dir
            )
        except WorkspaceError as exc:
            raise ApplicationError(exc.message, type="WorkspaceError", non_retryable=True) from None
        return PreparedRun(worktree=str(worktree.path), branch=worktree.branch)
