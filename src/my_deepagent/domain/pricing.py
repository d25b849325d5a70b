"""Model prices and what a call costs: pure data and arithmetic, no I/O.

A price is US dollars per million tokens for input, output and cached input (cached
input tokens are part of the input count, billed at the cached rate). Costs are
`Decimal`, so that sums over a ledger are exact. A model without a known price has
no cost (`None`), never a cost of 0.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PER_MILLION = Decimal(1_000_000)
PriceSource = Literal["shipped", "openrouter", "user"]


class ModelPrice(BaseModel):
    """The price of one model (`provider:name`; `scripted:*` matches every name)."""

    model_config = ConfigDict(frozen=True)

    model: str
    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cached_input: Decimal | None = Field(default=None, ge=0)
    as_of: date
    source: str
    origin: PriceSource = "shipped"
    fetched_at: datetime | None = None

    def cost(self, *, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> Decimal:
        """US dollars for one call; reasoning tokens are part of `output_tokens`."""
        cached = min(max(cached_tokens, 0), input_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        total = (
            (input_tokens - cached) * self.input
            + cached * cached_rate
            + output_tokens * self.output
        )
        return total / PER_MILLION


def openrouter_id(model: str) -> str | None:
    """OpenRouter's id for an mda model (`openai:gpt-4.1` -> `openai/gpt-4.1`), or None
    for models it does not sell (local servers, the scripted model)."""
    provider, _, name = model.partition(":")
    if provider == "openrouter":
        return name
    if provider == "openai":
        return f"openai/{name}"
    if provider == "anthropic":
        # Anthropic writes versions with dashes (claude-sonnet-4-5), OpenRouter with a dot.
        return "anthropic/" + re.sub(r"-(\d+)-(\d+)$", r"-\1.\2", name)
    return None


def find_price(prices: list[ModelPrice], model: str) -> ModelPrice | None:
    """The price of `model`: an exact entry first, then a `provider:*` one."""
    exact = next((p for p in prices if p.model == model), None)
    if exact is not None:
        return exact
    provider = model.partition(":")[0]
    return next((p for p in prices if p.model == f"{provider}:*"), None)
