"""Crash matrix: runs and session turns whose worker is SIGKILLed at random points,
and runs whose embedded Temporal server is SIGKILLed and restarted mid-run.

Everything is real and offline: the embedded dev server, `mda worker` processes, the
`spec-and-review` template with the scripted personas (6 model calls: a write and a
summary per phase), a session with the scripted chat persona (2 model calls a turn:
it reads three files, then answers). Each scenario picks a crash point (seeded, the
seed is printed):

- before the first model call, during a model call, after a model call before its
  tool runs, after the artifact is written (its tool ran) before the next call, before
  a later phase's first call: the worker kills itself there (the scripted model's
  `MDA_SCRIPTED_CRASH_FILE` knob, `agents/scripted_crash.py`);
- during an activity other than the agent's (validation, the ledger, the report):
  killed by this script when a describe shows one running;
- at a gate: the run waits for an approval; the worker is killed, then the gate is
  approved.

After a worker dies a new one is started at once (it takes the dead one's activity
over, `my_deepagent.takeover`) and is the next scenario's worker. Every scenario
must finish, with: one `llm_calls` row per distinct model call served (the scripted
model logs each call it serves); no call that completed before the crash served
again (only the call in flight may be); no duplicate event, message or artifact row.

    .venv/bin/python benchmarks/crash_matrix.py [--runs 20] [--turns 20] [--server-kills 3]
        [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEADLINE_S = 120.0
LATENCY_MS = 300
RUN_CALLS = 6
"""spec-and-review with the scripted personas: per phase, the call that writes the
artifact (even index) and the summary after it (odd index)."""
IO_ACTIVITIES = {"validate_artifact", "update_ledger", "write_report"}
"""Killed in when a describe shows one running (after the run's worktree is ready)."""
QUESTION = "Compare @README.md @todo/store.py @tests/test_store.py for me (turn {n})."


@dataclass(frozen=True)
class Plan:
    kind: str  # "run", "turn" or "server"
    point: str
    crash: str | None = None  # the knob's point: before, during, after
    call: int = 0  # the call of the scenario it names (from 0)


@dataclass
class Outcome:
    plan: Plan
    hit: str
    served: int
    repeated: int
    seconds: float
    problems: list[str] = field(default_factory=list)


def plans(rng: random.Random, runs: int, turns: int, server_kills: int) -> list[Plan]:
    """The scenarios: every point in turn, the call it names drawn at random."""
    run_points: list[tuple[str, str | None, list[int]]] = [
        ("before the first model call", "before", [0]),
        ("during a model call", "during", list(range(RUN_CALLS))),
        ("after a model call, before its tool", "after", [0, 2, 4]),
        ("after the artifact is written", "before", [1, 3, 5]),
        ("before a later phase's first call", "before", [2, 4]),
        ("during validation, ledger or report", None, [0]),
        ("at a gate", None, [0]),
    ]
    turn_points: list[tuple[str, str | None, list[int]]] = [
        ("before the first model call", "before", [0]),
        ("during a model call", "during", [0, 1]),
        ("after a model call, before its tool", "after", [0]),
        ("after the tool, before the next call", "before", [1]),
        ("after the last model call", "after", [1]),
    ]
    found: list[Plan] = []
    for kind, points, count in (("run", run_points, runs), ("turn", turn_points, turns)):
        order = [points[i % len(points)] for i in range(count)]
        rng.shuffle(order)
        found += [Plan(kind, name, crash, rng.choice(calls)) for name, crash, calls in order]
    found += [Plan("server", "server during a model call", None, 1)] * server_kills
    rng.shuffle(found)
    return found


class Matrix:
    def __init__(self, root: Path, latency_ms: int = LATENCY_MS) -> None:
        self.root = root
        self.call_log = root / "calls.log"
        self.crash_file = root / "crash.json"
        self.env = {
            **os.environ,
            "MDA_SCRIPTED_LATENCY_MS": str(latency_ms),
            "MDA_SCRIPTED_CALL_LOG": str(self.call_log),
            "MDA_SCRIPTED_CRASH_FILE": str(self.crash_file),
        }
        self.workers = 0
        self.worker: subprocess.Popen[bytes] | None = None
        self.client: Any = None
        self.db: Any = None
        self.session: Any = None
        self.turns = 0

    # --- processes ---------------------------------------------------------------

    async def spawn(self) -> None:
        name = f"worker-{self.workers}"
        self.workers += 1
        log = self.root / f"{name}.log"
        with log.open("ab") as out:
            self.worker = subprocess.Popen(  # noqa: ASYNC220 (it returns at once)
                [sys.executable, "-m", "my_deepagent", "worker"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + DEADLINE_S
        while "polling task queue" not in log.read_text():
            assert self.worker.poll() is None, f"{name} exited; see {log}"
            assert time.monotonic() < deadline, f"{name} never polled; see {log}"
            await asyncio.sleep(0.05)

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            self.worker.wait(timeout=60)

    def served(self) -> list[str]:
        return self.call_log.read_text().split() if self.call_log.exists() else []

    async def mda(self, *args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "my_deepagent", *args],
            env=self.env, capture_output=True, text=True, check=False, timeout=DEADLINE_S,
        )  # fmt: skip

    # --- scenarios ---------------------------------------------------------------

    async def scenario(self, index: int, plan: Plan) -> Outcome:
        from my_deepagent.agents.scripted_crash import arm

        self.crash_file.unlink(missing_ok=True)
        before = len(self.served())
        if plan.crash is not None:
            arm(self.crash_file, plan.crash, before + plan.call)  # type: ignore[arg-type]
        started = time.perf_counter()
        if plan.kind == "turn":
            hit, at_kill, problems = await self.turn(plan, before)
        else:
            hit, at_kill, problems = await self.run(index, plan, before)
        calls = self.served()[before:]
        counts = collections.Counter(calls)
        repeated = {call for call, n in counts.items() if n > 1}
        if any(n > 2 for n in counts.values()) or repeated - set(at_kill[-1:]):
            problems.append(f"calls served again: {sorted(repeated)}")
        if repeated & set(at_kill[:-1]):
            problems.append("a call completed before the crash was served again")
        return Outcome(
            plan, hit, len(calls), len(repeated), time.perf_counter() - started, problems
        )

    async def after_crash(self, before: int) -> tuple[str, list[str]]:
        """The worker died at the armed point: start the next one (it takes over)."""
        at_kill = self.served()[before:]
        fired = json.loads((self.crash_file.with_name("crash.json.fired")).read_text())
        self.crash_file.with_name("crash.json.fired").unlink()
        await self.spawn()
        return f"{fired['point']} call {fired['at'] - before + 1}", at_kill

    async def run(self, index: int, plan: Plan, before: int) -> tuple[str, list[str], list[str]]:
        from my_deepagent.client import query_status, run_handle
        from my_deepagent.examples import prepare_example_repo
        from my_deepagent.workflows.run_types import run_workflow_id

        repo = prepare_example_repo(self.root / f"repo-{index}")
        gated = plan.point == "at a gate"
        started = await self.mda(
            "start", "spec-and-review", "--repo", str(repo), "-r", "Add due dates to tasks.",
            "--offline", "--detach", "--json", *([] if gated else ["--yes"]),
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        run_id = json.loads(started.stdout)["run_id"]
        handle = run_handle(self.client, run_id)
        hit, at_kill = "not hit", list[str]()
        assert self.worker is not None
        deadline = time.monotonic() + DEADLINE_S
        result = asyncio.ensure_future(handle.result())
        while not result.done() and time.monotonic() < deadline:
            if plan.crash is not None and self.worker.poll() is not None:
                hit, at_kill = await self.after_crash(before)
                break
            if plan.kind == "server" and len(self.served()) > before + plan.call - 1:
                await asyncio.sleep(LATENCY_MS / 2000)
                at_kill = self.served()[before:]
                await self.restart_server()
                hit = f"server during call {len(at_kill) + 1}"
                break
            if plan.point.startswith("during validation"):
                running = await self.running_activity(run_workflow_id(run_id))
                if running in IO_ACTIVITIES:
                    self.kill_worker()
                    at_kill = self.served()[before:]
                    hit = f"during {running}"
                    await self.spawn()
                    break
            if gated and (await query_status(self.client, run_id)).pending_gate is not None:
                self.kill_worker()
                at_kill = self.served()[before:]
                hit = "at the spec gate"
                await self.spawn()
                break
            await asyncio.sleep(0.005 if plan.point.startswith("during") else 0.02)
        while gated and not result.done() and time.monotonic() < deadline:
            if (await query_status(self.client, run_id)).pending_gate is not None:
                answered = await self.mda("approve", run_id)
                assert answered.returncode == 0, answered.stderr
            await asyncio.sleep(0.1)
        status = await asyncio.wait_for(result, max(1.0, deadline - time.monotonic()))
        problems = [] if status.state == "completed" else [f"run ended {status.state}"]
        return hit, at_kill, problems + await self.run_rows(run_id)

    async def running_activity(self, workflow_id: str) -> str | None:
        from temporalio.api.enums.v1 import PendingActivityState

        description = await self.client.get_workflow_handle(workflow_id).describe()
        for pending in description.raw_description.pending_activities:
            if pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
                return str(pending.activity_type.name)
        return None

    async def restart_server(self) -> None:
        from my_deepagent.embedded.processes import signal_group
        from my_deepagent.embedded.server import (
            EmbeddedServerConfig,
            read_pid_file,
            start_server,
        )

        config = EmbeddedServerConfig.from_settings()
        info = read_pid_file(config)
        assert info is not None
        signal_group(info.pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        await start_server(config)

    async def run_rows(self, run_id: str) -> list[str]:
        from my_deepagent.store.artifacts import list_artifacts
        from my_deepagent.store.events import list_events
        from my_deepagent.store.llm_calls import list_llm_calls

        rows = await list_llm_calls(self.db, run_id)
        problems = self.ledger_problems(rows, self.run_calls(rows))
        events = await list_events(self.db, run_id)
        keys = collections.Counter(e.idempotency_key for e in events)
        problems += [f"event twice: {k}" for k, n in keys.items() if n > 1]
        lifecycle = collections.Counter(
            (e.type.value, e.phase_key, e.payload.get("round"))
            for e in events
            if e.type.value in {"phase.started", "phase.completed", "run.completed"}
        )
        problems += [f"event twice: {k}" for k, n in lifecycle.items() if n > 1]
        artifacts = collections.Counter(
            (a.phase_key, a.round, a.revision) for a in await list_artifacts(self.db, run_id)
        )
        problems += [f"artifact twice: {k}" for k, n in artifacts.items() if n > 1]
        return problems

    def run_calls(self, rows: list[Any]) -> set[str]:
        from my_deepagent.store.llm_calls import llm_call_key

        keys = {row.call_key: row for row in rows}
        return {
            call
            for call in set(self.served())
            for row in keys.values()
            if llm_call_key(row.thread_id, call) == row.call_key
        }

    @staticmethod
    def ledger_problems(rows: list[Any], matched: set[str]) -> list[str]:
        problems = []
        if len({row.call_key for row in rows}) != len(rows):
            problems.append("a model call has two ledger rows")
        if len(matched) != len(rows):
            problems.append(f"{len(rows)} ledger rows for {len(matched)} calls served")
        return problems

    async def turn(self, plan: Plan, before: int) -> tuple[str, list[str], list[str]]:
        from my_deepagent.sessions.client import send
        from my_deepagent.store.llm_calls import session_llm_calls
        from my_deepagent.store.messages import session_messages
        from my_deepagent.workflows.session_types import ChatMessage

        record, handle = self.session
        text = QUESTION.format(n=self.turns)
        self.turns += 1
        message = ChatMessage(client_id=uuid.uuid4().hex, text=text, size=len(text))
        turn = asyncio.ensure_future(send(handle, self.db, message))
        hit, at_kill = "not hit", list[str]()
        assert self.worker is not None
        while not turn.done():
            if self.worker.poll() is not None:
                hit, at_kill = await self.after_crash(before)
                break
            await asyncio.sleep(0.02)
        result = await asyncio.wait_for(turn, DEADLINE_S)
        problems = [] if result.reply.count(" has ") == 3 else [f"reply: {result.reply!r}"]
        rows = await session_llm_calls(self.db, record.id)
        problems += self.ledger_problems(rows, self.run_calls(rows))
        messages = await session_messages(self.db, record.id, include_archived=True)
        if [m.seq for m in messages] != list(range(2 * self.turns)):
            problems.append(f"message rows {[m.seq for m in messages]}")
        if [m.role for m in messages] != ["user", "assistant"] * self.turns:
            problems.append("messages are not one question and one answer a turn")
        return hit, at_kill, problems

    async def open_session(self) -> None:
        from my_deepagent.domain.catalog import load_user_catalog
        from my_deepagent.examples import prepare_example_repo
        from my_deepagent.sessions.client import SessionChoice, create_session, ensure_running

        persona = load_user_catalog().persona("scripted-chat")
        repo = prepare_example_repo(self.root / "session-repo")
        choice = SessionChoice(persona=persona, model=persona.model)
        record = await create_session(self.db, repo, choice)
        self.session = record, await ensure_running(self.client, self.db, record)


async def run_matrix(
    root: Path, *, runs: int, turns: int, server_kills: int, seed: int
) -> list[Outcome]:
    """Every scenario, one after another, on the embedded server of this environment
    (which must be running)."""
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.temporal_config import connect_client

    matrix = Matrix(root)
    outcomes: list[Outcome] = []
    matrix.client = await connect_client()
    async with open_database(get_settings()) as db:
        matrix.db = db
        await matrix.spawn()
        try:
            if turns:
                await matrix.open_session()
            for index, plan in enumerate(plans(random.Random(seed), runs, turns, server_kills)):
                outcomes.append(await matrix.scenario(index, plan))
        finally:
            matrix.stop()
    return outcomes


def table(outcomes: list[Outcome], seed: int) -> str:
    lines = [
        f"crash matrix, seed {seed}: {len(outcomes)} scenarios",
        f"{'#':>3} {'kind':<6} {'planned point':<38} {'hit':<26} {'calls':>5} "
        f"{'again':>5} {'time':>6}  outcome",
    ]
    for number, o in enumerate(outcomes, 1):
        verdict = "ok" if not o.problems else "FAIL: " + "; ".join(o.problems)
        lines.append(
            f"{number:>3} {o.plan.kind:<6} {o.plan.point:<38} {o.hit:<26} {o.served:>5} "
            f"{o.repeated:>5} {o.seconds:>5.1f}s  {verdict}"
        )
    hits = collections.Counter((o.plan.kind, o.plan.point) for o in outcomes if o.hit != "not hit")
    lines.append("points hit:")
    lines += [f"  {kind:<6} {point:<38} {n}" for (kind, point), n in sorted(hits.items())]
    failed = sum(1 for o in outcomes if o.problems)
    missed = sum(1 for o in outcomes if o.hit == "not hit")
    lines.append(f"{len(outcomes) - failed} of {len(outcomes)} ok; {missed} missed their point")
    return "\n".join(lines)


def setup(root: Path) -> None:
    """mda's files under `root`, a dev server on free ports (see `run_overhead`)."""
    from run_overhead import setup_environment

    setup_environment(root, task_queue="bench-crash")


def main() -> None:
    parser = argparse.ArgumentParser(description="Kill workers and the server at random points.")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--server-kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"seed {seed}", flush=True)
    root = Path(tempfile.mkdtemp(prefix="mda-bench-crash-")).resolve()
    setup(root)
    from run_overhead import embedded_server

    with embedded_server():
        outcomes = asyncio.run(
            run_matrix(
                root, runs=args.runs, turns=args.turns, server_kills=args.server_kills, seed=seed
            )
        )
    print(table(outcomes, seed))
    sys.stdout.flush()
    os._exit(0 if all(not o.problems for o in outcomes) else 1)


if __name__ == "__main__":
    main()
