"""`/api/personas`, `/api/templates`, `/api/pricing`, `/api/budget`, `/api/stats`: what
a run or a session can use, and what it has cost, as the CLI's `--json` shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends

from my_deepagent.api.app import ApiState, state
from my_deepagent.api.models import (
    PersonaList,
    PersonaView,
    PriceList,
    PriceView,
    Spending,
    SpendingLine,
    StatLine,
    Stats,
    TemplateList,
    TemplateView,
)

router = APIRouter(prefix="/api", tags=["catalog and spending"])
GroupBy = Literal["model", "persona", "day", "template"]
State = Annotated[ApiState, Depends(state)]


def _split(shape: dict[str, Any], top: tuple[str, ...]) -> dict[str, Any]:
    """`--json`'s flat shape as the API's: the named fields, the rest as `definition`."""
    return {
        **{key: shape[key] for key in top},
        "definition": {k: v for k, v in shape.items() if k not in top},
    }


@router.get("/personas", response_model=PersonaList)
async def personas() -> PersonaList:
    """Every persona, shipped and the user's own (`mda personas list --json`)."""
    from my_deepagent.catalog_views import persona_json
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    found = [
        PersonaView.model_validate(
            _split(persona_json(p, catalog), ("ref", "hash", "provider", "source"))
        )
        for p in catalog.personas()
    ]
    return PersonaList(personas=found)


@router.get("/templates", response_model=TemplateList)
async def templates() -> TemplateList:
    """Every workflow template (`mda templates list --json`)."""
    from my_deepagent.catalog_views import template_json
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    found = [
        TemplateView.model_validate(_split(template_json(t, catalog), ("ref", "hash", "source")))
        for t in catalog.templates()
    ]
    return TemplateList(templates=found)


@router.get("/pricing", response_model=PriceList)
async def pricing(st: State) -> PriceList:
    """The price in force for every persona's model (`mda pricing --json`)."""
    from my_deepagent.catalog_views import price_json
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.prices.lookup import persona_prices

    prices = await persona_prices(st.db, st.settings, load_user_catalog())
    return PriceList(prices=[PriceView.model_validate(price_json(m, p)) for m, p in prices.items()])


@router.get("/budget", response_model=Spending)
async def budget(st: State) -> Spending:
    """Spending against each cap: today, per persona, active runs and sessions."""
    from my_deepagent.budget_standing import standing

    lines = await standing(st.db, st.settings)
    return Spending(lines=[SpendingLine.model_validate(line.to_json()) for line in lines])


@router.get("/stats", response_model=Stats)
async def stats(
    st: State,
    by: Literal["model", "persona", "day", "template"] = "model",
    since: date | None = None,
) -> Stats:
    """Model calls and their cost, grouped (`mda stats --by ... --since ...`)."""
    from my_deepagent.store.stats import call_stats

    start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    rows = await call_stats(st.db, by, start)
    return Stats(by=by, lines=[StatLine.model_validate(row.to_json()) for row in rows])
