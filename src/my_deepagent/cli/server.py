"""`mda server` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="server", no_args_is_help=True)
