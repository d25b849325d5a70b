"""A starting worker takes over the activities of a dead worker of this host.

- A worker process SIGKILLed mid model call: the next worker to start fails the dead
  worker's attempt through the client before it polls, and the phase's retry starts
  from that failure, not from a heartbeat timeout: the attempt-2 start in the
  workflow history carries the takeover's failure (had the heartbeat timeout fired
  first, it would carry a timeout, and the takeover would have found nothing
  running). No completed model call is served again.
- A live mda worker mid-call is left alone, and so are dead workers of other hosts,
  pids reused by newer processes are recognised (`gone_reason`).

Orders of events, not wall time: the scripted model's latency only keeps a call in
flight while a worker is killed.
"""

from __future__ import annotations

import collections
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from my_deepagent.settings import get_settings
from my_deepagent.takeover import FAILURE_TYPE, gone_reason, is_worker_command, take_over
from run_harness import RunEnv
from worker_helpers import finish, kill, served, start_detached, start_worker, wait_until

LATENCY_MS = "700"
HOST = socket.gethostname()


def phase_starts(history: Any) -> list[Any]:
    """The `ActivityTaskStarted` attributes of the run's agent phases (`run_phase`): the
    attempt that completed, and the failure of the attempt before it."""
    scheduled = {
        event.event_id: event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    return [
        event.activity_task_started_event_attributes
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and scheduled[event.activity_task_started_event_attributes.scheduled_event_id]
        == "run_phase"
    ]


async def test_a_new_worker_takes_over_the_call_of_a_killed_one(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    call_log = tmp_path / "calls.log"
    slow = {"MDA_SCRIPTED_LATENCY_MS": LATENCY_MS, "MDA_SCRIPTED_CALL_LOG": str(call_log)}
    first = await start_worker(run_env, temporal_client, **slow)
    run_id = await start_detached(run_env, run_env.repo)
    await wait_until(lambda: len(served(call_log)) >= 1, "the spec phase's first model call")
    kill(first)
    at_kill = served(call_log)
    await start_worker(run_env, temporal_client, **slow)
    assert (await finish(temporal_client, run_id)).state == "completed"

    dead = f"{first.pid}@{HOST}"
    second_log = (run_env.home / "worker-1.log").read_text()
    assert f"takeover: worker {dead} is gone (pid {first.pid} no longer runs)" in second_log
    taken = second_log.index("takeover: worker")
    assert taken < second_log.index("polling task queue")

    history = await temporal_client.get_workflow_handle(f"run-{run_id}").fetch_history()
    retried = [start for start in phase_starts(history) if start.attempt > 1]
    assert len(retried) == 1, retried
    (retry,) = retried
    assert retry.attempt == 2
    assert retry.last_failure.application_failure_info.type == FAILURE_TYPE
    assert retry.last_failure.message.startswith(f"worker {dead} is gone")

    counts = collections.Counter(served(call_log))
    repeated = {call for call, n in counts.items() if n > 1}
    assert not repeated & set(at_kill[:-1]), "a call completed before the kill ran again"
    assert all(n <= 2 for n in counts.values()), counts


async def test_a_live_worker_mid_call_is_left_alone(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    call_log = tmp_path / "calls.log"
    slow = {"MDA_SCRIPTED_LATENCY_MS": LATENCY_MS, "MDA_SCRIPTED_CALL_LOG": str(call_log)}
    await start_worker(run_env, temporal_client, **slow)
    run_id = await start_detached(run_env, run_env.repo)
    await wait_until(lambda: len(served(call_log)) >= 1, "the spec phase's first model call")
    lock = get_settings().paths.run_dir / "takeover.lock"
    assert await take_over(temporal_client, get_settings().task_queue, lock_file=lock) == []
    assert (await finish(temporal_client, run_id)).state == "completed"
    history = await temporal_client.get_workflow_handle(f"run-{run_id}").fetch_history()
    assert [start.attempt for start in phase_starts(history)] == [1, 1, 1]


def test_which_workers_are_known_gone() -> None:
    now = time.time()
    worker = f"{sys.executable} -m my_deepagent worker"

    def reason(identity: str, command: str | None, began: float | None) -> str | None:
        return gone_reason(
            identity,
            now,
            host="here",
            own_pid=1,
            command_line=lambda pid: command,
            started_at=lambda pid: began,
        )

    assert reason("42@here", None, None) == "pid 42 no longer runs"
    assert reason("42@here", worker, now - 60) is None  # a live mda worker
    assert reason("42@here", worker, None) is None
    assert reason("42@here", "/usr/bin/vim notes", now + 30) == "pid 42 is a newer process"
    assert reason("42@here", worker, now + 30) == "pid 42 is a newer process"
    assert reason("42@here", "/usr/bin/vim notes", None) == "pid 42 is no longer an mda worker"
    assert reason("42@here", "python -m pytest", now - 60) is None  # a worker in-process
    assert reason("1@here", worker, now - 60) == "pid 1 is this starting worker"
    assert reason("42@elsewhere", None, None) is None  # another host's: its heartbeat
    assert reason("worker-7", None, None) is None
    assert reason("x@here", None, None) is None


def test_this_hosts_dead_pid_is_gone_and_a_live_one_is_not() -> None:
    assert gone_reason(f"{os.getpid()}@{HOST}", time.time(), own_pid=0) is None
    assert gone_reason(f"{2**22 + 12345}@{HOST}", time.time()) is not None
    assert gone_reason(f"{2**22 + 12345}@another-{HOST}", time.time()) is None


def test_worker_command_lines() -> None:
    assert is_worker_command("/venv/bin/python -m my_deepagent worker")
    assert is_worker_command("/venv/bin/python /venv/bin/mda worker --concurrency 3")
    assert not is_worker_command("/venv/bin/python /venv/bin/mda worker stop")
    assert not is_worker_command("/venv/bin/python /venv/bin/mda worker health")
    assert not is_worker_command("/venv/bin/python /venv/bin/mda start spec-and-review")
    assert not is_worker_command("python -m pytest tests/test_worker.py")
