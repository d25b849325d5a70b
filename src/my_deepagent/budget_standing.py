"""What has been spent against each cap: today, per persona today, each active run and
session. Read from mda's database alone (no Temporal): `mda budget` and the REPL's
`/budget` print it.

A run's cap is the one it started with, or the last `raise_budget` it took (its
`budget.raised` event); a session's is its own (`sessions.budget`) or the
configuration's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from my_deepagent.budget_caps import configured_caps
from my_deepagent.catalogue import english, msg
from my_deepagent.domain.budget import BudgetCaps, Cap, Scope, usd_text
from my_deepagent.settings import Settings
from my_deepagent.store.budget import spent, spent_matching
from my_deepagent.store.database import Database
from my_deepagent.store.events import list_events
from my_deepagent.store.records import ACTIVE_RUN_STATES, EventType, RunRecord, SessionRecord
from my_deepagent.store.runs import list_runs
from my_deepagent.store.sessions import list_sessions


@dataclass(frozen=True)
class Line:
    """One scope's spending against its cap (None: no cap).

    `name` is English (JSON and tab-separated output); `label`, the same in the
    person's language, is what `text()` shows (the name when there is none)."""

    scope: Scope
    name: str
    spent: Decimal
    cap: Cap | None
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "name": self.name,
            "spent_usd": str(self.spent),
            "cap_usd": self.cap.usd if self.cap else None,
            "policy": self.cap.policy if self.cap else None,
            "left_usd": str(self.cap.amount - self.spent) if self.cap else None,
        }

    def text(self) -> str:
        name, spent = self.label or self.name, usd_text(self.spent)
        if self.cap is None:
            return msg("runs.standing_no_cap", name=name, spent=spent)
        share = f"{100 * self.spent / self.cap.amount:.0f}"
        return msg(
            "runs.standing_of_cap",
            name=name,
            spent=spent,
            cap=usd_text(self.cap.usd),
            share=share,
            policy=self.cap.policy,
        )


async def standing(
    db: Database, settings: Settings, *, session: SessionRecord | None = None
) -> list[Line]:
    """Today, each persona today, each active run, and the active sessions (or just
    `session`)."""
    today = datetime.now(UTC).date()
    caps = configured_caps(settings)
    day_key = f"day:{today.isoformat()}"
    date = today.isoformat()
    lines = [
        Line(
            "day",
            english("runs.label_today", date=date),
            (await spent(db, [day_key]))[day_key],
            caps.day,
            msg("runs.label_today", date=date),
        )
    ]
    for key, amount in sorted((await spent_matching(db, f"persona_day:%:{today}")).items()):
        persona = key.removeprefix("persona_day:").rsplit(":", 1)[0]
        name = english("runs.label_persona_today", persona=persona)
        label = msg("runs.label_persona_today", persona=persona)
        lines.append(Line("persona_day", name, amount, caps.persona_day, label))
    for run in await list_runs(db, states=list(ACTIVE_RUN_STATES)):
        key = f"run:{run.id}"
        cap = await run_cap(db, run)
        name = english("runs.label_run", run=run.id[:8], state=run.state.value)
        label = msg("runs.label_run", run=run.id[:8], state=run.state.value)
        lines.append(Line("run", name, (await spent(db, [key]))[key], cap, label))
    sessions = [session] if session is not None else await list_sessions(db, state="active")
    for record in sessions:
        key = f"session:{record.id}"
        amount = (await spent(db, [key]))[key]
        cap = session_caps(record, settings).session
        if session is None and amount == 0 and cap is None:
            continue
        name = english("runs.label_session", session=record.id[:8])
        label = msg("runs.label_session", session=record.id[:8])
        lines.append(Line("session", name, amount, cap, label))
    return lines


async def run_cap(db: Database, run: RunRecord) -> Cap | None:
    from my_deepagent.workflows.run_types import RunInput

    try:
        cap = RunInput.model_validate(run.bindings).budget.run
    except ValidationError:
        cap = None
    for event in await list_events(db, run.id):
        if event.type == EventType.BUDGET_RAISED and event.payload.get("scope") == "run":
            usd = event.payload.get("cap_usd")
            if isinstance(usd, str):
                cap = Cap(usd=usd, policy=cap.policy if cap else "prompt")
    return cap


def session_caps(record: SessionRecord, settings: Settings) -> BudgetCaps:
    if record.budget:
        try:
            return BudgetCaps.model_validate(record.budget)
        except ValidationError:
            pass
    return configured_caps(settings)
