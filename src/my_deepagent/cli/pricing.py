"""`mda pricing [--refresh] [--json]`: the price in force for every persona's model.

Prices are US dollars per million tokens. `--refresh` reads OpenRouter's public model
list and caches it in mda's database with its fetch time; offline it fails in one
line and the cache stays as it was.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from decimal import Decimal

    from my_deepagent.domain.pricing import ModelPrice


def pricing(
    refresh: bool = typer.Option(
        False, "--refresh", help="Read OpenRouter's current price list first (online)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the price of every persona's model, with where it comes from and its age."""
    asyncio.run(_pricing(refresh, as_json))


async def _pricing(refresh: bool, as_json: bool) -> None:
    import sys

    from my_deepagent.catalog_views import price_json
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.prices.lookup import persona_prices
    from my_deepagent.prices.openrouter import fetch_prices
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.prices import replace_cached_prices

    settings = get_settings()
    base_url = settings.openrouter_base_url
    async with open_database(settings) as db:
        if refresh:
            fetched = await asyncio.to_thread(fetch_prices, base_url)
            await replace_cached_prices(db, fetched)
            if not as_json:
                sys.stdout.write(msg("runs.prices_read", count=len(fetched)) + "\n")
        prices = await persona_prices(db, settings, load_user_catalog())
    if as_json:
        print_json([price_json(model, price) for model, price in prices.items()])
        return
    print_table(
        msg("runs.table_prices"),
        ["model", "input", "output", "cached input", "source", "as of"],
        [_price_row(model, price) for model, price in prices.items()],
    )


def _price_row(model: str, price: ModelPrice | None) -> list[str]:
    from my_deepagent.catalog_views import age_days

    if price is None:
        return [model, "unknown", "unknown", "unknown", "no price: cost shows as unknown", ""]
    cached = "-" if price.cached_input is None else _dollars(price.cached_input)
    origin = {"openrouter": "OpenRouter", "user": "yours"}.get(price.origin, "shipped")
    age = age_days(price.as_of)
    return [
        model, _dollars(price.input), _dollars(price.output), cached,
        f"{origin}: {price.source}", f"{price.as_of.isoformat()} ({age} days ago)",
    ]  # fmt: skip


def _dollars(value: Decimal) -> str:
    return format(value.normalize(), "f")
