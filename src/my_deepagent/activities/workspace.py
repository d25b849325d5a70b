"""`prepare_run`: the run's git worktree, created once and picked up again on a retry or
a resumed run (`git.create_run_worktree` is idempotent); a fork's new branch starts at
the parent's commit the workflow names. Bad input (no repository, no
such branch, a branch mda does not own) cannot get better by retrying, so it fails the
activity at once with the one-line message the user reads.

`attach_run_worktree` is what every activity that works in a run's files calls first:
this worker's own worktree of the run (in its data folder, created when this worker
has none yet), its files brought in step with the repository (`git.run_work`). So a
phase may run on any worker, and one taken over from a killed worker sees the files
the agent's last checkpoint saw. A worktree this worker already has is used as it is
when `sync_run_worktree` accepts it (it checks the folder and its branch); only
otherwise is the repository asked for it again, which also repairs or explains it."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.git import (
    WorkspaceError,
    create_run_worktree,
    resolve_repo,
    run_worktree_path,
)
from my_deepagent.git.run_work import sync_run_worktree
from my_deepagent.settings import Settings
from my_deepagent.store.records import RunRecord
from my_deepagent.workflows.run_types import PreparedRun, PrepareRunInput


async def attach_run_worktree(settings: Settings, run: RunRecord) -> Path:
    """This worker's worktree of `run`, its files the run's (see the module docstring)."""

    def attach() -> Path:
        path = run_worktree_path(settings.paths.worktrees_dir, run.id)
        if (path / ".git").is_file():
            with contextlib.suppress(WorkspaceError):
                sync_run_worktree(path, run.id)
                return path
        repo = resolve_repo(run.repo_path)
        worktree = create_run_worktree(repo, run.base_branch, run.id, settings.paths.worktrees_dir)
        sync_run_worktree(worktree.path, run.id)
        return worktree.path

    try:
        return await asyncio.to_thread(attach)
    except WorkspaceError as exc:
        raise ApplicationError(exc.message, type="WorkspaceError", non_retryable=True) from None


class WorkspaceActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="prepare_run")
    async def prepare_run(self, input: PrepareRunInput) -> PreparedRun:
        worktrees_dir = self.deps.settings.paths.worktrees_dir
        try:
            repo = await asyncio.to_thread(resolve_repo, input.repo_path)
            worktree = await asyncio.to_thread(
                partial(create_run_worktree, start=input.start_commit),
                repo,
                input.base_branch,
                input.run_id,
                worktrees_dir,
            )
        except WorkspaceError as exc:
            raise ApplicationError(exc.message, type="WorkspaceError", non_retryable=True) from None
        return PreparedRun(worktree=str(worktree.path), branch=worktree.branch)
