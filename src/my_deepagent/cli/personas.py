"""`mda personas` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="personas", no_args_is_help=True)
