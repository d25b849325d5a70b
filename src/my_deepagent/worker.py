"""The Worker: one process hosting mda's workflows and activities.

Settings that matter when a worker dies: the workflow task of a
killed worker waits `sticky_queue_schedule_to_start_timeout` before it moves off the
dead worker's sticky queue, and the dead worker's setting is the one that counts, so
every worker sets it short. A SIGTERM or SIGINT shuts the worker down gracefully:
polling stops, running activities get `GRACEFUL_SHUTDOWN` to finish, then they are
cancelled (their retries resume from their last checkpoint elsewhere).

Heartbeats reach the server at most `HEARTBEAT_THROTTLE` apart: the SDK otherwise
holds them back for 80% of the heartbeat timeout (16 s for a phase), and a heartbeat's
reply is how an activity learns that `abort` cancelled it.

The worker's identity is `<pid>@<host>`, which `client.ensure_worker` reads to tell
a live local poller from one the server still lists after it stopped, and a starting
worker to tell the activities of a dead worker of this host: before it polls, it fails
their running attempts so that they are retried at once (`takeover.py`), instead of
after the heartbeat timeout. That covers a worker `ensure_worker` starts after a
crash too; for workers on other machines the heartbeat timeout stays the bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from my_deepagent.worker_health import report_health, worker_identity

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.worker import Worker, WorkflowRunner

    from my_deepagent.activities.deps import ActivityDeps
    from my_deepagent.settings import Settings

STICKY_QUEUE_TIMEOUT = timedelta(seconds=2)
GRACEFUL_SHUTDOWN = timedelta(seconds=10)
HEARTBEAT_THROTTLE = timedelta(seconds=1)
PASSTHROUGH_MODULES = ("my_deepagent", "pydantic", "pydantic_core", "annotated_types")

log = logging.getLogger("mda.worker")


def default_workflows() -> list[type]:
    from my_deepagent.workflows.run import RunWorkflow
    from my_deepagent.workflows.session import SessionWorkflow

    return [RunWorkflow, SessionWorkflow]


def default_activities(deps: ActivityDeps) -> list[Callable[..., Any]]:
    from my_deepagent.activities.ledger import LedgerActivities
    from my_deepagent.activities.phase import PhaseActivities
    from my_deepagent.activities.report import ReportActivities
    from my_deepagent.activities.session_commands import SessionCommandActivities
    from my_deepagent.activities.session_compaction import SessionCompactionActivities
    from my_deepagent.activities.session_rewind import SessionRewindActivities
    from my_deepagent.activities.session_turn import SessionTurnActivities
    from my_deepagent.activities.workspace import WorkspaceActivities

    ledger, phase = LedgerActivities(deps), PhaseActivities(deps)
    report, workspace = ReportActivities(deps), WorkspaceActivities(deps)
    turn, commands = SessionTurnActivities(deps), SessionCommandActivities(deps)
    compaction, rewind = SessionCompactionActivities(deps), SessionRewindActivities(deps)
    return [
        turn.session_turn,
        compaction.session_compact,
        commands.session_clear,
        commands.session_context,
        commands.session_switch,
        commands.session_memory,
        commands.session_end,
        rewind.session_rewind_files,
        rewind.session_rewind_conversation,
        ledger.update_ledger,
        phase.run_phase,
        phase.validate_artifact,
        workspace.prepare_run,
        report.write_report,
    ]


def workflow_runner() -> WorkflowRunner:
    """The sandbox workflows run in; a `Replayer` of saved histories must use the same."""
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    return SandboxedWorkflowRunner(restrictions=restrictions)


def build_worker(
    client: Client,
    deps: ActivityDeps | None,
    *,
    task_queue: str | None = None,
    workflows: Sequence[type] | None = None,
    activities: Sequence[Callable[..., Any]] | None = None,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int | None = None,
) -> Worker:
    """A Worker for mda's workflows and activities (or the given ones, for tests), on
    `task_queue` (default: the `MDA_TASK_QUEUE` setting)."""
    from temporalio.worker import Worker

    from my_deepagent.settings import get_settings

    if activities is None:
        if deps is None:
            raise ValueError("build_worker needs deps to build mda's activities")
        activities = default_activities(deps)
    return Worker(
        client,
        task_queue=task_queue or get_settings().task_queue,
        workflows=list(default_workflows() if workflows is None else workflows),
        activities=list(activities),
        workflow_runner=workflow_runner(),
        identity=worker_identity(),
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
    )


def default_concurrency() -> int:
    """Activities a worker runs at once unless told: 4 per core, at least 4.

    An agent activity mostly waits on its model, but its shell commands (tests,
    builds) use the cores. Offline, 100 three-phase runs on 2 cores took about the
    same at 4, 8, 16 or the SDK's 100 (`benchmarks/throughput.py`, within noise), so
    the limit is set for the shells: 8 on 2 cores, not 100 test suites at once.
    """
    return max(4, 4 * (os.cpu_count() or 1))


async def run_worker(
    settings: Settings | None = None,
    *,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int | None = None,
) -> None:
    """Run a worker until SIGTERM or SIGINT, then shut it down gracefully; at most
    `max_concurrent_activities` activities at once (default: `default_concurrency`)."""
    from my_deepagent.activities.deps import open_deps
    from my_deepagent.takeover import LOCK_NAME, take_over
    from my_deepagent.temporal_config import connect_client

    configure_logging()
    concurrency = max_concurrent_activities or default_concurrency()
    async with open_deps(settings) as deps:
        task_queue = deps.settings.task_queue
        client = await connect_client()
        await take_over(client, task_queue, lock_file=deps.settings.paths.run_dir / LOCK_NAME)
        worker = build_worker(
            client,
            deps,
            task_queue=task_queue,
            max_concurrent_activities=concurrency,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _on_signal, sig, stop)
        running = asyncio.create_task(worker.run())
        health = asyncio.create_task(report_health(client, deps.settings.paths))
        log.info(
            "worker %s polling task queue %r on namespace %r (pid %d, %d activities at once)",
            worker_identity(),
            task_queue,
            client.namespace,
            os.getpid(),
            concurrency,
        )
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            log.info("shutting down (running activities get %ss)", GRACEFUL_SHUTDOWN.seconds)
            await worker.shutdown()
        stopped.cancel()
        health.cancel()
        await running
        with contextlib.suppress(asyncio.CancelledError):
            await health
    log.info("worker stopped")


def _on_signal(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.info("received %s", sig.name)
    stop.set()


def configure_logging() -> None:
    """One line per event on stderr (the detached worker's stderr is its log file), with
    every key and key-shaped string scrubbed (`scrub`)."""
    from my_deepagent.scrub import ScrubbingFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
