"""`mda pricing [--refresh] [--json]`: the price in force for every persona's model.

Prices are US dollars per million tokens. `--refresh` reads OpenRouter's public model
list and caches it in mda's database with its fetch time; offline it fails in one
line and the cache stays as it was.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

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

    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.prices.lookup import price_in_force
    from my_deepagent.prices.openrouter import fetch_prices
    from my_deepagent.prices.shipped import shipped_prices
    from my_deepagent.prices.user import user_prices
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.prices import cached_prices, replace_cached_prices

    settings = get_settings()
    base_url = settings.openrouter_base_url
    async with open_database(settings) as db:
        if refresh:
            fetched = await asyncio.to_thread(fetch_prices, base_url)
            await replace_cached_prices(db, fetched)
            if not as_json:
                sys.stdout.write(msg("runs.prices_read", count=len(fetched)) + "\n")
        cached = await cached_prices(db)
    models = sorted({p.model for p in load_user_catalog().personas()})
    own = user_prices(settings.paths.config_dir)
    prices = {m: price_in_force(m, shipped_prices(), cached, base_url, own) for m in models}
    if as_json:
        print_json([_price_json(model, price) for model, price in prices.items()])
        return
    print_table(
        msg("runs.table_prices"),
        ["model", "input", "output", "cached input", "source", "as of"],
        [_price_row(model, price) for model, price in prices.items()],
    )


def _price_json(model: str, price: ModelPrice | None) -> dict[str, Any]:
    if price is None:
        return {"model": model, "known": False}
    return {
        "model": model,
        "known": True,
        "input_per_mtok": str(price.input),
        "output_per_mtok": str(price.output),
        "cached_input_per_mtok": None if price.cached_input is None else str(price.cached_input),
        "origin": price.origin,
        "source": price.source,
        "as_of": price.as_of.isoformat(),
        "fetched_at": price.fetched_at.isoformat() if price.fetched_at else None,
        "age_days": _age_days(price.as_of),
    }


def _price_row(model: str, price: ModelPrice | None) -> list[str]:
    if price is None:
        return [model, "unknown", "unknown", "unknown", "no price: cost shows as unknown", ""]
    cached = "-" if price.cached_input is None else _dollars(price.cached_input)
    origin = {"openrouter": "OpenRouter", "user": "yours"}.get(price.origin, "shipped")
    age = _age_days(price.as_of)
    return [
        model, _dollars(price.input), _dollars(price.output), cached,
        f"{origin}: {price.source}", f"{price.as_of.isoformat()} ({age} days ago)",
    ]  # fmt: skip


def _dollars(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _age_days(as_of: date) -> int:
    return (datetime.now(UTC).date() - as_of).days
