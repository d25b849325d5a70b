"""`mda doctor [--offline] [--json]`: is this machine ready for mda? One line per check
with its fix (`my_deepagent.doctor`); exit 1 when any check fails."""

from __future__ import annotations

import asyncio

import typer

MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def doctor(
    offline: bool = typer.Option(False, "--offline", help="Do not contact model providers."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check Python, git, Temporal, a worker, the database, keys, providers, disk, sandbox."""
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json
    from my_deepagent.doctor import run_checks
    from my_deepagent.settings import get_settings

    checks = asyncio.run(run_checks(get_settings(), offline=offline))
    if as_json:
        print_json([check.model_dump() for check in checks])
    else:
        for check in checks:
            fix = f"  -> {check.fix}" if check.fix else ""
            typer.echo(f"{MARKS[check.status]}  {check.name}: {check.detail}{fix}")
    failed = [check.name for check in checks if check.status == "fail"]
    if failed:
        if not as_json:
            shown = msg("operations.doctor_failed", count=len(failed), names=", ".join(failed))
            typer.echo(shown, err=True)
        raise typer.Exit(1)
