"""A run's report as files in this machine's reports folder: `<run_id>.json` and `.md`.

The report itself lives in mda's database (written by the worker that finished the
run, which may be another machine); these files are copies for people. The worker
writes them where it runs, and `local_report` writes them here from the database, so
the path a command prints always exists on the machine that prints it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from my_deepagent.store.database import Database


def report_file(folder: Path, run_id: str, format: str) -> Path:
    return folder / f"{run_id}.{format}"


def write_report_files(
    folder: Path, run_id: str, document: dict[str, Any], markdown: str
) -> tuple[Path, Path]:
    """Both files, each replaced in one step (a reader never sees half a report)."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = (
        report_file(folder, run_id, "json"),
        report_file(folder, run_id, "md"),
    )
    _replace(json_path, json.dumps(document, indent=2) + "\n")
    _replace(markdown_path, markdown)
    return json_path, markdown_path


async def local_report(db: Database, folder: Path, run_id: str) -> tuple[Path, Path] | None:
    """The report's files here, written from the database; None before it exists."""
    from my_deepagent.store.reports import get_report

    found = await get_report(db, run_id)
    if found is None:
        return None
    document, markdown = found
    return await asyncio.to_thread(write_report_files, folder, run_id, document, markdown)


def _replace(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
