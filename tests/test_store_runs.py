"""Runs: one active run per (repository, base branch), lookup by prefix."""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

import pytest

from my_deepagent.errors import MdaError
from my_deepagent.store.database import Database, connect
from my_deepagent.store.records import RunState
from my_deepagent.store.runs import (
    active_run,
    create_run,
    find_run,
    get_run,
    list_runs,
    set_run_state,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path.resolve()


async def test_a_new_run_is_pending_with_utc_times_and_a_workflow_id(
    db: Database, repo: Path
) -> None:
    run = await create_run(
        db,
        repo_path=repo,
        base_branch="main",
        template_ref="spec-and-review@1",
        requirements="add a flag",
        bindings={"writer": {"persona": "scripted-spec-writer@1", "hash": "ab"}},
    )
    assert len(run.id) == 32 and int(run.id, 16) >= 0
    assert run.workflow_id == f"run-{run.id}"
    assert run.state is RunState.PENDING and run.is_active
    assert run.created_at.tzinfo is UTC and run.updated_at == run.created_at
    assert await get_run(db, run.id) == run


async def test_a_second_active_run_on_the_same_branch_is_refused_in_one_line(
    db: Database, repo: Path
) -> None:
    first = await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    with pytest.raises(MdaError) as caught:
        await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    assert caught.value.message == (
        f"a run is already active on {repo} main: {first.id} (wait for it, "
        f"abort it with `mda abort {first.id}`, or use another --base)"
    )
    assert len(await list_runs(db)) == 1


async def test_the_same_repository_by_another_path_counts_as_the_same(
    db: Database, repo: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(repo)
    await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    with pytest.raises(MdaError, match="already active"):
        await create_run(db, repo_path=link / ".", base_branch="main", template_ref="t@1")


async def test_another_branch_or_a_finished_run_leaves_room(db: Database, repo: Path) -> None:
    first = await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    other = await create_run(db, repo_path=repo, base_branch="develop", template_ref="t@1")
    assert other.is_active
    for state in (RunState.RUNNING, RunState.AWAITING_APPROVAL):
        assert (await set_run_state(db, first.id, state)).state is state
    done = await set_run_state(db, first.id, RunState.COMPLETED)
    assert done.finished_at is not None and not done.is_active
    second = await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    assert (await active_run(db, repo, "main")) == second


async def test_resuming_a_run_while_another_is_active_is_refused(db: Database, repo: Path) -> None:
    failed = await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    await set_run_state(db, failed.id, RunState.FAILED, error="worker lost")
    newer = await create_run(db, repo_path=repo, base_branch="main", template_ref="t@1")
    with pytest.raises(MdaError, match=f"already active on .* main: {newer.id}"):
        await set_run_state(db, failed.id, RunState.RUNNING)
    assert (await get_run(db, failed.id)) is not None
    still = await get_run(db, failed.id)
    assert still is not None and still.state is RunState.FAILED and still.error == "worker lost"
    await set_run_state(db, newer.id, RunState.ABORTED)
    resumed = await set_run_state(db, failed.id, RunState.RUNNING)
    assert resumed.finished_at is None and resumed.error is None


async def test_concurrent_starts_on_one_branch_let_exactly_one_win(
    store_url: str, db: Database, repo: Path
) -> None:
    """Separate engines (as separate processes would have) racing on the same branch."""
    databases = [connect(store_url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(
                create_run(other, repo_path=repo, base_branch="main", template_ref="t@1")
                for other in databases
            ),
            return_exceptions=True,
        )
    finally:
        for other in databases:
            await other.close()
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1
    assert all(isinstance(e, MdaError) and "already active" in str(e) for e in lost), lost


async def test_find_run_by_full_id_workflow_id_or_unique_prefix(db: Database, repo: Path) -> None:
    run = await create_run(
        db, repo_path=repo, base_branch="main", template_ref="t@1", run_id="abcdef" + "0" * 26
    )
    await create_run(
        db, repo_path=repo, base_branch="b", template_ref="t@1", run_id="abcd99" + "1" * 26
    )
    assert await find_run(db, run.id) == run
    assert await find_run(db, run.workflow_id) == run
    assert await find_run(db, "ABCDEF") == run
    assert await find_run(db, run.id[:10]) == run


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("abcd", "run id 'abcd' is too short: give at least 6 characters (see `mda runs list`)"),
        ("abcd12", "run id prefix 'abcd12' is ambiguous: it matches"),
        ("fedcba", "no run 'fedcba' (see `mda runs list`)"),
        ("abcd1%", "no run 'abcd1%' (run ids are hexadecimal; see `mda runs list`)"),
    ],
)
async def test_find_run_names_the_problem_in_one_line(
    db: Database, repo: Path, ref: str, message: str
) -> None:
    for suffix, branch in (("a", "one"), ("b", "two")):
        await create_run(
            db,
            repo_path=repo,
            base_branch=branch,
            template_ref="t@1",
            run_id="abcd12" + suffix * 26,
        )
    with pytest.raises(MdaError) as caught:
        await find_run(db, ref)
    assert caught.value.message.startswith(message)
    assert "\n" not in caught.value.message


async def test_list_runs_newest_first_filtered_by_repository_and_state(
    db: Database, repo: Path, tmp_path: Path
) -> None:
    other_repo = tmp_path / "other"
    other_repo.mkdir()
    old = await create_run(db, repo_path=repo, base_branch="a", template_ref="t@1")
    new = await create_run(db, repo_path=repo, base_branch="b", template_ref="t@1")
    elsewhere = await create_run(db, repo_path=other_repo, base_branch="a", template_ref="t@1")
    await set_run_state(db, old.id, RunState.COMPLETED)
    assert [r.id for r in await list_runs(db)] == [elsewhere.id, new.id, old.id]
    assert [r.id for r in await list_runs(db, repo_path=repo)] == [new.id, old.id]
    assert [r.id for r in await list_runs(db, states=[RunState.COMPLETED])] == [old.id]
