"""`mda audit tail [--run R | --session S] [-n N] [--follow] [--json]`: the audit trail.

Every tool call of every agent, one line each (see `my_deepagent.audit`): when, whose
(run and phase, or session and turn), the tool, how it ended and in how long, its
arguments shortened. `--run` and `--session` take an id or the start of one;
`--follow` keeps printing new calls until Ctrl-C. Reads the file only: no server, no
database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from my_deepagent.audit import AuditEntry

app = typer.Typer(help="The audit trail: every tool call of every agent.", no_args_is_help=True)

FOLLOW_POLL_S = 0.5


@app.command("tail")
def tail(
    run: str | None = typer.Option(None, "--run", help="Only this run's calls (id or prefix)."),
    session: str | None = typer.Option(
        None, "--session", help="Only this session's calls (id or prefix)."
    ),
    lines: int = typer.Option(20, "-n", "--lines", min=0, help="How many recent calls."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new calls."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """The most recent tool calls (oldest first), then new ones with --follow."""
    from my_deepagent.audit import audit_file, read_entries
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import ConfigError
    from my_deepagent.settings import get_settings

    if run and session:
        raise ConfigError(msg("operations.audit_run_and_session"))
    path = audit_file(get_settings().paths.log_dir)

    def wanted(entry: AuditEntry) -> bool:
        if run is not None:
            return entry.run_id is not None and entry.run_id.startswith(run.removeprefix("run-"))
        if session is not None:
            return entry.session_id is not None and entry.session_id.startswith(
                session.removeprefix("session-")
            )
        return True

    recent = [entry for entry in read_entries(path) if wanted(entry)]
    for entry in recent[len(recent) - lines :] if lines else []:
        _show(entry, as_json)
    if follow:
        _follow(path, wanted, as_json)


def _follow(path: Path, wanted: Callable[[AuditEntry], bool], as_json: bool) -> None:
    """Print lines appended from now on; a rotation starts again at the new file."""
    from my_deepagent.audit import parse_line

    offset = path.stat().st_size if path.exists() else 0
    inode = path.stat().st_ino if path.exists() else None
    pending = b""
    try:
        while True:
            if path.exists() and (path.stat().st_ino != inode or path.stat().st_size < offset):
                inode, offset = path.stat().st_ino, 0
            if path.exists():
                with path.open("rb") as file:
                    file.seek(offset)
                    chunk = file.read()
                offset += len(chunk)
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    entry = parse_line(raw.decode("utf-8", errors="replace"))
                    if entry is not None and wanted(entry):
                        _show(entry, as_json)
            time.sleep(FOLLOW_POLL_S)
    except KeyboardInterrupt:
        return


def _show(entry: AuditEntry, as_json: bool) -> None:
    if as_json:
        typer.echo(entry.model_dump_json(exclude_none=True))
        return
    if entry.run_id is not None:
        whose = f"run {entry.run_id[:8]} {entry.phase or '-'}"
    else:
        whose = f"session {(entry.session_id or '-')[:8]} turn {entry.turn}"
    outcome = entry.outcome if entry.reason is None else f"{entry.outcome} ({entry.reason})"
    typer.echo(
        f"{entry.at}  {whose}  {entry.tool}  {outcome}  {entry.duration_ms} ms  {entry.args}",
        color=False,
    )
