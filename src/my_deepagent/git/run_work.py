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

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.git.runner import (
    LONG_TIMEOUT_S,
    MDA_IDENTITY,
    WorkspaceError,
    filter_overrides,
    run_git,
)
from my_deepagent.git.worktree import run_branch_name

WORK_NAMESPACE = "refs/mda/runs"


def work_ref(run_id: str) -> str:
    return f"{WORK_NAMESPACE}/{run_id}/work"


@dataclass(frozen=True)
class _State:
    """What one look at the worktree and the repository says."""

    git_dir: Path
    """The worktree's own git folder (its index and index lock live there)."""
    head: str
    head_tree: str
    record: str | None
    """The work record's commit, when there is one."""
    record_tree: str | None
    record_parent: str | None


def record_run_work(worktree: Path, run_id: str) -> str | None:
    """Record the worktree's files on the run's work ref; the new record's sha, or None
    when the ref already holds them (or they are the branch tip's, and it is cleared)."""
    state = _look(worktree, run_id)
    tree = _files_tree(worktree, state.git_dir)
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
    state = _look(worktree, run_id)
    on_tip = state.record is not None and state.record_parent == state.head
    want = state.record_tree if on_tip and state.record_tree else state.head_tree
    (state.git_dir / "index.lock").unlink(missing_ok=True)
    if _files_tree(worktree, state.git_dir) == want:
        return False
    filters_off = filter_overrides(worktree)
    steps = (["read-tree", "-u", "--reset", want], ["clean", "-f", "-d", "-q"], ["reset", "-q"])
    for args in steps:
        run_git(args, cwd=worktree, timeout_s=LONG_TIMEOUT_S, filters_off=filters_off)
    return True


def clear_run_work(worktree: Path, run_id: str) -> None:
    """Drop the work record (the phase's files are committed on the branch now)."""
    run_git(["update-ref", "-d", work_ref(run_id)], cwd=worktree, check=False)


def _files_tree(worktree: Path, git_dir: Path) -> str:
    """The tree of the files in `worktree` (tracked and untracked, not ignored), staged
    in a copy of the worktree's index (its stat cache spares re-hashing every file)."""
    with tempfile.TemporaryDirectory(prefix="mda-run-work-") as folder:
        index = Path(folder) / "index"
        if (git_dir / "index").is_file():
            shutil.copyfile(git_dir / "index", index)
        env = {"GIT_INDEX_FILE": str(index)}
        filters_off = filter_overrides(worktree)
        run_git(
            ["add", "-A"],
            cwd=worktree,
            extra_env=env,
            timeout_s=LONG_TIMEOUT_S,
            filters_off=filters_off,
        )
        tree = run_git(["write-tree"], cwd=worktree, extra_env=env, filters_off=filters_off)
        return tree.stdout.strip()


def _look(worktree: Path, run_id: str) -> _State:
    """The branch tip, its tree and the work record, in one git call (activities look
    before every phase step, and the recorder after every tool call that writes).

    Refuses any folder that is not the top of a linked worktree (a `.git` file, never
    the user's own checkout) whose HEAD is the run's branch."""
    git_dir = _linked_git_dir(worktree)
    branch = f"refs/heads/{run_branch_name(run_id)}"
    record_ref = work_ref(run_id)
    fields = "%(HEAD)|%(refname)|%(objectname)|%(tree)|%(parent)"
    listed = run_git(
        ["for-each-ref", f"--format={fields}", branch, record_ref], cwd=worktree
    ).stdout
    refs: dict[str, list[str]] = {}
    for line in listed.splitlines():
        marker, name, *values = line.split("|")
        refs[name] = [marker, *values]
    tip = refs.get(branch)
    if tip is None or tip[0] != "*":
        raise WorkspaceError(
            f"{worktree} is not on {branch} (remove it: git worktree remove --force {worktree})"
        )
    record = refs.get(record_ref)
    return _State(
        git_dir=git_dir,
        head=tip[1],
        head_tree=tip[2],
        record=record[1] if record else None,
        record_tree=record[2] if record else None,
        record_parent=record[3] if record else None,  # a record has exactly one parent
    )


def _linked_git_dir(worktree: Path) -> Path:
    """The git folder a linked worktree's `.git` file names."""
    refused = WorkspaceError(f"{worktree} is not a run's worktree (delete it, then retry)")
    try:
        text = (worktree / ".git").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise refused from None
    if not text.startswith("gitdir:"):
        raise refused
    return (worktree / text.removeprefix("gitdir:").strip()).resolve()
