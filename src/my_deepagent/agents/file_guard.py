"""What the file tools may touch, judged on the file system itself.

The path rules (`safety_rules.check_path`) judge what the model wrote; this judges
where it leads. A file tool never follows a symbolic link out of the root or onto a
secret file, never reads or writes a file with more than one hard link (its content
may be a file outside the root), never writes under the root's `.git` (hooks and
config there run later, outside any sandbox), and `delete` refuses the root itself
and folders that hold files git tracks.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from my_deepagent.agents.safety_rules import SECRET_REASON, Refusal, secret_path
from my_deepagent.git.runner import WorkspaceError, run_git

WRITING_TOOLS = frozenset({"write_file", "edit_file", "delete"})
LINK_CHECKED_TOOLS = frozenset({"read_file", "write_file", "edit_file"})


def check_file_access(root: Path, tool: str, path: str, place: str) -> Refusal | None:
    """Judge `tool` on the virtual `path` (`/` is `root`); `place` names the root."""
    virtual = PurePosixPath("/" + path.lstrip("/"))
    relative = virtual.relative_to("/")
    walked = root
    for part in relative.parts:
        walked = walked / part
        if walked.is_symlink():
            refusal = _symlink(root, walked, path, place)
            if refusal is not None:
                return refusal
    target = (root / relative).resolve() if relative.parts else root
    inside = target.relative_to(root).as_posix() if target.is_relative_to(root) else None
    if inside is None:
        return _leaves(path, place)
    if tool in WRITING_TOOLS and _under_git(inside):
        return Refusal(
            "git-metadata",
            f"{path} is git's own metadata; writing there is refused (commit with git "
            "commands, or leave git to mda)",
        )
    if tool in LINK_CHECKED_TOOLS and _hard_linked(target):
        return Refusal(
            "hard-link",
            f"{path} is a hard link (its content may belong to a file outside the "
            f"{place}); work on a regular copy instead",
        )
    if tool == "delete":
        return _delete(root, target, path, place)
    return None


def _symlink(root: Path, link: Path, path: str, place: str) -> Refusal | None:
    try:
        resolved = link.resolve(strict=False)
    except (OSError, RuntimeError):
        return _leaves(path, place)
    if not resolved.is_relative_to(root):
        return _leaves(path, place)
    if secret_path(resolved.relative_to(root).as_posix()):
        return Refusal("secret-path", SECRET_REASON.format(path=path))
    return None


def _leaves(path: str, place: str) -> Refusal:
    return Refusal(
        "symlink-escape",
        f"{path} leads through a symbolic link out of the {place}; use files inside it",
    )


def _under_git(inside: str) -> bool:
    first = PurePosixPath(inside).parts[:1]
    return first == (".git",)


def _hard_linked(target: Path) -> bool:
    try:
        info = os.lstat(target)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink > 1


def _delete(root: Path, target: Path, path: str, place: str) -> Refusal | None:
    if target == root:
        return Refusal(
            "delete-root",
            f"deleting {path}, the whole {place}, is refused; delete the files you mean",
        )
    if not target.is_dir() or target.is_symlink():
        return None
    try:
        listed = run_git(
            ["ls-files", "-z", "--", target.relative_to(root).as_posix()],
            cwd=root,
            check=False,
            timeout_s=10,
        )
    except WorkspaceError:
        return None
    if listed.returncode == 0 and listed.stdout.strip("\0"):
        return Refusal(
            "delete-tracked",
            f"{path} holds files git tracks; deleting it is refused (delete the files "
            "you mean one by one, or `git rm` them)",
        )
    return None
