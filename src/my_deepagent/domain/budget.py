"""Budget caps: what a run or a session may spend, and what happens at the cap. Pure.

Four scopes, each an optional cap with its own policy:

- `run`: everything one run spends, all its phases and rounds, resumes included;
- `session`: everything one chat session spends;
- `day`: everything mda spends in one UTC day, all runs and sessions together;
- `persona_day`: what one persona spends in one UTC day.

A policy says what happens when the next model call might not fit under a cap:
`block` stops the phase or turn with an error that names the cap and how to raise
it; `prompt` pauses the run or session until someone raises the cap (the
`raise_budget` signal) or aborts; `warn_continue` lets the call go ahead and warns
once when spending passes the cap. Every cap also warns once when spending passes
`warn_at` of it.

Amounts travel as decimal strings (exact, and small in Temporal payloads). This
module is imported by workflow code: no I/O, no clock.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["run", "session", "day", "persona_day"]
Policy = Literal["block", "warn_continue", "prompt"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
POLICIES: tuple[Policy, ...] = get_args(Policy)
DEFAULT_POLICY: Policy = "prompt"
DEFAULT_WARN_AT = 0.8
MAX_USD = Decimal(1_000_000)
BUDGET_STOP_TYPE = "BudgetStop"
"""The error type of an agent activity stopped by a cap; its details hold the gate."""

SCOPE_NAMES: dict[Scope, str] = {
    "run": "the run's budget",
    "session": "the session's budget",
    "day": "today's budget (all runs and sessions, UTC day)",
    "persona_day": "the persona's budget for today (UTC day)",
}


class BudgetError(ValueError):
    """A budget amount, scope or policy that cannot be used; the message names the fix."""


def parse_usd(value: str | float | int | Decimal, *, what: str = "a budget") -> Decimal:
    """A positive amount of US dollars (`2`, `0.50`, `$1.25`), or BudgetError."""
    text = str(value).strip().removeprefix("$").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BudgetError(
            f"{what} must be an amount in US dollars such as 2 or 0.50, not {str(value)!r}"
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise BudgetError(f"{what} must be more than $0, not {str(value)!r}")
    if amount > MAX_USD:
        raise BudgetError(f"{what} must be at most ${MAX_USD:,}, not {str(value)!r}")
    return amount


def parse_scope(value: str) -> Scope:
    for scope in SCOPES:
        if value == scope:
            return scope
    raise BudgetError(f"unknown budget scope {value!r}: use one of {', '.join(SCOPES)}")


def parse_policy(value: str) -> Policy:
    for policy in POLICIES:
        if value == policy:
            return policy
    raise BudgetError(f"unknown budget policy {value!r}: use one of {', '.join(POLICIES)}")


def usd_text(amount: Decimal | str) -> str:
    """`$1.23` (cents; below a cent, enough digits to be not zero)."""
    value = Decimal(amount)
    if value == 0 or abs(value) >= Decimal("0.01"):
        return f"${value:,.2f}"
    return f"${value:.6f}".rstrip("0")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cap(_Frozen):
    usd: str
    """The cap in US dollars, a decimal string."""
    policy: Policy = DEFAULT_POLICY

    @property
    def amount(self) -> Decimal:
        return Decimal(self.usd)


class BudgetCaps(_Frozen):
    """The caps one run or session is held to (None: no cap in that scope)."""

    run: Cap | None = None
    session: Cap | None = None
    day: Cap | None = None
    persona_day: Cap | None = None
    warn_at: float = Field(default=DEFAULT_WARN_AT, gt=0, le=1)

    def cap(self, scope: Scope) -> Cap | None:
        cap: Cap | None = getattr(self, scope)
        return cap

    def set(self, scope: Scope, usd: Decimal, policy: Policy | None = None) -> BudgetCaps:
        """These caps with `scope` at `usd` (keeping that cap's policy unless given)."""
        current = self.cap(scope)
        chosen = policy or (current.policy if current else DEFAULT_POLICY)
        return self.model_copy(update={scope: Cap(usd=str(usd), policy=chosen)})

    @property
    def any(self) -> bool:
        return any(self.cap(scope) is not None for scope in SCOPES)


class BudgetGate(_Frozen):
    """A model call that did not fit under a cap: what a paused or blocked agent waits
    for. `needed_usd` is the call's worst case (its reservation)."""

    scope: Scope
    cap_usd: str
    spent_usd: str
    """Spent in the scope, plus what calls in flight elsewhere have reserved."""
    needed_usd: str
    policy: Policy

    def describe(self) -> str:
        return (
            f"{SCOPE_NAMES[self.scope]} of {usd_text(self.cap_usd)} is reached: "
            f"{usd_text(self.spent_usd)} spent, and the next model call may cost up to "
            f"{usd_text(self.needed_usd)}"
        )

    def suggested_cap(self) -> Decimal:
        """A cap the paused call fits under with room to spare: double what it needs."""
        need = Decimal(self.spent_usd) + Decimal(self.needed_usd)
        return max(need * 2, Decimal(self.cap_usd) * 2).quantize(Decimal("0.01"))


class RaiseBudgetSignal(BaseModel):
    """The `raise_budget` signal: the new cap of one scope, in US dollars.

    Typed by people in the Temporal UI, so both fields are read leniently and checked
    by the workflow (a bad value is recorded as ignored, never a workflow failure)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    scope: str | None = None
    """None: the scope of the pending budget gate."""
    usd: str | float | int = ""
