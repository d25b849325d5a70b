"""The audit trail: one JSON line per tool call of every agent, in `<logs>/audit.jsonl`.

A line says when the call finished, whose it was (run and phase, or session and
turn), the tool, its arguments shortened, how long it took and how it ended: `ok`,
`refused` (mda's safety rules said no, and why) or `error`. Lines are written by the
activity that ran the call (`agents/audit_recorder.py`), each with one `write` to a
file opened `O_APPEND` with mode 0600, under an exclusive lock, so lines from
concurrent calls and processes never interleave. Past `MAX_BYTES` the file is
renamed to `audit.jsonl.1` (the one before that to `.2`, and so on up to `KEPT`).

Arguments and reasons pass through `scrub` before they are shortened: a key
the agent saw never lands here. A call is written once it has finished; a call cut off by a killed
worker has no line, and when the next attempt runs it again, that run has its own.
A call whose result was checkpointed is never run again, so it has exactly one line;
only the call that finished as the worker died, before its checkpoint, can have two
(the same `call_id`: it did run twice).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

AUDIT_FILE = "audit.jsonl"
MAX_BYTES = 20_000_000
KEPT = 5
MAX_VALUE_CHARS = 200
MAX_ARGS_CHARS = 1_000
MAX_REASON_CHARS = 300

Outcome = Literal["ok", "refused", "error"]


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: str
    """When the call finished (UTC, ISO 8601)."""
    run_id: str | None = None
    phase: str | None = None
    session_id: str | None = None
    turn: int | None = None
    tool: str
    call_id: str | None = None
    """The model's id for the call: the same when a killed worker's call runs again."""
    args: str
    """The call's arguments as JSON, long values and the whole shortened, secrets hidden."""
    duration_ms: int
    outcome: Outcome
    reason: str | None = None
    """Why a call was refused, or the first line of its error."""


def audit_file(log_dir: Path) -> Path:
    return log_dir / AUDIT_FILE


def entry(
    *,
    tool: str,
    args: dict[str, Any],
    duration_ms: int,
    outcome: Outcome,
    reason: str | None = None,
    run_id: str | None = None,
    phase: str | None = None,
    session_id: str | None = None,
    turn: int | None = None,
    call_id: str | None = None,
) -> AuditEntry:
    """An entry for a call that finished now; secrets hidden first, then long text cut."""
    from my_deepagent.scrub import scrub

    shown = _shorten(json.dumps(_short_values(args, scrub), default=str), MAX_ARGS_CHARS)
    return AuditEntry(
        at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        run_id=run_id,
        phase=phase,
        session_id=session_id,
        turn=turn,
        tool=tool,
        call_id=call_id,
        args=shown,
        duration_ms=duration_ms,
        outcome=outcome,
        reason=_shorten(scrub(reason), MAX_REASON_CHARS) if reason else None,
    )


def append(path: Path, record: AuditEntry, *, max_bytes: int = MAX_BYTES) -> None:
    """Append `record` as one line (see the module docstring for the guarantees)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (record.model_dump_json(exclude_none=True) + "\n").encode()
    fd = _open_current(path)
    try:
        size = os.fstat(fd).st_size
        if size > 0 and size + len(line) > max_bytes:
            _rotate(path)
            os.close(fd)
            fd = _open_current(path)
        os.write(fd, line)
    finally:
        os.close(fd)


def _open_current(path: Path) -> int:
    """`path` opened for appending and locked, and still the file `path` names: a writer
    that waited for the lock while another rotated holds the old file, so it opens again."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if path.stat().st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass  # rotated away between the lock and the look: open the new one
        os.close(fd)


def read_entries(path: Path) -> Iterator[AuditEntry]:
    """Every entry, oldest first, the rotated files included; unreadable lines skipped."""
    for file in [*(path.with_name(f"{path.name}.{n}") for n in range(KEPT, 0, -1)), path]:
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            parsed = parse_line(line)
            if parsed is not None:
                yield parsed


def parse_line(line: str) -> AuditEntry | None:
    from pydantic import ValidationError

    try:
        return AuditEntry.model_validate_json(line)
    except ValidationError:
        return None


def _rotate(path: Path) -> None:
    for n in range(KEPT - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


def _short_values(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return _shorten(redact(value), MAX_VALUE_CHARS)
    if isinstance(value, dict):
        return {str(k): _short_values(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_short_values(v, redact) for v in value]
    return value


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
