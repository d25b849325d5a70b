"""Timeouts and retry policies every mda workflow uses for its activities.

An agent activity heartbeats; a dead worker is noticed after `AGENT_HEARTBEAT` and the
retry resumes the LangGraph thread. Every policy is bounded: a payload
that can never fit would otherwise be retried forever.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

AGENT_TIMEOUT = timedelta(hours=2)
AGENT_HEARTBEAT = timedelta(seconds=8)
AGENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=6,
)
IO_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=5)
IO_TIMEOUT = timedelta(minutes=5)
LEDGER_TIMEOUT = timedelta(seconds=30)


def failure_message(failure: ActivityError) -> str:
    """The innermost message of an activity failure, on one line."""
    error: BaseException = failure
    while error.__cause__ is not None:
        error = error.__cause__
    message = error.message if isinstance(error, ApplicationError) else str(error)
    return " ".join(message.split())[:500]
