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
module is imported by workflow code: no I/O, no clock, and its messages are English
(what workflows and activities record); `shown` variants give the same message in the
person's language for the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from my_deepagent.catalogue import english, msg

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
    "run": english("assets.scope_run"),
    "session": english("assets.scope_session"),
    "day": english("assets.scope_day"),
    "persona_day": english("assets.scope_persona_day"),
}
"""Each scope's name in English, for what workflows and activities record."""


def scope_name(scope: Scope, *, shown: bool = False) -> str:
    """The scope's name: English, or with `shown` in the person's language."""
    if not shown:
        return SCOPE_NAMES[scope]
    names: dict[Scope, str] = {
        "run": msg("assets.scope_run"),
        "session": msg("assets.scope_session"),
        "day": msg("assets.scope_day"),
        "persona_day": msg("assets.scope_persona_day"),
    }
    return names[scope]


class BudgetError(ValueError):
    """A budget amount, scope or policy that cannot be used; the message names the fix.

    `str()` is English (workflow code records it); `shown` is the same message in the
    person's language, for the command line."""

    def __init__(self, message: str, shown: Callable[[], str]) -> None:
        super().__init__(message)
        self._shown = shown

    @property
    def shown(self) -> str:
        return self._shown()


def parse_usd(value: str | float | int | Decimal, *, what: str = "a budget") -> Decimal:
    """A positive amount of US dollars (`2`, `0.50`, `$1.25`), or BudgetError."""
    text = str(value).strip().removeprefix("$").strip()
    given = repr(str(value))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BudgetError(
            english("assets.budget_not_usd", what=what, value=given),
            lambda: msg("assets.budget_not_usd", what=what, value=given),
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise BudgetError(
            english("assets.budget_not_positive", what=what, value=given),
            lambda: msg("assets.budget_not_positive", what=what, value=given),
        )
    if amount > MAX_USD:
        most = f"{MAX_USD:,}"
        raise BudgetError(
            english("assets.budget_too_large", what=what, most=most, value=given),
            lambda: msg("assets.budget_too_large", what=what, most=most, value=given),
        )
    return amount


def parse_scope(value: str) -> Scope:
    for scope in SCOPES:
        if value == scope:
            return scope
    given, scopes = repr(value), ", ".join(SCOPES)
    raise BudgetError(
        english("assets.budget_unknown_scope", value=given, scopes=scopes),
        lambda: msg("assets.budget_unknown_scope", value=given, scopes=scopes),
    )


def parse_policy(value: str) -> Policy:
    for policy in POLICIES:
        if value == policy:
            return policy
    given, policies = repr(value), ", ".join(POLICIES)
    raise BudgetError(
        english("assets.budget_unknown_policy", value=given, policies=policies),
        lambda: msg("assets.budget_unknown_policy", value=given, policies=policies),
    )


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

    def describe(self, *, shown: bool = False) -> str:
        """Which cap is reached and by how much: English (what activities record), or
        with `shown` in the person's language."""
        fields = {
            "scope": scope_name(self.scope, shown=shown),
            "cap": usd_text(self.cap_usd),
            "spent": usd_text(self.spent_usd),
            "needed": usd_text(self.needed_usd),
        }
        if shown:
            return msg("assets.budget_gate", **fields)
        return english("assets.budget_gate", **fields)

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
