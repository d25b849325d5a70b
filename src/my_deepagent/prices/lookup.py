"""The price in force for a model: yours (`prices.yaml` in mda's config folder), else
OpenRouter's cached price when mda has one for it, else the shipped one, else none
(the cost is then unknown, never 0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from my_deepagent.domain.pricing import ModelPrice, find_price, openrouter_id
from my_deepagent.prices.openrouter import models_url
from my_deepagent.prices.shipped import shipped_prices
from my_deepagent.prices.user import user_prices
from my_deepagent.settings import Settings
from my_deepagent.store.database import Database
from my_deepagent.store.prices import CachedPrice, cached_prices

if TYPE_CHECKING:
    from my_deepagent.domain.catalog import Catalog


def price_in_force(
    model: str,
    shipped: tuple[ModelPrice, ...],
    cached: Mapping[str, CachedPrice],
    base_url: str,
    own: tuple[ModelPrice, ...] = (),
) -> ModelPrice | None:
    mine = find_price(list(own), model)
    if mine is not None:
        return mine
    key = openrouter_id(model)
    fresh = cached.get(key) if key is not None else None
    if fresh is not None:
        return ModelPrice(
            model=model,
            input=fresh.input,
            output=fresh.output,
            cached_input=fresh.cached_input,
            as_of=fresh.fetched_at.date(),
            source=models_url(base_url),
            origin="openrouter",
            fetched_at=fresh.fetched_at,
        )
    return find_price(list(shipped), model)


async def current_price(db: Database, settings: Settings, model: str) -> ModelPrice | None:
    """`price_in_force` with the model's cached price read from mda's database (one
    row, not the whole list: this runs each time an agent is built)."""
    key = openrouter_id(model)
    cached = await cached_prices(db, [key]) if key is not None else {}
    own = user_prices(settings.paths.config_dir)
    return price_in_force(model, shipped_prices(), cached, settings.openrouter_base_url, own)


async def persona_prices(
    db: Database, settings: Settings, catalog: Catalog
) -> dict[str, ModelPrice | None]:
    """The price in force of every persona's model (`mda pricing`), by model."""
    cached = await cached_prices(db)
    own = user_prices(settings.paths.config_dir)
    base_url = settings.openrouter_base_url
    models = sorted({p.model for p in catalog.personas()})
    return {m: price_in_force(m, shipped_prices(), cached, base_url, own) for m in models}
