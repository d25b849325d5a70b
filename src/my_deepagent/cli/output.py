"""Printing helpers shared by the command modules: JSON for scripts, tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(value: Any) -> None:
    """Print a JSON document on stdout (the `--json` contract of read commands)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    no_wrap: Sequence[str] = (),
) -> None:
    """Print a table for people, or tab-separated lines when stdout is not a terminal.

    Piped output is for grep and cut: whole values, no boxes, no truncation at 80
    columns. On a terminal, columns named in `no_wrap` (ids people copy) are never
    wrapped or cut.
    """
    if not sys.stdout.isatty():
        for line in (columns, *rows):
            sys.stdout.write("\t".join(" ".join(cell.split()) for cell in line) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=column in no_wrap)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
