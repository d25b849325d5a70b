"""Finding a row by a unique prefix of its id (runs and sessions: `mda runs show 3f2a9c`).

The rule is shared: ids are lowercase hex, a reference may carry the workflow id's
`run-`/`session-` prefix, and at least `MIN_PREFIX` characters are needed. What the
user reads when it fails stays with each caller, which knows the noun and command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from my_deepagent.store.database import Database

MIN_PREFIX = 6
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class PrefixMatches:
    needle: str
    """The reference normalised: lower case, without the workflow-id prefix."""
    rows: list[Any]
    """Up to `limit` rows whose id starts with it, by id; the exact id first."""

    @property
    def too_short(self) -> bool:
        return len(self.needle) < MIN_PREFIX

    @property
    def hexadecimal(self) -> bool:
        return _HEX.fullmatch(self.needle) is not None


async def prefix_matches(
    db: Database, row_type: Any, ref: str, *, workflow_prefix: str, limit: int, to: Any
) -> PrefixMatches:
    """The rows of `row_type` (converted with `to.model_validate`) matching `ref`."""
    needle = ref.strip().lower().removeprefix(workflow_prefix)
    found = PrefixMatches(needle, [])
    if found.too_short or not found.hexadecimal:
        return found
    query = (
        select(row_type)
        .where(row_type.id.startswith(needle, autoescape=True))
        .order_by(row_type.id)
        .limit(limit)
    )
    async with db.read() as session:
        rows = [to.model_validate(row) for row in (await session.scalars(query)).all()]
    exact = [row for row in rows if row.id == needle]
    return PrefixMatches(needle, exact or rows)
