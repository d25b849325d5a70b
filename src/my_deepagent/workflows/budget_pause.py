"""Reading a budget stop out of an agent activity's failure (workflow-safe, no I/O)."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.exceptions import ActivityError, ApplicationError

from my_deepagent.domain.budget import BUDGET_STOP_TYPE, BudgetGate


def budget_gate(failure: ActivityError) -> BudgetGate | None:
    """The gate an activity stopped at, when a budget cap stopped it."""
    cause = failure.cause
    if not isinstance(cause, ApplicationError) or cause.type != BUDGET_STOP_TYPE:
        return None
    if not cause.details:
        return None
    try:
        return BudgetGate.model_validate(cause.details[0])
    except ValidationError:
        return None
