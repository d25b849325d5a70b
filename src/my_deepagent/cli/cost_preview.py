"""The cost preview table `mda start` prints (the arithmetic is `preview.py`'s)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from my_deepagent.domain.budget import SCOPES, scope_name, usd_text

if TYPE_CHECKING:
    from my_deepagent.domain.pricing import ModelPrice
    from my_deepagent.preview import Preview
    from my_deepagent.store.database import Database
    from my_deepagent.workflows.run_types import RunInput


async def cost_preview(db: Database, run_input: RunInput, requirements: str) -> Preview:
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.preview import preview_run
    from my_deepagent.prices.lookup import current_price
    from my_deepagent.settings import get_settings

    catalog = load_user_catalog()
    models = {catalog.persona(plan.persona_ref).model for plan in run_input.phases}
    prices: dict[str, ModelPrice | None] = {
        model: await current_price(db, get_settings(), model) for model in sorted(models)
    }
    return preview_run(run_input, catalog, requirements, prices)


def print_preview(preview: Preview) -> None:
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_table

    rows = [
        (
            p.phase,
            p.persona,
            p.model,
            f"${p.price.input}/${p.price.output}" if p.price else "unknown",
            str(p.calls),
            f"{p.input_tokens:,} / {p.output_tokens:,}",
            usd_text(p.usd) if p.usd is not None else "unknown",
        )
        for p in preview.phases
    ]
    print_table(
        msg("runs.table_preview"),
        ["phase", "persona", "model", "price in/out per M", "calls", "tokens in / out", "cost"],
        rows,
    )
    total = preview.total
    caps = [
        f"{scope_name(scope, shown=True)} {usd_text(cap.usd)} ({cap.policy})"
        for scope in SCOPES
        if (cap := preview.caps.cap(scope)) is not None
    ]
    line = msg(
        "runs.preview_total",
        total=usd_text(total) if total is not None else msg("runs.preview_unknown"),
        caps="; ".join(caps) if caps else msg("runs.preview_no_caps"),
    )
    sys.stdout.write(line + "\n")
