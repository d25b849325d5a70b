"""What one sandboxed command may see and do, independent of the sandbox tool.

The folder the agent works in (a run's worktree, a session's repository) is the only
writable place besides a private `/tmp` and a scratch folder of its own as `HOME`.
Its git metadata is read-only: hooks and config are how code planted by an agent
would run later, outside any sandbox, so even a persona allowed to write git objects
and refs (`git: write`) keeps `hooks/` and `config` read-only. The config the sandbox
sees is a copy with credentials removed from remote URLs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SANDBOX_HOME = "/home/mda-agent"
SANDBOX_TMP = "/tmp"
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
_EXTRAHEADER = re.compile(r"^\s*extraheader\s*=.*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class GitLayout:
    """Where a folder's git metadata lives: its own git dir, and the shared one
    (the same for a plain repository; the main repository's `.git` for a worktree)."""

    git_dir: Path
    common_dir: Path

    @property
    def config(self) -> Path:
        return self.common_dir / "config"

    @property
    def hooks(self) -> Path:
        return self.common_dir / "hooks"


@dataclass(frozen=True)
class SandboxPolicy:
    """One command's confinement. `scratch` is a host folder private to this root."""

    root: Path
    scratch: Path
    env: Mapping[str, str] = field(default_factory=dict)
    git_write: bool = False
    network: bool = False

    def environment(self) -> dict[str, str]:
        """The whole environment inside: a fixed base, then the caller's extras (which
        may set PATH, never HOME or TMPDIR)."""
        base = {
            "PATH": SANDBOX_PATH,
            "HOME": SANDBOX_HOME,
            "TMPDIR": SANDBOX_TMP,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "dumb",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        extra = {k: v for k, v in self.env.items() if k not in ("HOME", "TMPDIR")}
        return {**base, **extra}


def git_layout(root: Path) -> GitLayout | None:
    """The git metadata of `root`, read from `.git` itself (no git command runs)."""
    dot_git = root / ".git"
    if dot_git.is_dir() and not dot_git.is_symlink():
        return GitLayout(git_dir=dot_git.resolve(), common_dir=dot_git.resolve())
    if not dot_git.is_file():
        return None
    try:
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    git_dir = (root / text.removeprefix("gitdir:").strip()).resolve()
    common = git_dir
    commondir_file = git_dir / "commondir"
    if commondir_file.is_file():
        common = (git_dir / commondir_file.read_text(encoding="utf-8").strip()).resolve()
    if not git_dir.is_dir() or not common.is_dir():
        return None
    return GitLayout(git_dir=git_dir, common_dir=common)


def redacted_git_config(text: str) -> str:
    """`config` with `user:token@` removed from URLs and `extraheader` lines dropped."""
    return _EXTRAHEADER.sub("", _URL_CREDENTIALS.sub(r"\g<scheme>", text))
