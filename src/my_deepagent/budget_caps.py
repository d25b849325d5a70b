"""The caps a new run or session starts with: the configuration, then the command line.

The configuration is `MDA_BUDGET_*` or `budget_*` in config.toml (see `settings.py`);
`mda start --budget-usd` sets the run's cap and `mda chat --budget-usd` the session's.
A run or session keeps the caps it started with (they travel in its workflow input);
a `raise_budget` signal changes them for that run or session only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from my_deepagent.domain.budget import (
    BudgetCaps,
    BudgetError,
    Cap,
    Policy,
    Scope,
    parse_policy,
    parse_scope,
    parse_usd,
)
from my_deepagent.errors import MdaError
from my_deepagent.settings import Settings

T = TypeVar("T")


def usd_option(value: str | None, flag: str = "--budget-usd") -> Decimal | None:
    """A command line's dollar amount; a bad one is a one-line MdaError naming the flag."""
    return _option(value, lambda text: parse_usd(text, what=flag), "")


def policy_option(value: str | None, flag: str = "--budget-policy") -> Policy | None:
    return _option(value, parse_policy, f"{flag}: ")


def scope_option(value: str | None, flag: str = "--scope") -> Scope | None:
    return _option(value, parse_scope, f"{flag}: ")


def _option(value: str | None, parse: Callable[[str], T], prefix: str) -> T | None:
    if value is None:
        return None
    try:
        return parse(value)
    except BudgetError as exc:
        raise MdaError(f"{prefix}{exc.shown}") from None


def configured_caps(
    settings: Settings,
    *,
    run_usd: Decimal | None = None,
    session_usd: Decimal | None = None,
    policy: Policy | None = None,
) -> BudgetCaps:
    """The caps of the configuration, with the run's or session's own cap when given
    (`policy` is then that cap's policy)."""
    amounts: dict[Scope, Decimal | None] = {
        "run": run_usd or settings.budget_run_usd,
        "session": session_usd or settings.budget_session_usd,
        "day": settings.budget_day_usd,
        "persona_day": settings.budget_persona_day_usd,
    }
    policies: dict[Scope, Policy | None] = {
        "run": (policy if run_usd else None) or settings.budget_run_policy,
        "session": (policy if session_usd else None) or settings.budget_session_policy,
        "day": settings.budget_day_policy,
        "persona_day": settings.budget_persona_day_policy,
    }
    caps: dict[str, Cap | None] = {
        scope: None
        if amount is None
        else Cap(usd=str(amount), policy=policies[scope] or settings.budget_policy)
        for scope, amount in amounts.items()
    }
    return BudgetCaps.model_validate({**caps, "warn_at": settings.budget_warn_at})
