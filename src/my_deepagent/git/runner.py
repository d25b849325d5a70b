"""Running git: one place that decides the environment, the timeout and the errors.

Every git call mda makes goes through `run_git`, so none of them can:
- prompt (GIT_TERMINAL_PROMPT=0, stdin closed, an editor that exits at once);
- follow a repository chosen by the caller's environment instead of `cwd`
  (GIT_DIR, GIT_INDEX_FILE, ... are set inside git hooks, and the suite may run from
  one: they would point mda at the wrong repository);
- run the user's hooks (core.hooksPath=/dev/null): a post-checkout or pre-commit hook
  may be slow, interactive or failing, and would see mda's environment;
- hand API keys to a filter or credential helper (MDA_* and *_API_KEY are dropped);
- outlive its timeout (git runs in its own process group, killed as a whole).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.errors import MdaError

DEFAULT_TIMEOUT_S = 60.0
LONG_TIMEOUT_S = 600.0  # checking out or staging a large repository

# git(1) "ENVIRONMENT VARIABLES": the ones that choose the repository, the index or
# the identity. mda sets these itself when it means to.
_INHERITED_GIT_VARS_TO_DROP = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_QUARANTINE_PATH",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "GIT_REFLOG_ACTION",
        "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR",
    }
)

# Options given to every call (see the module docstring).
_ALWAYS_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
)


class WorkspaceError(MdaError):
    """A repository, branch or worktree problem; one line that names the fix."""


@dataclass(frozen=True)
class GitIdentity:
    """Author and committer of the commits mda makes, passed as GIT_* variables so
    the user's git config is never read or written for it."""

    name: str
    email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


MDA_IDENTITY = GitIdentity(name="mda", email="mda@localhost")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git subprocess: the caller's, cleaned, plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _INHERITED_GIT_VARS_TO_DROP
        and not name.startswith("MDA_")
        and not name.endswith("_API_KEY")
    }
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_EDITOR": "true",
            "GIT_SEQUENCE_EDITOR": "true",
            "LC_ALL": "C",
            "LANGUAGE": "C",
        }
    )
    if extra:
        env.update(extra)
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    check: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git <args>` in `cwd`; with `check`, a non-zero exit is a `WorkspaceError`
    carrying git's own message (its last `fatal:`/`error:` line)."""
    if not cwd.is_dir():
        raise WorkspaceError(f"{cwd} is not a directory (pass an existing folder)")
    command = ["git", *_ALWAYS_CONFIG, *args]
    try:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=git_env(extra_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise WorkspaceError("git is not installed (install git and put it on PATH)") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise WorkspaceError(
            f"git {args[0]} in {cwd} did not finish within {timeout_s:g} s "
            "(check the repository for a stale lock, then retry)",
            exit_code=1,
        ) from None
    except BaseException:
        _kill_group(process)
        raise
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if check and result.returncode != 0:
        raise WorkspaceError(
            f"git {args[0]} failed in {cwd}: {git_message(result.stderr)}", exit_code=1
        )
    return result


def git_message(stderr: str) -> str:
    """The line of git's stderr worth showing: the last fatal/error line, else the last."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else "no message"


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
