"""`@path` file references in a chat message: the file's text goes along with it.

A message like "why does @src/app.py fail?" keeps its wording and gets the file appended
in a fenced block headed by its repository-relative path, so the agent reads exactly
the bytes the user pointed at without spending a tool call on it.

A reference is `@` at the start of the message or after whitespace, followed by path
characters; an email address (`a@b.com`) is not one, and `\\@name` keeps an `@`
literal. Only files under the repository root may be sent: the check is made on the
fully resolved path, so neither `..` nor a symlink can reach a file outside (a key in
`~/.ssh` must never leave the machine because a message mentioned it). Each refusal is
one line that says what to do instead.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.agents.safety_rules import secret_path
from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

ATTACHMENT_MARK = "\n\n--- @"
"""What starts each attached file's block, after the text the user typed."""

_REFERENCE = re.compile(r"(?<!\S)@([\w./-]+)")


@dataclass(frozen=True)
class Expanded:
    """The message to send, and the repository-relative paths of the files it carries."""

    text: str
    files: tuple[str, ...]


def typed_text(text: str) -> str:
    """What the user typed: `text` without the files its references attached."""
    return text.split(ATTACHMENT_MARK, 1)[0]


def find_references(text: str) -> list[str]:
    """The paths named by `@path` tokens, in order, as written (trailing dots dropped:
    they end the sentence, not the file name)."""
    paths = []
    for match in _REFERENCE.finditer(text):
        path = match.group(1).rstrip(".")
        if path.strip("./"):
            paths.append(path)
    return paths


def expand_references(
    text: str,
    root: Path,
    *,
    max_file_bytes: int = 64 * 1024,
    max_total_bytes: int = 256 * 1024,
) -> Expanded:
    """`text` with every referenced file appended once; MdaError when one cannot be sent."""
    root = Path(os.path.normpath(root.absolute()))
    real_root = root.resolve()
    seen: set[Path] = set()
    blocks: list[str] = []
    files: list[str] = []
    total = 0
    for written in find_references(text):
        shown, target = _locate(written, root, real_root)
        if secret_path(shown) or secret_path(_relative(target, real_root) or target.name):
            raise MdaError(msg("chat.reference_secret", path=written))
        if target in seen:
            continue
        seen.add(target)
        body, size = _read(written, target, max_file_bytes)
        total += size
        if total > max_total_bytes:
            raise MdaError(msg("chat.references_too_large", limit=_size(max_total_bytes)))
        blocks.append(_block(shown, body))
        files.append(shown)
    return Expanded(text="".join([text, *blocks]), files=tuple(files))


def _locate(written: str, root: Path, real_root: Path) -> tuple[str, Path]:
    """The repository-relative path to show, and the resolved file to read.

    `root` is absolute but may itself go through a symlink; an absolute reference may
    spell the root either way.
    """
    lexical = Path(os.path.normpath(root / written))
    shown = _relative(lexical, root) or _relative(lexical, real_root)
    if shown is None:
        raise MdaError(msg("chat.reference_outside", path=written, root=real_root))
    target = lexical.resolve()
    if _relative(target, real_root) is None:
        raise MdaError(
            msg("chat.reference_symlink_outside", path=written, target=target, root=real_root)
        )
    return shown, target


def _relative(path: Path, root: Path) -> str | None:
    """`path` relative to `root` in posix form, or None when outside."""
    if not path.is_relative_to(root):
        return None
    return path.relative_to(root).as_posix()


def _read(written: str, target: Path, max_file_bytes: int) -> tuple[str, int]:
    """The file's text and its size in bytes, or the one-line reason it cannot be sent."""
    try:
        info = target.stat()
    except FileNotFoundError:
        raise MdaError(msg("chat.reference_missing", path=written)) from None
    except OSError as exc:
        raise MdaError(
            msg("chat.reference_unreadable", path=written, reason=exc.strerror)
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise MdaError(msg("chat.reference_directory", path=written, folder=written.rstrip("/")))
    if not stat.S_ISREG(info.st_mode):
        raise MdaError(msg("chat.reference_not_regular", path=written))
    if info.st_nlink > 1:
        raise MdaError(msg("chat.reference_hard_link", path=written))
    limit = _size(max_file_bytes)
    if info.st_size > max_file_bytes:
        size = _size(info.st_size)
        raise MdaError(msg("chat.reference_too_large", path=written, size=size, limit=limit))
    try:
        body = target.read_bytes()
    except OSError as exc:
        raise MdaError(
            msg("chat.reference_unreadable", path=written, reason=exc.strerror)
        ) from None
    if len(body) > max_file_bytes:
        raise MdaError(msg("chat.reference_over_limit", path=written, limit=limit))
    binary = MdaError(msg("chat.reference_binary", path=written))
    if b"\0" in body:
        raise binary
    try:
        return body.decode("utf-8"), len(body)
    except UnicodeDecodeError:
        raise binary from None


def _block(shown: str, content: str) -> str:
    """A fenced block longer than any backtick run inside, so the file cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    if content and not content.endswith("\n"):
        content += "\n"
    return f"{ATTACHMENT_MARK}{shown} ---\n{fence}\n{content}{fence}"


def _size(n: int) -> str:
    if n and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return msg("chat.size_bytes", count=f"{n:,}") if n < 10 * 1024 else f"{n / 1024:.1f} KiB"
