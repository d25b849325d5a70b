"""What a session turn costs through mda, next to the same agent bare, in one process.

A turn here is offline and realistic in shape: the user asks about three files by
name, the scripted chat model reads them (3 `read_file` calls in one model call) and
then answers (2 model calls, 3 file operations). Three ways, interleaved turn by turn
so the machine's noise falls on all alike, each continuing its own conversation:

- bare: the deepagents agent in-process, no checkpointer, the history kept in a list;
- durable agent: the same with mda's checkpointer thread and llm_calls ledger;
- mda: a chat update to a `SessionWorkflow` on the embedded dev server (worker in
  this process): the turn activity, message mirroring, totals, memory, heartbeats.

Then the history a turn adds to the session workflow's Temporal history, what
the budget check and the ledger's cost fields add to each model call
(`budget_check.py`, on a request the durable agent made), and the takeover figure:
a turn's worker process is SIGKILLed mid model call and a new worker started at
once, which takes the turn over (`my_deepagent.takeover`); timed as in
`run_overhead.py` (`--takeover-rounds` turns, 0 for none).

    .venv/bin/python benchmarks/session_turn.py [--turns 30] [--takeover-rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from budget_check import CaptureRequest, per_call_costs, report_per_call
from run_overhead import (
    Takeover,
    calls_served,
    embedded_server,
    kill_and_restart,
    log_time,
    report_takeover,
    setup_environment,
    spawn_worker,
)

QUESTION = "Compare @README.md @todo/store.py @tests/test_store.py for me (turn {n})."
WARMUP = 3


async def turns(count: int, root: Path) -> tuple[dict[str, list[float]], int, dict[str, float]]:
    from langchain_core.messages import BaseMessage, HumanMessage

    from my_deepagent.activities.deps import open_deps
    from my_deepagent.activities.session_turn import SESSION_CONVENTIONS
    from my_deepagent.agents.builder import build_agent
    from my_deepagent.agents.models import build_chat_model
    from my_deepagent.agents.usage import CallContext, UsageMiddleware
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.examples import prepare_example_repo
    from my_deepagent.sessions.client import SessionChoice, create_session, ensure_running, send
    from my_deepagent.temporal_config import connect_client
    from my_deepagent.worker import build_worker
    from my_deepagent.workflows.session_types import ChatMessage

    persona = load_user_catalog().persona("scripted-chat")
    prompt = f"{persona.system_prompt.strip()}\n\n{SESSION_CONVENTIONS}"
    repos = {name: prepare_example_repo(root / name) for name in ("bare", "durable", "mda")}
    client = await connect_client()
    times: dict[str, list[float]] = {"bare": [], "durable agent": [], "mda": []}
    async with open_deps() as deps:
        bare_history: list[BaseMessage] = []
        bare_agent = build_agent(
            build_chat_model(persona.model), worktree=repos["bare"], system_prompt=prompt
        )
        durable_thread = f"bench:{uuid.uuid4().hex}"
        capture = CaptureRequest()
        durable_agent = build_agent(
            build_chat_model(persona.model),
            worktree=repos["durable"],
            system_prompt=prompt,
            checkpointer=deps.checkpointer,
            extra_middleware=[
                capture,
                UsageMiddleware(
                    deps.db, CallContext(thread_id=durable_thread, model=persona.model)
                ),
            ],
        )
        record = await create_session(
            deps.db, repos["mda"], SessionChoice(persona=persona, model=persona.model)
        )

        async def bare(n: int) -> None:
            result = await bare_agent.ainvoke(
                {"messages": [*bare_history, HumanMessage(QUESTION.format(n=n))]}
            )
            bare_history[:] = result["messages"]
            check(result["messages"][-1].content)

        async def durable(n: int) -> None:
            result = await durable_agent.ainvoke(
                {"messages": [HumanMessage(QUESTION.format(n=n))]},
                {"configurable": {"thread_id": durable_thread}},
                durability="sync",
            )
            check(result["messages"][-1].content)

        async with build_worker(client, deps):
            handle = await ensure_running(client, deps.db, record)

            async def through_mda(n: int) -> None:
                text = QUESTION.format(n=n)
                message = ChatMessage(client_id=uuid.uuid4().hex, text=text, size=len(text))
                result = await send(handle, deps.db, message)
                assert result.usage.model_calls == 2, result
                check(result.reply)

            steps: dict[str, Any] = {"bare": bare, "durable agent": durable, "mda": through_mda}
            for n in range(count + WARMUP):
                for name, step in steps.items():
                    started = time.perf_counter()
                    await step(n)
                    if n >= WARMUP:
                        times[name].append(time.perf_counter() - started)
            history = await handle.fetch_history()
        assert capture.request is not None
        budget = await per_call_costs(deps.db, capture.request, session_id=record.id)
    return times, len(history.to_json().encode()) // (count + WARMUP), budget


async def session_takeover(root: Path, rounds: int, latency_ms: int) -> list[Takeover]:
    """A turn's worker process SIGKILLed mid model call, a new worker started at once:
    the turn completes on it (`rounds` turns of one session, each on a new worker)."""
    import signal

    from my_deepagent.activities.deps import open_deps
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.examples import prepare_example_repo
    from my_deepagent.sessions.client import SessionChoice, create_session, ensure_running, send
    from my_deepagent.temporal_config import connect_client
    from my_deepagent.workflows.session_types import ChatMessage

    env = {
        **os.environ,
        "MDA_SCRIPTED_LATENCY_MS": str(latency_ms),
        "MDA_SCRIPTED_CALL_LOG": str(root / "takeover-calls.log"),
    }
    worker = spawn_worker(root, "takeover-0", env)
    await asyncio.to_thread(log_time, root / "takeover-0.log", "polling task queue")
    persona = load_user_catalog().persona("scripted-chat")
    client = await connect_client()
    found: list[Takeover] = []
    try:
        async with open_deps() as deps:
            repo = prepare_example_repo(root / "takeover-repo")
            choice = SessionChoice(persona=persona, model=persona.model)
            handle = await ensure_running(
                client, deps.db, await create_session(deps.db, repo, choice)
            )
            for index in range(rounds):
                before = calls_served(root / "takeover-calls.log")
                text = QUESTION.format(n=index)
                message = ChatMessage(client_id=uuid.uuid4().hex, text=text, size=len(text))
                turn = asyncio.create_task(send(handle, deps.db, message))
                name = f"takeover-{index + 1}"
                taken, worker = await asyncio.to_thread(
                    kill_and_restart, root, name, worker, env, before
                )
                check((await turn).reply)
                found.append(taken)
                await asyncio.to_thread(log_time, root / f"{name}.log", "polling task queue")
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.to_thread(worker.wait)
    return found


def check(reply: Any) -> None:
    assert isinstance(reply, str) and reply.count(" has ") == 3, reply


def report(times: dict[str, list[float]], history_per_turn: int, budget: dict[str, float]) -> None:
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(
        f"One offline session turn (2 model calls, 3 file reads), medians of "
        f"{len(times['bare'])} interleaved turns:"
    )
    for name, value in medians.items():
        print(f"  {name:<14} {value:8.1f} ms   ({value / medians['bare']:.2f}x bare)")
    print(f"  mda adds per turn (mda - bare): {medians['mda'] - medians['bare']:.1f} ms")
    print(f"  of which durability (durable agent - bare): "
          f"{medians['durable agent'] - medians['bare']:.1f} ms")  # fmt: skip
    print(f"Temporal history per turn: {history_per_turn:,} bytes")
    report_per_call(budget)


def main() -> None:
    parser = argparse.ArgumentParser(description="What mda adds to a session turn.")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument(
        "--takeover-rounds", type=int, default=3, help="turns whose worker is killed (0: none)"
    )
    parser.add_argument("--latency-ms", type=int, default=1500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mda-bench-session-")).resolve()
    setup_environment(root, task_queue="bench-session")
    with embedded_server():
        report(*asyncio.run(turns(args.turns, root)))
        if args.takeover_rounds:
            found = asyncio.run(session_takeover(root, args.takeover_rounds, args.latency_ms))
            report_takeover("A session turn's worker", found)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
