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
            raise MdaError(
                f"@{written} may hold credentials: mda does not send it to the model "
                "(quote the part that matters, without secrets)"
            )
        if target in seen:
            continue
        seen.add(target)
        body, size = _read(written, target, max_file_bytes)
        total += size
        if total > max_total_bytes:
            raise MdaError(
                f"the files referenced with @ total more than {_size(max_total_bytes)} "
                "(reference fewer files, or quote the parts that matter)"
            )
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
        raise MdaError(
            f"@{written} is outside the repository (only files under {real_root} can be referenced)"
        )
    target = lexical.resolve()
    if _relative(target, real_root) is None:
        raise MdaError(
            f"@{written} leads through a symlink to {target}, outside the repository "
            f"(only files under {real_root} can be referenced)"
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
        raise MdaError(
            f"@{written}: no such file in the repository "
            f"(check the path; write \\@{written} to keep a literal @)"
        ) from None
    except OSError as exc:
        raise MdaError(f"@{written}: cannot read it ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise MdaError(
            f"@{written} is a directory (reference the files in it, e.g. @{written.rstrip('/')}"
            "/<file>)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise MdaError(f"@{written} is not a regular file (only files can be referenced)")
    if info.st_nlink > 1:
        raise MdaError(
            f"@{written} is a hard link (its content may belong to a file outside the "
            "repository): reference a regular copy instead"
        )
    if info.st_size > max_file_bytes:
        raise MdaError(
            f"@{written} is {_size(info.st_size)}, over the {_size(max_file_bytes)} limit "
            "for a referenced file (quote the part that matters instead)"
        )
    try:
        body = target.read_bytes()
    except OSError as exc:
        raise MdaError(f"@{written}: cannot read it ({exc.strerror})") from None
    if len(body) > max_file_bytes:
        raise MdaError(
            f"@{written} is over the {_size(max_file_bytes)} limit for a referenced file "
            "(quote the part that matters instead)"
        )
    binary = MdaError(f"@{written} is a binary file (only UTF-8 text can be referenced)")
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
    return f"{n:,} bytes" if n < 10 * 1024 else f"{n / 1024:.1f} KiB"
