"""What sharing a run's files through the repository costs: recording the worktree on
the run's work ref after a tool call changed a file, and the check every phase
activity makes before it starts (nothing to bring in step, the common case), on a
worktree of the example repository. Medians of `--calls`.

    .venv/bin/python benchmarks/run_work.py [--calls 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description="The cost of a phase's work record.")
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mda-bench-run-work-")).resolve()
    os.environ.update(MDA_HOME=str(root / "home"), HOME=str(root), GIT_CONFIG_GLOBAL="/dev/null")
    from my_deepagent.examples import prepare_example_repo
    from my_deepagent.git import create_run_worktree, resolve_repo
    from my_deepagent.git.run_work import record_run_work, sync_run_worktree

    repo = resolve_repo(prepare_example_repo(root / "repo"))
    worktree = create_run_worktree(repo, "main", "run-bench", root / "worktrees").path
    recorded: list[float] = []
    checked: list[float] = []
    for index in range(args.calls):
        (worktree / f"notes-{index}.md").write_text(f"note {index}\n")
        started = time.perf_counter()
        record_run_work(worktree, "run-bench")
        recorded.append(time.perf_counter() - started)
        started = time.perf_counter()
        sync_run_worktree(worktree, "run-bench")
        checked.append(time.perf_counter() - started)
    print(
        f"record after a file changed: {statistics.median(recorded) * 1000:.1f} ms; "
        f"check before an activity (in step already): {statistics.median(checked) * 1000:.1f} ms "
        f"(medians of {args.calls})"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
