"""`mda budget`: spending against each cap; `mda budget raise`: raise a cap that holds
a run or a session.

A run waiting on a `prompt` cap takes the raise as its `raise_budget` signal and makes
the model call it stopped at. A session takes a raise at any time (its next turn, or
the waiting one, goes on under the new cap). A run that a `block` cap stopped has
ended: `mda resume RUN --budget-usd N` continues it.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

import typer

from my_deepagent.catalogue import msg

if TYPE_CHECKING:
    from my_deepagent.domain.budget import Scope

app = typer.Typer(
    help="Spending against the budget caps (today, per persona, runs, sessions); raise a cap.",
    invoke_without_command=True,
)


@app.callback()
def budget(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Spending against each cap: today, per persona today, active runs and sessions."""
    if ctx.invoked_subcommand is None:
        asyncio.run(_show(as_json))


def costs(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Same as `mda budget` (the name earlier versions used)."""
    asyncio.run(_show(as_json))


async def _show(as_json: bool) -> None:
    from my_deepagent.budget_standing import standing
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.budget import usd_text
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database

    settings = get_settings()
    async with open_database(settings) as db:
        lines = await standing(db, settings)
    if as_json:
        print_json([line.to_json() for line in lines])
        return
    print_table(
        msg("runs.table_spending"),
        ["scope", "spent", "cap", "policy", "left"],
        [
            (
                line.name,
                usd_text(line.spent),
                usd_text(line.cap.usd) if line.cap else "no cap",
                line.cap.policy if line.cap else "",
                usd_text(line.cap.amount - line.spent) if line.cap else "",
            )
            for line in lines
        ],
    )


@app.command("raise")
def raise_cap(
    target: str = typer.Argument(..., help="Run or session id, or a unique prefix."),
    usd: str = typer.Option(..., "--usd", help="The new cap in US dollars."),
    scope: str | None = typer.Option(
        None, "--scope", help="run, session, day or persona_day (default: the waiting cap's)."
    ),
) -> None:
    """Raise the cap a run or a session waits on (or, for a session, any of its caps)."""
    from my_deepagent.budget_caps import scope_option, usd_option

    amount = usd_option(usd, "--usd")
    assert amount is not None
    asyncio.run(_raise(target, amount, scope_option(scope)))


async def _raise(ref: str, usd: Decimal, scope: Scope | None) -> None:
    from my_deepagent.cap_raise import raise_cap
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.temporal_config import connect_client

    async with open_database(get_settings()) as db:
        sys.stdout.write(await raise_cap(connect_client, db, ref, usd, scope) + "\n")
