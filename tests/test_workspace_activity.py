"""`prepare_run` on a real repository: the same worktree on every retry, and bad input
as a non-retryable failure carrying the one-line message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from my_deepagent.activities.deps import ActivityDeps, open_deps
from my_deepagent.activities.workspace import WorkspaceActivities
from my_deepagent.examples import prepare_example_repo
from my_deepagent.settings import get_settings
from my_deepagent.workflows.run_types import PreparedRun, PrepareRunInput

RUN_ID = "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"


@pytest.fixture
async def deps(
    mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ActivityDeps]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    async with open_deps(get_settings()) as deps:
        yield deps


async def prepare(deps: ActivityDeps, repo: Path, base: str = "main") -> PreparedRun:
    result: PreparedRun = await ActivityEnvironment().run(
        WorkspaceActivities(deps).prepare_run,
        PrepareRunInput(run_id=RUN_ID, repo_path=str(repo), base_branch=base),
    )
    return result


async def test_a_retry_gets_the_same_worktree(deps: ActivityDeps, tmp_path: Path) -> None:
    repo = prepare_example_repo(tmp_path / "repo")
    first = await prepare(deps, repo)
    (Path(first.worktree) / "draft.txt").write_text("work in progress\n")
    again = await prepare(deps, repo)
    assert again == first
    assert Path(first.worktree).parent == deps.settings.paths.worktrees_dir.resolve()
    assert first.branch == "mda/run-3c4d5e6f"
    assert (Path(again.worktree) / "draft.txt").read_text() == "work in progress\n"


async def test_bad_input_fails_at_once_with_one_line(deps: ActivityDeps, tmp_path: Path) -> None:
    repo = prepare_example_repo(tmp_path / "repo")
    with pytest.raises(ApplicationError) as failure:
        await prepare(deps, repo, base="no-such-branch")
    assert failure.value.non_retryable
    assert "branch 'no-such-branch' not found" in failure.value.message
    assert "\n" not in failure.value.message
    assert not deps.settings.paths.worktrees_dir.joinpath(RUN_ID).exists()
