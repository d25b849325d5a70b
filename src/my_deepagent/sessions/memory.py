"""Project memory on disk: one folder of Markdown notes per repository.

The folder lives under mda's data dir, keyed by the repository's real path, so every
session in one repository shares it and a clone elsewhere starts empty. `MEMORY.md` is
the index: a heading, one line, then a pointer line per note. Each `/remember` is one
`<slug>.md` file, so `/forget` removes exactly one note and the rest stay untouched.

Two sessions of one repository may remember at once. Every change (choosing a free
slug, writing the note, rewriting the index) happens under an exclusive `flock` on a
lock file in the folder, and each file is written to a temporary name and renamed, so
a reader (the agent's memory middleware) never sees half a file.

Stdlib only: the CLI's slash commands import this module. Its refusals are English
with their catalogue keys kept: the worker's session activity writes the notes,
whatever the person's language, and the client says a refusal in theirs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.errors import MdaError
from my_deepagent.text import clip

INDEX_NAME = "MEMORY.md"
INDEX_TEXT = (
    "# Project memory\n\n"
    "Notes mda keeps for this repository: `/remember <text>` adds one, "
    "`/forget <slug>` removes it.\n\n"
)
LOCK_NAME = ".memory.lock"
NOTE_SUFFIX = ".md"
FALLBACK_SLUG = "note"
MAX_SLUG_CHARS = 40
MAX_TITLE_CHARS = 60
KEY_CHARS = 16

_KEY = re.compile(rf"[0-9a-f]{{{KEY_CHARS}}}")
_POINTER = re.compile(r"^- \[.*\]\((?P<target>[^()]+)\)\s*$")


@dataclass(frozen=True)
class MemoryEntry:
    """One note: `slug` is what `/forget` takes, `title` its first line, shortened."""

    slug: str
    file_name: str
    title: str
    chars: int


def project_key(repo: str | os.PathLike[str]) -> str:
    """The repository's memory key: sha256 of its real path, first 16 hex digits."""
    raw = os.fspath(repo)
    if not raw.strip():
        raise ValueError("project_key needs a repository path, got an empty one")
    real = os.path.realpath(raw)
    return hashlib.sha256(real.encode("utf-8")).hexdigest()[:KEY_CHARS]


def memory_dir(data_dir: Path, key: str) -> Path:
    """`<data_dir>/projects/<key>/memory`; `key` must come from `project_key`."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a project key (16 lowercase hex digits): {key!r}")
    return data_dir / "projects" / key / "memory"


def ensure_memory(directory: Path) -> Path:
    """Create the folder and its index if missing; the index's path."""
    with _locked(directory):
        return _ensure_index(directory)


def memory_files(directory: Path) -> list[Path]:
    """Every note file, the index first, then by name; [] when there is no folder."""
    if not directory.is_dir():
        return []
    files = [
        path
        for path in directory.iterdir()
        if path.suffix == NOTE_SUFFIX and not path.name.startswith(".") and path.is_file()
    ]
    return sorted(files, key=lambda path: (path.name != INDEX_NAME, path.name))


def list_entries(directory: Path) -> list[MemoryEntry]:
    """The notes (not the index), in `memory_files` order."""
    return [_entry(path) for path in memory_files(directory) if path.name != INDEX_NAME]


def remember(directory: Path, text: str, *, name: str | None = None) -> MemoryEntry:
    """Write `text` as a new note and point the index at it.

    The slug comes from `name` when given, else from the text's first words; a taken
    slug gets `-2`, `-3`, ... and `memory` (the index's own name) is always taken.
    """
    if not text.strip():
        raise MdaError.english("chat.nothing_to_remember")
    body = text.strip("\n").rstrip() + "\n"
    base = slugify(name if name is not None and name.strip() else body)
    with _locked(directory):
        index = _ensure_index(directory)
        slug = _free_slug(directory, base)
        path = directory / f"{slug}{NOTE_SUFFIX}"
        _write_atomic(path, body)
        title = note_title(body)
        current = index.read_text(encoding="utf-8")
        separator = "" if not current or current.endswith("\n") else "\n"
        pointer = f"- [{_link_text(title)}]({path.name})\n"
        _write_atomic(index, current + separator + pointer)
    return MemoryEntry(slug=slug, file_name=path.name, title=title, chars=len(body))


def forget(directory: Path, slug_or_filename: str) -> MemoryEntry:
    """Remove one note and the index lines pointing to it; the index itself stays."""
    wanted = unicodedata.normalize("NFC", slug_or_filename.strip())
    if not wanted:
        raise MdaError.english("chat.nothing_to_forget")
    if "/" in wanted or "\\" in wanted or ".." in wanted or wanted.startswith("."):
        raise MdaError.english("chat.memory_bad_name", name=wanted)
    file_name = wanted if wanted.endswith(NOTE_SUFFIX) else wanted + NOTE_SUFFIX
    if file_name.lower() == INDEX_NAME.lower():
        raise MdaError.english("chat.memory_index_kept", index=INDEX_NAME)
    unknown = MdaError.english("chat.memory_no_note", name=wanted)
    if not directory.is_dir():
        raise unknown
    with _locked(directory):
        path = _existing_note(directory, file_name)
        if path is None:
            raise unknown
        entry = _entry(path)
        path.unlink()
        index = directory / INDEX_NAME
        if index.is_file():
            lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [line for line in lines if _pointer_target(line) != path.name]
            if len(kept) != len(lines):
                _write_atomic(index, "".join(kept))
    return entry


def slugify(text: str) -> str:
    """A file-name-safe slug from the text's first words; Unicode letters stay."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    normal = unicodedata.normalize("NFC", first).lower()
    dashed = "".join(char if char.isalnum() else "-" for char in normal)
    slug = re.sub(r"-{2,}", "-", dashed).strip("-")
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug[: MAX_SLUG_CHARS + 1]
        boundary = cut.rfind("-")
        slug = (cut[:boundary] if boundary > 0 else slug[:MAX_SLUG_CHARS]).strip("-")
    return slug or FALLBACK_SLUG


def note_title(text: str) -> str:
    """A note's first non-empty line, shortened to about 60 characters."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return clip(first, MAX_TITLE_CHARS, ellipsis="…")


def _entry(path: Path) -> MemoryEntry:
    text = path.read_text(encoding="utf-8", errors="replace")
    return MemoryEntry(
        slug=path.name.removesuffix(NOTE_SUFFIX),
        file_name=path.name,
        title=note_title(text),
        chars=len(text),
    )


def _free_slug(directory: Path, base: str) -> str:
    taken = {path.name.lower() for path in directory.iterdir()}
    taken.add(INDEX_NAME.lower())
    slug, number = base, 1
    while f"{slug}{NOTE_SUFFIX}".lower() in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _existing_note(directory: Path, file_name: str) -> Path | None:
    for candidate in (file_name, file_name.lower()):
        path = directory / candidate
        if path.is_file() and not path.is_symlink():
            return path
    return None


def _pointer_target(line: str) -> str | None:
    found = _POINTER.match(line)
    return found.group("target") if found else None


def _link_text(title: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", title)


def _ensure_index(directory: Path) -> Path:
    index = directory / INDEX_NAME
    if not index.exists():
        _write_atomic(index, INDEX_TEXT)
    return index


def _write_atomic(path: Path, text: str) -> None:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w",
        encoding="utf-8",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(handle.name).replace(path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the folder's exclusive lock (between threads and processes alike)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a+b") as lock:  # noqa: PTH123
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
