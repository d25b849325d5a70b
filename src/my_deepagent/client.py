"""Typed helpers over the Temporal client: is a worker there, start a run, signal it,
ask its status. Thin on purpose: callers keep the `Client` and the workflow handle.

Whether a worker polls mda's task queue comes from `DescribeTaskQueue`. The server
keeps listing a poller for minutes after its worker stopped (poller history), with
the time of its last poll. A worker polls again at least every long-poll interval
(about a minute), so a remote poller counts while its last poll is recent; a poller
on this host counts while its process lives (mda workers are `<pid>@<host>`, see
`worker.py`), which also covers a worker stopped a moment ago.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from my_deepagent.errors import ServerError
from my_deepagent.workflows.run_types import (
    RUN_WORKFLOW,
    RunInput,
    RunStatus,
    run_workflow_id,
)

if TYPE_CHECKING:
    from temporalio.api.taskqueue.v1 import PollerInfo
    from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

    from my_deepagent.settings import Settings

REMOTE_POLLER_FRESH = timedelta(seconds=90)
WORKER_START_TIMEOUT_S = 60.0

WorkerCheck = Literal["polling", "started", "none"]


async def pollers(client: Client, task_queue: str) -> dict[str, list[PollerInfo]]:
    """The pollers the server lists, per task queue type (`workflow`, `activity`)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    found: dict[str, list[PollerInfo]] = {}
    for name, queue_type in (
        ("workflow", TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        ("activity", TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ):
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=queue_type,
            )
        )
        found[name] = list(response.pollers)
    return found


def poller_is_live(poller: PollerInfo, *, now: datetime | None = None) -> bool:
    pid_text, _, host = poller.identity.partition("@")
    if host == socket.gethostname() and pid_text.isdigit():
        return _process_exists(int(pid_text))
    last = poller.last_access_time.ToDatetime(tzinfo=UTC)
    return (now or datetime.now(UTC)) - last <= REMOTE_POLLER_FRESH


async def live_worker_identities(client: Client, task_queue: str) -> set[str]:
    """Identities polling both the workflow and the activity queue, and alive."""
    listed = await pollers(client, task_queue)
    live = [{p.identity for p in found if poller_is_live(p)} for found in listed.values()]
    return set.intersection(*live)


async def ensure_worker(
    client: Client,
    *,
    settings: Settings | None = None,
    timeout_s: float = WORKER_START_TIMEOUT_S,
) -> WorkerCheck:
    """`polling` if a worker polls mda's task queue; otherwise, in embedded mode, start the
    detached worker and wait until it polls (`started`); `none` with a configured
    server (its workers are the operator's business)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.embedded.processes import exit_status
    from my_deepagent.embedded.worker_process import start_worker
    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_config import load_target

    settings = settings or get_settings()
    task_queue = settings.task_queue
    if await live_worker_identities(client, task_queue):
        return "polling"
    if load_target().mode != "embedded":
        return "none"
    info, _spawned = await asyncio.to_thread(start_worker, settings.paths)
    deadline = time.monotonic() + timeout_s
    while info.identity not in await live_worker_identities(client, task_queue):
        if not info.is_alive():
            raise ServerError(
                msg(
                    "runs.worker_exited",
                    pid=info.pid,
                    status=exit_status(info.pid),
                    log=info.log_file,
                ),
                exit_code=1,
            )
        if time.monotonic() >= deadline:
            seconds = format(timeout_s, "g")
            raise ServerError(
                msg("runs.worker_no_poll", pid=info.pid, seconds=seconds, log=info.log_file),
                exit_code=1,
            )
        await asyncio.sleep(0.1)
    return "started"


async def start_run(client: Client, run_input: RunInput) -> WorkflowHandle[object, RunStatus]:
    """Start the run's workflow (id `run-<run_id>`), tagged for Web UI searches."""
    from temporalio.common import SearchAttributePair, TypedSearchAttributes

    from my_deepagent.search_attributes import MDA_KIND, MDA_REPO, MDA_TEMPLATE
    from my_deepagent.settings import get_settings

    return await client.start_workflow(
        RUN_WORKFLOW,
        run_input,
        id=run_workflow_id(run_input.run_id),
        task_queue=get_settings().task_queue,
        result_type=RunStatus,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(MDA_REPO, run_input.repo_path),
                SearchAttributePair(MDA_TEMPLATE, run_input.template_ref),
                SearchAttributePair(MDA_KIND, "run"),
            ]
        ),
    )


def run_handle(client: Client, run_id: str) -> WorkflowHandle[object, RunStatus]:
    return client.get_workflow_handle(run_workflow_id(run_id), result_type=RunStatus)


async def query_status(client: Client, run_id: str) -> RunStatus:
    status: RunStatus = await run_handle(client, run_id).query("status", result_type=RunStatus)
    return status


async def run_execution_status(client: Client, run_id: str) -> WorkflowExecutionStatus | None:
    return await execution_status(run_handle(client, run_id))


async def execution_status(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionStatus | None:
    """The status of the workflow's latest execution; None if Temporal has none (it
    never started, or its history passed the namespace's retention)."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return (await handle.describe()).status
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def client_with_worker() -> tuple[Client, bool]:
    """A client, and whether a worker polls mda's task queue (embedded: one is started)."""
    from my_deepagent.temporal_config import connect_client

    client = await connect_client()
    return client, await ensure_worker(client) != "none"


def _process_exists(pid: int) -> bool:
    from my_deepagent.embedded.processes import process_command_line

    if pid == os.getpid():
        return True
    return process_command_line(pid) is not None
