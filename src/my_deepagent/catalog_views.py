"""The JSON shapes of personas, templates and prices: what `--json` prints and the
HTTP API returns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from my_deepagent.domain import Catalog, Persona, Template
    from my_deepagent.domain.pricing import ModelPrice


def persona_json(persona: Persona, catalog: Catalog) -> dict[str, Any]:
    source = catalog.source("persona", persona.ref)
    return {
        "ref": persona.ref,
        "hash": persona.hash,
        "provider": persona.provider,
        "source": {"origin": source.origin, "path": source.path},
        **persona.model_dump(mode="json", by_alias=True),
    }


def template_json(template: Template, catalog: Catalog) -> dict[str, Any]:
    source = catalog.source("template", template.ref)
    return {
        "ref": template.ref,
        "hash": template.hash,
        "source": {"origin": source.origin, "path": source.path},
        **template.model_dump(mode="json", by_alias=True),
    }


def price_json(model: str, price: ModelPrice | None) -> dict[str, Any]:
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
        "age_days": age_days(price.as_of),
    }


def age_days(as_of: date) -> int:
    return (datetime.now(UTC).date() - as_of).days
