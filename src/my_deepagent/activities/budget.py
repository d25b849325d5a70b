"""Budget stops as Temporal failures, and the caps an agent activity is held to.

A `BudgetStop` raised by the guard before a model call leaves the activity as a
non-retryable `ApplicationError` of type `BUDGET_STOP_TYPE` whose details hold the
gate: the workflow reads the gate's policy and either fails the phase or turn
(`block`) or pauses until the cap is raised (`prompt`). The thread's checkpoints are
untouched, so whoever continues it makes the stopped call and nothing before it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from temporalio.exceptions import ApplicationError

from my_deepagent.agents.budget_guard import BudgetStop
from my_deepagent.domain.budget import BUDGET_STOP_TYPE, BudgetGate


@contextlib.contextmanager
def budget_stops(how_to_raise: Callable[[BudgetGate], str]) -> Iterator[None]:
    try:
        yield
    except BudgetStop as stop:
        message = f"{stop.gate.describe()}: {how_to_raise(stop.gate)}"
        raise ApplicationError(
            message, stop.gate.model_dump(mode="json"), type=BUDGET_STOP_TYPE, non_retryable=True
        ) from None
