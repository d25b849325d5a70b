"""The prices shipped with mda (`assets/pricing.yaml`)."""

from __future__ import annotations

import functools
from importlib.resources import files

import yaml
from pydantic import TypeAdapter, ValidationError

from my_deepagent.catalogue import msg
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.errors import AssetError

PRICING_ASSET = "pricing.yaml"


@functools.cache
def shipped_prices() -> tuple[ModelPrice, ...]:
    text = (files("my_deepagent") / "assets" / PRICING_ASSET).read_text(encoding="utf-8")
    try:
        return tuple(TypeAdapter(list[ModelPrice]).validate_python(yaml.safe_load(text)))
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise AssetError(
            msg("assets.shipped_prices_invalid", file=PRICING_ASSET, problem=first)
        ) from None
