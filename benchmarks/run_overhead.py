"""What mda's durability costs a run phase, measured side by side in one process.

Three ways to run the same offline phase (the scripted spec writer writes and
validates `spec.json`: 2 model calls, 1 file write), interleaved round by round so
that the machine's noise falls on all of them alike:

- bare: the deepagents agent in-process, no checkpointer, no ledger;
- durable agent: the same agent with mda's checkpointer and llm_calls ledger (what a
  model call costs once it is durable), still in-process;
- mda: a one-phase run through Temporal: `RunWorkflow` on the embedded dev server,
  the worker in this process, git worktree, validation, ledger, report.

Then what the budget check and the ledger's cost fields add to each model call
(`budget_check.py`, on a request the durable agent made), and the restart figure: a
worker process is SIGKILLed while a model call is in flight, a new worker process is
started at once, and we time how long until the interrupted call is served again
(minus the scripted latency), and when the new worker took the dead one's activity
over (`my_deepagent.takeover`) and polled, from its log (`--restart-rounds` runs).

    .venv/bin/python benchmarks/run_overhead.py [--rounds 15] [--restart-rounds 3] [--no-restart]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = """\
id: bench-one
version: 1
description: One phase, no gate, for benchmarks.
roles:
  - name: spec_writer
    capabilities: [spec_write]
phases:
  - key: spec
    role: spec_writer
    artifact: {path: .mda/artifacts/spec.json, schema: spec@1}
    prompt: Write the specification.
"""
REQUIREMENTS = "Add due dates to todo items."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def embedded_server() -> Iterator[None]:
    """The embedded dev server of the environment `setup_environment` made, stopped on
    exit."""
    from my_deepagent.embedded.server import EmbeddedServerConfig, start_server, stop_server
    from my_deepagent.settings import reset_settings

    reset_settings()
    config = EmbeddedServerConfig.from_settings()
    asyncio.run(start_server(config))
    try:
        yield
    finally:
        stop_server(config)


def setup_environment(root: Path, task_queue: str = "bench") -> None:
    """mda's files under `root`, a dev server on free ports, no user git or Temporal
    configuration, and the one-phase benchmark template."""
    os.environ.update(
        MDA_HOME=str(root / "home"),
        MDA_TEMPORAL_PORT=str(free_port()),
        MDA_TEMPORAL_UI_PORT=str(free_port()),
        MDA_TASK_QUEUE=task_queue,
        HOME=str(root),
        GIT_CONFIG_GLOBAL="/dev/null",
        TEMPORAL_CONFIG_FILE=str(root / "none.toml"),
    )
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"):
        os.environ.pop(name, None)
    templates = root / "home" / "config" / "templates"
    templates.mkdir(parents=True)
    (templates / "bench-one@1.yaml").write_text(TEMPLATE)


async def phases(rounds: int, root: Path) -> tuple[dict[str, list[float]], dict[str, float]]:
    from budget_check import CaptureRequest, per_call_costs
    from langchain_core.messages import HumanMessage

    from my_deepagent.activities.deps import open_deps
    from my_deepagent.agents.builder import build_agent
    from my_deepagent.agents.models import build_chat_model
    from my_deepagent.agents.prompts import artifact_task_prompt
    from my_deepagent.agents.usage import CallContext, UsageMiddleware
    from my_deepagent.client import run_handle
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.examples import prepare_example_repo
    from my_deepagent.launch import RunRequest, plan_run, start_run
    from my_deepagent.store.runs import create_run, new_run_id
    from my_deepagent.temporal_config import connect_client
    from my_deepagent.worker import build_worker

    capture = CaptureRequest()
    catalog = load_user_catalog()
    persona = catalog.persona("scripted-spec-writer")
    schema = catalog.schema("spec@1").document
    prompt = artifact_task_prompt(
        "Write the specification.", REQUIREMENTS, ".mda/artifacts/spec.json", schema
    )
    client = await connect_client()
    times: dict[str, list[float]] = {"bare": [], "durable agent": [], "mda": []}
    async with open_deps() as deps:
        bench_run = await create_run(
            deps.db, repo_path=root, base_branch="bench", template_ref="bench-one@1"
        )

        async def bare(index: int) -> None:
            folder = root / f"bare-{index}"
            folder.mkdir()
            agent = build_agent(
                build_chat_model(persona.model),
                worktree=folder,
                system_prompt=persona.system_prompt,
            )
            await agent.ainvoke({"messages": [HumanMessage(prompt)]})

        async def durable(index: int) -> None:
            folder = root / f"durable-{index}"
            folder.mkdir()
            thread = f"bench:{index}"
            usage = UsageMiddleware(
                deps.db,
                CallContext(
                    run_id=bench_run.id,
                    phase_key="spec",
                    thread_id=thread,
                    persona_ref=persona.ref,
                    model=persona.model,
                ),
            )
            agent = build_agent(
                build_chat_model(persona.model),
                worktree=folder,
                system_prompt=persona.system_prompt,
                checkpointer=deps.checkpointer,
                extra_middleware=[capture, usage],
            )
            await agent.ainvoke(
                {"messages": [HumanMessage(prompt)]},
                {"configurable": {"thread_id": thread}},
                durability="sync",
            )

        async def through_mda(index: int) -> None:
            repo = prepare_example_repo(root / f"repo-{index}")
            request = RunRequest(
                template="bench-one",
                repo=repo,
                requirements=REQUIREMENTS,
                offline=True,
                auto_approve=True,
            )
            run_input = plan_run(request, catalog, new_run_id())
            await start_run(client, deps.db, run_input, REQUIREMENTS)
            status = await run_handle(client, run_input.run_id).result()
            assert status.state == "completed", status

        async with build_worker(client, deps):
            steps = {"bare": bare, "durable agent": durable, "mda": through_mda}
            for index in range(rounds + 2):  # the first two rounds warm up, not counted
                for name, step in steps.items():
                    started = time.perf_counter()
                    await step(index)
                    if index >= 2:
                        times[name].append(time.perf_counter() - started)
        assert capture.request is not None
        budget = await per_call_costs(deps.db, capture.request, run_id=bench_run.id)
    return times, budget


def spawn_worker(root: Path, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`mda worker` as a child process, its log in `<root>/<name>.log`."""
    with (root / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", "worker"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip


def log_time(log: Path, marker: str) -> float:
    """The Unix time of the first line of a worker's log that holds `marker`."""
    from datetime import datetime

    while True:
        for line in log.read_text().splitlines() if log.exists() else []:
            if marker in line:
                return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        time.sleep(0.02)


def calls_served(call_log: Path) -> int:
    return len(call_log.read_text().split()) if call_log.exists() else 0


@dataclass(frozen=True)
class Takeover:
    """Seconds from a worker's SIGKILL (and a new worker's spawn, at once) until the
    interrupted call is served again (less its latency), until the new worker took
    the dead one's activity over, and until it first polled."""

    reissued: float
    took_over: float
    polled: float


def kill_and_restart(
    root: Path, name: str, worker: subprocess.Popen[bytes], env: dict[str, str], before: int
) -> tuple[Takeover, subprocess.Popen[bytes]]:
    """Once `worker` has served a call more than `before` and the next is half-way
    (`env`'s call log and latency): SIGKILL it, start a new worker `name` at once, and
    time the takeover. The new worker is returned."""
    call_log = Path(env["MDA_SCRIPTED_CALL_LOG"])
    latency_ms = int(env["MDA_SCRIPTED_LATENCY_MS"])
    while calls_served(call_log) <= before:
        time.sleep(0.01)
    time.sleep(latency_ms / 2000)  # the next call is now in flight
    served_before = calls_served(call_log)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed, killed_at = time.perf_counter(), time.time()
    replacement = spawn_worker(root, name, env)
    while calls_served(call_log) <= served_before:
        time.sleep(0.01)
    reissued = time.perf_counter() - killed - latency_ms / 1000
    log = root / f"{name}.log"
    took_over = log_time(log, "activities of dead workers taken over") - killed_at
    polled = log_time(log, "polling task queue") - killed_at
    return Takeover(reissued, took_over, polled), replacement


def restart_reissue(root: Path, latency_ms: int, rounds: int) -> list[Takeover]:
    """A worker process serves a one-phase run and is SIGKILLed mid-call; a new worker
    is started at once and takes over (`rounds` runs, each on a new worker)."""
    call_log = root / "calls.log"
    env = {
        **os.environ,
        "MDA_SCRIPTED_LATENCY_MS": str(latency_ms),
        "MDA_SCRIPTED_CALL_LOG": str(call_log),
    }
    worker = spawn_worker(root, "restart-0", env)
    log_time(root / "restart-0.log", "polling task queue")
    found: list[Takeover] = []
    try:
        for index in range(rounds):
            before = calls_served(call_log)
            repo = root / f"restart-repo-{index}"
            subprocess.run(
                [
                    sys.executable, "-c",
                    "import sys; from pathlib import Path; from my_deepagent.examples "
                    "import prepare_example_repo; prepare_example_repo(Path(sys.argv[1]))",
                    str(repo),
                ],
                check=True, env=env,
            )  # fmt: skip
            subprocess.run(
                [
                    sys.executable, "-m", "my_deepagent", "start", "bench-one", "--repo",
                    str(repo), "--offline", "--yes", "--detach", "-r", REQUIREMENTS,
                ],
                check=True, env=env, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            name = f"restart-{index + 1}"
            taken, worker = kill_and_restart(root, name, worker, env, before)
            found.append(taken)
            log_time(root / f"{name}.log", "polling task queue")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait()
    return found


def report_takeover(what: str, found: list[Takeover]) -> None:
    def median(values: list[float]) -> str:
        listed = ", ".join(f"{value:.2f}" for value in values)
        return f"{statistics.median(values):.2f} s ({listed})"

    print(f"{what} SIGKILLed mid-call, a new worker started at once (medians of {len(found)}):")
    print(f"  re-issued after {median([t.reissued for t in found])} from the kill")
    print(f"  the new worker took over at {median([t.took_over for t in found])}, "
          f"polled at {median([t.polled for t in found])} (its start-up)")  # fmt: skip
    after = [t.reissued - max(t.took_over, t.polled) for t in found]
    print(f"  re-issued {median(after)} after the new worker was ready")


def report(
    times: dict[str, list[float]], budget: dict[str, float], restarts: list[Takeover]
) -> None:
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    rounds = len(times["bare"])
    print(f"One offline phase (2 model calls, 1 write), medians of {rounds} interleaved rounds:")
    for name, value in medians.items():
        print(f"  {name:<14} {value:8.1f} ms   ({value / medians['bare']:.2f}x bare)")
    per_call = (medians["durable agent"] - medians["bare"]) / 2
    print(f"  durability per model call (checkpoint + ledger row): {per_call:.1f} ms")
    print(f"  orchestration per phase (mda - bare): {medians['mda'] - medians['bare']:.1f} ms")
    from budget_check import report_per_call

    report_per_call(budget)
    if restarts:
        report_takeover("A run's worker", restarts)


def main() -> None:
    parser = argparse.ArgumentParser(description="What mda's durability costs a run phase.")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--restart-rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=1500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mda-bench-")).resolve()
    setup_environment(root)
    with embedded_server():
        times, budget = asyncio.run(phases(args.rounds, root))
        rounds = 0 if args.no_restart else args.restart_rounds
        restarts = restart_reissue(root, args.latency_ms, rounds) if rounds else []
        report(times, budget, restarts)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
