"""A run's unfinished work, shared through the repository so any worker can go on
with a phase.

Each worker keeps its own worktree of a run (in its own data folder). The truth is
in the repository: the run's branch holds every accepted phase, and the hidden ref
`refs/mda/runs/<run>/work` holds the files of the phase in progress, recorded after
every tool call that may have changed them (`agents/work_recorder.py`). The
record's parent is the branch tip it was taken on: a record on an older tip is out
of date (the phase it belonged to was committed since) and is ignored.

Before it works in its worktree, an activity calls `sync_run_worktree`: when the
files there are not the ones the repository says the run has (the work record, else
the branch tip), they are made so. On the worker that did the work this finds
nothing to do; on another one (a killed worker's phase taken over, or the next phase
scheduled elsewhere) it brings exactly the files the agent's last checkpoint saw.

A run's worktree is mda's: a change made there by hand, outside the agent's tools,
is replaced by the recorded files at the next activity (change the branch instead).
Records are built in a temporary index (the worktree's own index is only read, for
its stat cache), like the session snapshots. Files git ignores are not recorded.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.git.runner import LONG_TIMEOUT_S, MDA_IDENTITY, run_git
from my_deepagent.git.snapshot import seed_index
from my_deepagent.git.worktree import check_is_run_worktree

WORK_NAMESPACE = "refs/mda/runs"


def work_ref(run_id: str) -> str:
    return f"{WORK_NAMESPACE}/{run_id}/work"


@dataclass(frozen=True)
class _State:
    """What one look at the worktree and the repository says."""

    head: str
    head_tree: str
    index_lock: Path
    record: str | None
    """The work record's commit, when there is one."""
    record_tree: str | None
    record_parent: str | None


def record_run_work(worktree: Path, run_id: str) -> str | None:
    """Record the worktree's files on the run's work ref; the new record's sha, or None
    when the ref already holds them (or they are the branch tip's, and it is cleared)."""
    check_is_run_worktree(worktree)
    state = _look(worktree, run_id)
    tree = _files_tree(worktree)
    ref = work_ref(run_id)
    if state.record is not None and (state.record_parent, state.record_tree) == (
        state.head,
        tree,
    ):
        return None
    if tree == state.head_tree:
        if state.record is not None:
            run_git(["update-ref", "-d", ref, state.record], cwd=worktree)
        return None
    commit = run_git(
        ["commit-tree", tree, "-p", state.head, "-m", f"mda: work in progress on {run_id}"],
        cwd=worktree,
        extra_env=MDA_IDENTITY.env(),
    ).stdout.strip()
    run_git(["update-ref", ref, commit, state.record or ""], cwd=worktree)
    return commit


def sync_run_worktree(worktree: Path, run_id: str) -> bool:
    """Make the worktree's files the run's (see the module docstring); True when files
    had to change. The index ends at the branch tip, the work as unstaged changes.

    A leftover `index.lock` is removed first: it is from a git command of the agent's
    that died with an earlier attempt (nothing else works in a run's worktree while an
    activity is starting there), and git would refuse every later command."""
    check_is_run_worktree(worktree)
    state = _look(worktree, run_id)
    on_tip = state.record is not None and state.record_parent == state.head
    want = state.record_tree if on_tip and state.record_tree else state.head_tree
    state.index_lock.unlink(missing_ok=True)
    if _files_tree(worktree) == want:
        return False
    run_git(["read-tree", "-u", "--reset", want], cwd=worktree, timeout_s=LONG_TIMEOUT_S)
    run_git(["clean", "-f", "-d", "-q"], cwd=worktree, timeout_s=LONG_TIMEOUT_S)
    run_git(["reset", "-q"], cwd=worktree, timeout_s=LONG_TIMEOUT_S)
    return True


def clear_run_work(worktree: Path, run_id: str) -> None:
    """Drop the work record (the phase's files are committed on the branch now)."""
    run_git(["update-ref", "-d", work_ref(run_id)], cwd=worktree, check=False)


def _files_tree(worktree: Path) -> str:
    """The tree of the files in `worktree` (tracked and untracked, not ignored)."""
    with tempfile.TemporaryDirectory(prefix="mda-run-work-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        seed_index(worktree, Path(env["GIT_INDEX_FILE"]))
        run_git(["add", "-A"], cwd=worktree, extra_env=env, timeout_s=LONG_TIMEOUT_S)
        return run_git(["write-tree"], cwd=worktree, extra_env=env).stdout.strip()


def _look(worktree: Path, run_id: str) -> _State:
    """The branch tip, its tree, the index lock's path and the work record: two git
    calls (activities call this before every phase step)."""
    tip = run_git(
        ["rev-parse", "HEAD^{commit}", "HEAD^{tree}", "--git-path", "index.lock"], cwd=worktree
    ).stdout.split("\n")
    listed = run_git(
        ["for-each-ref", "--format=%(objectname) %(tree) %(parent)", work_ref(run_id)],
        cwd=worktree,
    ).stdout.split()
    found: list[str | None] = [*listed] if len(listed) == 3 else [None, None, None]
    record, record_tree, record_parent = found  # a record always has its tip as parent
    return _State(
        head=tip[0].strip(),
        head_tree=tip[1].strip(),
        index_lock=worktree / tip[2].strip(),
        record=record,
        record_tree=record_tree,
        record_parent=record_parent,
    )
