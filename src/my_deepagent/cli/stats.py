"""`mda stats --by model|persona|day|template [--since DATE]`: what the ledger holds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from my_deepagent.store.stats import GroupBy


def stats(
    by: str = typer.Option("model", "--by", help="Group by model, persona, day or template."),
    since: str | None = typer.Option(
        None, "--since", help="Only calls made on or after this UTC date (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Model calls, tokens and cost, grouped (every run and session)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.store.stats import GROUPS

    group = next((g for g in GROUPS if g == by), None)
    if group is None:
        raise MdaError(msg("runs.unknown_group", by=repr(by), groups=", ".join(GROUPS)))
    asyncio.run(_stats(group, _since(since), as_json))


def _since(value: str | None) -> datetime | None:
    from my_deepagent.catalogue import msg

    if value is None:
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d")
    except ValueError:
        raise MdaError(msg("runs.since_not_date", value=repr(value))) from None
    return day.replace(tzinfo=UTC)


async def _stats(by: GroupBy, since: datetime | None, as_json: bool) -> None:
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.budget import usd_text
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.stats import call_stats

    async with open_database(get_settings()) as db:
        rows = await call_stats(db, by, since)
    if as_json:
        print_json([row.to_json() for row in rows])
        return
    if since is not None:
        title = msg("runs.table_calls_since", by=by, since=since.date().isoformat())
    else:
        title = msg("runs.table_calls", by=by)
    print_table(
        title,
        [by, "calls", "input", "output", "cached", "cost"],
        [
            (
                row.key,
                str(row.calls),
                f"{row.input_tokens:,}",
                f"{row.output_tokens:,}",
                f"{row.cached_tokens:,}",
                usd_text(row.cost_usd)
                + (f" + {row.unpriced_calls} unpriced" if row.unpriced_calls else ""),
            )
            for row in rows
        ],
    )
