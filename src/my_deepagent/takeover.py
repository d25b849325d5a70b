"""Taking over the activities of a dead worker of this host, at a worker's start.

Temporal learns that a worker died only through its activities' timeouts: an agent
activity (a phase, a turn) is retried once its heartbeat is `AGENT_HEARTBEAT` late,
then after the retry policy's first interval, about 10 s in all; an activity that
does not heartbeat waits out its start-to-close timeout. A starting worker can know
better for the workers of its own host: before it polls, `take_over` lists the open
workflows on mda's task queue, describes each, and for every activity attempt still
running (`STARTED`) on a worker identity (`<pid>@<host>`, `worker_health.worker_identity`)
that it knows is gone, fails that attempt at once through the client (async activity
completion by workflow id and activity id) with an `ApplicationError` whose
`next_retry_delay` asks for the retry now. The retry resumes the agent's LangGraph
thread like any other (completed model calls are not made again).

A worker is known gone when its identity names this host and its pid no longer runs,
or runs a process that started after the attempt did (the pid was reused; where the
start time is unknown, outside Linux: a process that is not an mda worker); an
identity naming this very process is a previous process that had our pid (we have
not polled yet). A process that predates the attempt is the one running it, left
alone, even when it hosts a worker in-process (a test or a benchmark). Workers of other hosts
are left to Temporal: for them the heartbeat timeout stays the bound. Workers that
share a host name must share a pid namespace too (one machine, or containers with
host names of their own, as compose and Kubernetes give them).

It is cheap and never in the way: one visibility query and one describe per open
workflow, a few at a time, bounded by `TAKEOVER_TIMEOUT_S`; every error is logged and
the worker starts anyway. Takeovers of one data folder are serialised by a file lock,
so two workers starting together do not both fail the same attempt (the second then
sees the retry running on a live worker).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from my_deepagent.worker_health import worker_identity

if TYPE_CHECKING:
    from temporalio.api.workflow.v1 import PendingActivityInfo
    from temporalio.client import Client

TAKEOVER_TIMEOUT_S = 5.0
DESCRIBE_AT_ONCE = 8
MAX_WORKFLOWS = 2000
RETRY_NOW = timedelta(milliseconds=1)
"""The retry's delay: the SDK does not send a zero `next_retry_delay` (it reads as unset)."""
REUSE_MARGIN_S = 5.0
"""A process that started this long after the attempt did cannot have run it (the
margin covers the boot time's one-second grain and the server's clock)."""
FAILURE_TYPE = "WorkerGone"
LOCK_NAME = "takeover.lock"

log = logging.getLogger("mda.takeover")


@dataclass(frozen=True)
class TakenOver:
    """One attempt failed at once, so that its retry starts now."""

    workflow_id: str
    run_id: str
    activity_id: str
    activity_type: str
    attempt: int
    worker: str
    reason: str


def failure_message(worker: str, reason: str, attempt: int) -> str:
    """What the failed attempt's failure says (the retry's `last_failure`)."""
    return (
        f"worker {worker} is gone ({reason}): attempt {attempt} taken over at once by "
        f"worker {worker_identity()}"
    )


def is_worker_command(command: str) -> bool:
    """True for the command line of an mda worker: `mda worker [options]` or
    `python -m my_deepagent worker [options]` (not `mda worker stop|status|health`)."""
    words = command.split()
    for index, word in enumerate(words[:-1]):
        named = Path(word).name == "mda" or (
            word == "my_deepagent" and index > 0 and words[index - 1] == "-m"
        )
        if named and words[index + 1] == "worker":
            rest = words[index + 2 : index + 3]
            return not rest or rest[0].startswith("-")
    return False


def gone_reason(
    identity: str,
    attempt_started: float | None,
    *,
    host: str | None = None,
    own_pid: int | None = None,
    command_line: Callable[[int], str | None] | None = None,
    started_at: Callable[[int], float | None] | None = None,
) -> str | None:
    """Why the worker `identity` is known gone, or None when it may be alive (or is
    another host's, or not `<pid>@<host>`). `attempt_started` is when its attempt
    started (Unix time). The keywords stand in for this host and process in tests."""
    from my_deepagent.embedded.processes import process_command_line, process_started_at

    pid_text, at, worker_host = identity.partition("@")
    if not at or not pid_text.isdigit() or worker_host != (host or socket.gethostname()):
        return None
    pid = int(pid_text)
    if pid == (os.getpid() if own_pid is None else own_pid):
        return f"pid {pid} is this starting worker"
    command = (command_line or process_command_line)(pid)
    if command is None:
        return f"pid {pid} no longer runs"
    began = (started_at or process_started_at)(pid)
    if began is not None and attempt_started is not None:
        if began > attempt_started + REUSE_MARGIN_S:
            return f"pid {pid} is a newer process"
        return None  # the very process that started the attempt (maybe a worker in-process)
    if not is_worker_command(command):
        return f"pid {pid} is no longer an mda worker"
    return None


async def take_over(
    client: Client,
    task_queue: str,
    *,
    lock_file: Path | None = None,
    timeout_s: float = TAKEOVER_TIMEOUT_S,
) -> list[TakenOver]:
    """Fail at once the running attempts of dead workers of this host (see the module
    docstring); what was taken over. Never raises: a failure is logged, and whatever
    was done before it or the time ran out stands."""
    started = time.perf_counter()
    done: list[TakenOver] = []
    checked = [0]
    try:
        async with asyncio.timeout(timeout_s):
            if lock_file is None:
                await _take_over(client, task_queue, done, checked)
            else:
                from my_deepagent.embedded.processes import locked_async

                async with locked_async(lock_file, timeout_s):
                    await _take_over(client, task_queue, done, checked)
    except TimeoutError:
        log.warning("takeover: stopped after %.1f s (%d workflows checked)", timeout_s, checked[0])
    except Exception as exc:
        log.warning("takeover: failed, starting anyway: %s", exc)
    log.info(
        "takeover: %d open workflows checked, %d activities of dead workers taken over in %.0f ms",
        checked[0],
        len(done),
        (time.perf_counter() - started) * 1000,
    )
    return done


async def _take_over(
    client: Client, task_queue: str, done: list[TakenOver], checked: list[int]
) -> None:
    if '"' in task_queue or "\\" in task_queue:
        log.warning("takeover: skipped (task queue %r cannot be quoted)", task_queue)
        return
    query = f'TaskQueue = "{task_queue}" AND ExecutionStatus = "Running"'
    open_runs: list[tuple[str, str]] = []
    async for execution in client.list_workflows(query, limit=MAX_WORKFLOWS):
        open_runs.append((execution.id, execution.run_id))
    slots = asyncio.Semaphore(DESCRIBE_AT_ONCE)

    async def one(workflow_id: str, run_id: str) -> None:
        async with slots:
            try:
                await _workflow(client, workflow_id, run_id, done)
            except Exception as exc:
                log.warning("takeover: workflow %s not checked: %s", workflow_id, exc)
            checked[0] += 1

    await asyncio.gather(*(one(workflow_id, run_id) for workflow_id, run_id in open_runs))


async def _workflow(client: Client, workflow_id: str, run_id: str, done: list[TakenOver]) -> None:
    from temporalio.api.enums.v1 import PendingActivityState
    from temporalio.exceptions import ApplicationError

    description = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    for pending in description.raw_description.pending_activities:
        if pending.state != PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
            continue
        reason = gone_reason(pending.last_worker_identity, _attempt_started(pending))
        if reason is None:
            continue
        worker = pending.last_worker_identity
        message = failure_message(worker, reason, pending.attempt)
        handle = client.get_async_activity_handle(
            workflow_id=workflow_id, run_id=run_id, activity_id=pending.activity_id
        )
        try:
            await handle.fail(
                ApplicationError(message, type=FAILURE_TYPE, next_retry_delay=RETRY_NOW)
            )
        except Exception as exc:  # it finished, or timed out, meanwhile
            log.info("takeover: activity %s of %s left: %s", pending.activity_id, workflow_id, exc)
            continue
        taken = TakenOver(
            workflow_id=workflow_id,
            run_id=run_id,
            activity_id=pending.activity_id,
            activity_type=pending.activity_type.name,
            attempt=pending.attempt,
            worker=worker,
            reason=reason,
        )
        done.append(taken)
        log.info(
            "takeover: worker %s is gone (%s): attempt %d of %s (activity %s of %s) "
            "failed so that its retry starts now",
            worker,
            reason,
            taken.attempt,
            taken.activity_type,
            taken.activity_id,
            workflow_id,
        )


def _attempt_started(pending: PendingActivityInfo) -> float | None:
    if not pending.HasField("last_started_time"):
        return None
    return pending.last_started_time.ToDatetime(tzinfo=UTC).timestamp()


__all__ = ["TakenOver", "failure_message", "gone_reason", "is_worker_command", "take_over"]
