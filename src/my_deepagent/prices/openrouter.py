"""OpenRouter's public model list (`GET <base>/models`, no key needed), as prices.

OpenRouter gives prices in dollars per token as decimal strings (`"0.000003"`); mda
keeps dollars per million tokens. Models without a usable price (negative, meaning
"varies", or missing) are left out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from my_deepagent.catalogue import msg
from my_deepagent.domain.pricing import PER_MILLION
from my_deepagent.errors import MdaError
from my_deepagent.store.prices import CachedPrice

TIMEOUT_S = 20.0


def models_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/models"


def fetch_prices(base_url: str, *, timeout_s: float = TIMEOUT_S) -> list[CachedPrice]:
    """The priced models of OpenRouter's list; MdaError (exit 1) in one line when the
    list cannot be read."""
    import httpx  # only a refresh goes online

    url = models_url(base_url)
    try:
        response = httpx.get(url, timeout=timeout_s, follow_redirects=True)
        response.raise_for_status()
        body = response.json()
    except httpx.HTTPStatusError as exc:
        raise _unreadable(url, f"HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        raise _unreadable(
            url, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        ) from None
    except ValueError:
        raise _unreadable(url, msg("assets.price_answer_not_json")) from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise _unreadable(url, msg("assets.price_answer_no_list"))
    now = datetime.now(UTC)
    return [price for entry in body["data"] if (price := _price(entry, now)) is not None]


def _unreadable(url: str, why: str) -> MdaError:
    return MdaError(msg("assets.price_list_unreadable", url=url, why=why), exit_code=1)


def _price(entry: Any, fetched_at: datetime) -> CachedPrice | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        return None
    prompt, completion = (
        _per_million(pricing.get("prompt")),
        _per_million(pricing.get("completion")),
    )
    if prompt is None or completion is None:
        return None
    return CachedPrice(
        model_id=entry["id"],
        input=prompt,
        output=completion,
        cached_input=_per_million(pricing.get("input_cache_read")),
        fetched_at=fetched_at,
    )


def _per_million(value: Any) -> Decimal | None:
    if not isinstance(value, (str, int, float)):
        return None
    try:
        per_token = Decimal(str(value))
    except InvalidOperation:
        return None
    if not per_token.is_finite() or per_token < 0:
        return None
    return (per_token * PER_MILLION).normalize()
