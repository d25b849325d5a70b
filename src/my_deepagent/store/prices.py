"""The cached OpenRouter price list: replaced as a whole by each refresh, read by
`prices.lookup` (a failed refresh never touches it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select

from my_deepagent.store.database import Database
from my_deepagent.store.tables import ModelPriceRow


class CachedPrice(BaseModel):
    """One model of OpenRouter's list, in dollars per million tokens."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    input: Decimal
    output: Decimal
    cached_input: Decimal | None
    fetched_at: datetime


async def replace_cached_prices(db: Database, prices: list[CachedPrice]) -> None:
    async with db.write() as session:
        await session.execute(delete(ModelPriceRow))
        session.add_all(
            ModelPriceRow(
                model_id=p.model_id,
                input=str(p.input),
                output=str(p.output),
                cached_input=None if p.cached_input is None else str(p.cached_input),
                fetched_at=p.fetched_at,
            )
            for p in prices
        )


async def cached_prices(db: Database, model_ids: list[str] | None = None) -> dict[str, CachedPrice]:
    """The cached prices, all of them or those of `model_ids`, by model id."""
    query = select(ModelPriceRow)
    if model_ids is not None:
        query = query.where(ModelPriceRow.model_id.in_(model_ids))
    async with db.read() as session:
        rows = (await session.scalars(query)).all()
    return {
        row.model_id: CachedPrice(
            model_id=row.model_id,
            input=Decimal(row.input),
            output=Decimal(row.output),
            cached_input=None if row.cached_input is None else Decimal(row.cached_input),
            fetched_at=row.fetched_at,
        )
        for row in rows
    }
