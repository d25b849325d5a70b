"""Spending and tokens grouped by model, persona, UTC day or template (`mda stats`).

Sums are exact (`Decimal` over the ledger's decimal strings). A call whose cost is
unknown (its model has no price) is counted in `unpriced_calls` and adds nothing to
`cost_usd`, which is then a lower bound. A session's calls have no template: they
group under "(sessions)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import select

from my_deepagent.store.database import Database
from my_deepagent.store.tables import LlmCallRow, RunRow

GroupBy = Literal["model", "persona", "day", "template"]
GROUPS: tuple[GroupBy, ...] = get_args(GroupBy)
SESSIONS_GROUP = "(sessions)"


@dataclass
class StatRow:
    key: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)
    unpriced_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost_usd": str(self.cost_usd),
            "unpriced_calls": self.unpriced_calls,
        }


async def call_stats(db: Database, by: GroupBy, since: datetime | None = None) -> list[StatRow]:
    """One row per group, the most expensive first (by day: oldest first)."""
    query = select(
        LlmCallRow.model,
        LlmCallRow.persona_ref,
        LlmCallRow.created_at,
        RunRow.template_ref,
        LlmCallRow.session_id,
        LlmCallRow.input_tokens,
        LlmCallRow.output_tokens,
        LlmCallRow.cached_tokens,
        LlmCallRow.reasoning_tokens,
        LlmCallRow.cost_usd,
    ).outerjoin(RunRow, RunRow.id == LlmCallRow.run_id)
    if since is not None:
        query = query.where(LlmCallRow.created_at >= since)
    key_of: dict[GroupBy, Callable[[Any], str]] = {
        "model": lambda r: r.model,
        "persona": lambda r: r.persona_ref or "(none)",
        "day": lambda r: r.created_at.date().isoformat(),
        "template": lambda r: r.template_ref or SESSIONS_GROUP,
    }
    groups: dict[str, StatRow] = {}
    async with db.read() as session:
        for row in (await session.execute(query)).all():
            key = key_of[by](row)
            stat = groups.setdefault(key, StatRow(key))
            stat.calls += 1
            stat.input_tokens += row.input_tokens
            stat.output_tokens += row.output_tokens
            stat.cached_tokens += row.cached_tokens
            stat.reasoning_tokens += row.reasoning_tokens
            if row.cost_usd is None:
                stat.unpriced_calls += 1
            else:
                stat.cost_usd += Decimal(row.cost_usd)
    if by == "day":
        return sorted(groups.values(), key=lambda s: s.key)
    return sorted(groups.values(), key=lambda s: (-s.cost_usd, -s.calls, s.key))
