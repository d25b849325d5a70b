"""Running git: one place that decides the environment, the timeout and the errors.

Every git call mda makes goes through `run_git`, so none of them can:
- prompt (GIT_TERMINAL_PROMPT=0, stdin closed, an editor that exits at once);
- follow a repository chosen by the caller's environment instead of `cwd`
  (GIT_DIR, GIT_INDEX_FILE, ... are set inside git hooks, and the suite may run from
  one: they would point mda at the wrong repository);
- run code the repository controls: hooks are off (core.hooksPath=/dev/null), and
  every setting that names a program git would start (fsmonitor, ssh and askpass
  commands, external diff and textconv, pager, editors, gpg, filter drivers by
  name) is overridden on the command line, which beats any config file. An agent
  that plants a hook or a `core.fsmonitor` never gets it run by mda;
- see mda's secrets: git gets an allow-listed environment (PATH, HOME, locale,
  TMPDIR), never API keys or tokens of mda's process;
- outlive its timeout (git runs in its own process group, killed as a whole).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

DEFAULT_TIMEOUT_S = 60.0
LONG_TIMEOUT_S = 600.0  # checking out or staging a large repository

# What git may inherit from mda's environment: enough to find programs, the user's
# global config (identity, safe.directory, LFS) and a temporary folder. Nothing else:
# no provider key, no GITHUB_TOKEN, no GIT_DIR or GIT_INDEX_FILE chosen by a caller.
_INHERITED = (
    *("PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "TZ", "XDG_CONFIG_HOME"),
    *("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_CEILING_DIRECTORIES"),
)

# Options given to every call (see the module docstring). A `-c` value wins over
# every config file; an empty value switches the program off.
_ALWAYS_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.sshCommand=ssh",
    "-c",
    "core.askPass=",
    "-c",
    "core.pager=cat",
    "-c",
    "core.editor=true",
    "-c",
    "sequence.editor=true",
    "-c",
    "core.gitProxy=",
    "-c",
    "credential.helper=",
    "-c",
    "diff.external=",
    "-c",
    "gpg.program=false",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
)

# Subcommands that may run a filter driver (clean on staging, smudge on checkout).
_FILTERING = frozenset(
    {"add", "commit", "worktree", "checkout", "checkout-index", "diff", "status", "stash"}
    | {"read-tree", "update-index", "restore", "reset", "write-tree"}
)
_FILTER_NAME = re.compile(r"^filter\.(?P<name>.+)\.(?:clean|smudge|process|required)$")


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
    """The environment of a git subprocess: an allow-list of the caller's, plus `extra`."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
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


def filter_overrides(cwd: Path) -> list[str]:
    """`-c` options that switch off every filter driver the repository's config names."""
    listed = _start(
        ["git", *_ALWAYS_CONFIG, "config", "--name-only", "--get-regexp", r"^filter\."], cwd
    )
    try:
        stdout, _ = listed.communicate(timeout=DEFAULT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _kill_group(listed)
        return []
    names = {m["name"] for line in stdout.splitlines() if (m := _FILTER_NAME.match(line))}
    options: list[str] = []
    for name in sorted(names):
        for key, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")):
            options += ["-c", f"filter.{name}.{key}={value}"]
    return options


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    check: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    extra_env: Mapping[str, str] | None = None,
    filters_off: Sequence[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git <args>` in `cwd`; with `check`, a non-zero exit is a `WorkspaceError`
    carrying git's own message (its last `fatal:`/`error:` line).

    A subcommand that may run a filter driver first reads which filters the
    repository names (one more git process), unless the caller passes
    `filters_off`: `filter_overrides(cwd)` read once for several calls in a row."""
    if not cwd.is_dir():
        raise WorkspaceError(f"{cwd} is not a directory (pass an existing folder)")
    overrides: Sequence[str] = []
    if args and args[0] in _FILTERING:
        overrides = filter_overrides(cwd) if filters_off is None else filters_off
    rest = list(args)
    if rest and rest[0] == "diff":
        rest[1:1] = ["--no-ext-diff", "--no-textconv"]
    command = ["git", *_ALWAYS_CONFIG, *overrides, *rest]
    process = _start(command, cwd, extra_env)
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


def _start(
    command: list[str], cwd: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(
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
        raise WorkspaceError(msg("workspace.git_missing")) from None


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
