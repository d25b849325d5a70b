"""Two workers as two machines: each with its own data folder (its own worktrees,
config and logs), sharing only the Temporal server, mda's database and the user's
repository, as workers on several machines do.

- A run: the first worker prepares it and begins its first phase, whose agent writes
  a file per model call; it is SIGKILLed mid-call. The second worker takes the phase
  over in its own worktree, with the files the agent's last checkpoint saw, and
  finishes the run: no completed model call is served again, no repair turn is
  needed, and the run's branch holds every file the agent wrote on either machine.
- A session: the turn begun on one worker finishes on the other.

The shared database is the suite's PostgreSQL one when the suite runs on PostgreSQL,
otherwise one SQLite file named by MDA_DATABASE_URL (migrated by `mda db upgrade`, as
a configured database must be).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client

from my_deepagent.git import run_branch_name
from my_deepagent.settings import Paths, get_settings, reset_settings
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import (
    DEADLINE_S,
    finish,
    kill,
    mda,
    served,
    spawn_worker,
    start_detached,
    start_worker,
    wait_until,
    write_explorer_persona,
)

LATENCY_MS = "1000"
DRAFTS = 40
EXPLORE = 40
"""The first machine serves a call a second: the kill comes once the second machine
polls, while the agent is still drafting (exploring); the second machine is fast."""


@dataclass
class TwoMachines:
    """The first machine is `run_env`'s MDA_HOME, the second another one; both log the
    calls they serve to one file, the first serving a call a second."""

    run_env: RunEnv
    client: Client
    call_log: Path
    second_home: Path
    first: subprocess.Popen[bytes] | None = None
    second: subprocess.Popen[bytes] | None = None

    async def start_first(self, persona_ref: str) -> None:
        """Give both machines the user persona `persona_ref`; start the first's worker."""
        personas = Paths.resolve(self.second_home).user_personas_dir
        personas.mkdir(parents=True)
        source = get_settings().paths.user_personas_dir / f"{persona_ref}.yaml"
        shutil.copy(source, personas)
        self.first = await start_worker(
            self.run_env, self.client, MDA_SCRIPTED_LATENCY_MS=LATENCY_MS, **self._log()
        )

    async def take_over(self, calls_before_done: int) -> list[str]:
        """Start the second machine's worker once the first has served 2 calls, then
        SIGKILL the first mid-call; the calls served by then."""
        assert self.first is not None
        await wait_until(lambda: len(served(self.call_log)) >= 2, "2 model calls")
        log = self.run_env.home / f"worker-{len(self.run_env.workers)}.log"
        self.second = spawn_worker(self.run_env, {"MDA_HOME": str(self.second_home), **self._log()})
        # Not `start_worker`: the server's list of pollers describes one partition of the
        # task queue and may show a second poller only much later.
        await wait_until(lambda: "polling task queue" in log.read_text(), "the second's poll")
        before = len(served(self.call_log))
        await wait_until(lambda: len(served(self.call_log)) > before, "one more model call")
        kill(self.first)
        at_kill = served(self.call_log)
        assert len(at_kill) < calls_before_done, "the kill came too late (make the job longer)"
        return at_kill

    def served_once(self, at_kill: list[str]) -> collections.Counter[str]:
        """What was served, checking that no call completed before the kill ran again
        (the one in flight may have: it finished, its checkpoint may not have)."""
        counts = collections.Counter(served(self.call_log))
        repeated = {call: n for call, n in counts.items() if n > 1}
        assert len(repeated) <= 1 and all(n == 2 for n in repeated.values()), repeated
        assert not set(repeated) & set(at_kill[:-1]), "a completed call ran again"
        return counts

    def _log(self) -> dict[str, str]:
        return {"MDA_SCRIPTED_CALL_LOG": str(self.call_log)}


@pytest.fixture
async def machines(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> TwoMachines:
    """Two machines sharing one configured database (see the module docstring)."""
    if "MDA_DATABASE_URL" not in os.environ:
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared-db' / 'mda.db'}"
        (tmp_path / "shared-db").mkdir()
        monkeypatch.setenv("MDA_DATABASE_URL", url)
        run_env.env["MDA_DATABASE_URL"] = url
        reset_settings()
        upgraded = await mda(run_env, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
    return TwoMachines(run_env, temporal_client, tmp_path / "calls.log", tmp_path / "machine-b")


def identity(worker: subprocess.Popen[bytes] | None) -> str:
    assert worker is not None
    return f"{worker.pid}@{socket.gethostname()}"


async def activity_workers(client: Client, workflow_id: str) -> list[tuple[str, str, int]]:
    """(activity type, worker, attempt) of each activity's last attempt, in order (the
    history records only the attempt that completed)."""
    scheduled: dict[int, str] = {}
    started: list[tuple[str, str, int]] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            activity_type = event.activity_task_scheduled_event_attributes.activity_type
            scheduled[event.event_id] = activity_type.name
        elif event.HasField("activity_task_started_event_attributes"):
            attempt = event.activity_task_started_event_attributes
            kind = scheduled[attempt.scheduled_event_id]
            started.append((kind, attempt.identity, attempt.attempt))
    return started


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


async def test_a_phase_begun_on_one_machine_is_finished_on_another(
    machines: TwoMachines, run_env: RunEnv, temporal_client: Client
) -> None:
    persona = write_explorer_persona(
        f"scripted-drafter-{DRAFTS}",
        f"scripted:spec-writer-drafts-{DRAFTS}",
        "[spec_write, phase_planning]",
        DRAFTS,
    )
    await machines.start_first(persona)
    run_id = await start_detached(run_env, run_env.repo, "--persona", f"spec_writer={persona}")
    at_kill = await machines.take_over(DRAFTS)
    status = await finish(temporal_client, run_id)
    assert status.state == "completed"

    machines.served_once(at_kill)
    printed = await mda(run_env, "report", run_id, "--format", "json")
    assert printed.returncode == 0, printed.stderr
    spec = [p for p in json.loads(printed.stdout)["phases"] if p["phase"] == "spec"]
    assert [(p["round"], p["model_calls"]) for p in spec] == [(1, DRAFTS + 2)], spec

    started = await activity_workers(temporal_client, f"run-{run_id}")
    first, second = identity(machines.first), identity(machines.second)
    assert started[0] == ("prepare_run", first, 1)
    assert started[1] == ("run_phase", second, 2), "the spec phase taken over"
    assert {who for _, who, _ in started[1:]} == {second}

    files = git(run_env.repo, "ls-tree", "-r", "--name-only", run_branch_name(run_id)).split()
    drafts = {f"notes/draft-{i}.md" for i in range(1, DRAFTS + 1)}
    assert {f for f in files if f.startswith("notes/")} == drafts
    for home in (run_env.home, machines.second_home):
        assert (Paths.resolve(home).worktrees_dir / run_id / "notes").is_dir()
    assert git(run_env.repo, "for-each-ref", f"refs/mda/runs/{run_id}/") == ""


async def test_a_session_turn_begun_on_one_machine_is_answered_from_another(
    machines: TwoMachines, run_env: RunEnv, temporal_client: Client
) -> None:
    from my_deepagent.sessions.client import send
    from my_deepagent.store.database import open_database
    from my_deepagent.store.messages import session_messages

    persona = write_explorer_persona(
        f"scripted-chat-explorer-{EXPLORE}", f"scripted:chat-explore-{EXPLORE}", "[chat]", EXPLORE
    )
    await machines.start_first(persona)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        turn = asyncio.create_task(send(handle, db, message("What is in this repo?", "m1")))
        at_kill = await machines.take_over(EXPLORE)
        result = await asyncio.wait_for(turn, DEADLINE_S)

        assert "You said: “What is in this repo?”" in result.reply
        assert len(machines.served_once(at_kill)) == EXPLORE + 1
        rows = await session_messages(db, record.id, include_archived=True)
        assert [(r.seq, r.role) for r in rows] == [(0, "user"), (1, "assistant")]
