"""Issue 3's durability claims, shown with real worker processes on the session server.

- A worker SIGKILLed while a model call is in flight: a new worker finishes the run,
  and no model call that had completed is served again (the scripted model logs every
  call it serves, `MDA_SCRIPTED_CALL_LOG`); the ledger holds one `llm_calls` row per
  call, and the report counts what a run without a crash counts.
- A run whose workflow was terminated mid-phase: `mda resume` starts a new execution
  that skips the completed phases and finishes.
- A phase of 200 model calls with tool calls between them keeps the workflow history
  small (a model call is a checkpoint, not a history event).

The worker gets `MDA_SCRIPTED_LATENCY_MS` so a call is in flight long enough to kill
the worker during it. Each test waits on deadlines, never on sleeps.
"""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client

from my_deepagent.examples import prepare_example_repo
from my_deepagent.settings import get_settings
from run_harness import RunEnv
from worker_helpers import (
    finish,
    kill,
    mda,
    report,
    served,
    start_detached,
    start_worker,
    wait_until,
    write_explorer_persona,
)

LATENCY_MS = "700"
MAX_HISTORY_BYTES = 1024 * 1024
EXPLORE_CALLS = 200
TEMPORAL_CLI = Path(sys.executable).parent / "temporal"
KILL_AFTER_CALLS = 3
"""The crash test's spec writer lists the tree 4 times, then writes: 6 calls. The kill
comes once 3 are served, so the 4th is in flight and 2 finished calls precede the one
that may be served again (it finished, but its checkpoint may not have)."""


def add_explorer(calls: int, role: str = "spec_writer") -> str:
    """`ROLE=PERSONA` for a user persona whose scripted model calls `ls` `calls` times
    before it writes its artifact."""
    capabilities = {"spec_writer": "[spec_write, phase_planning]", "reviewer": "[code_review]"}
    persona = write_explorer_persona(
        f"scripted-{role.replace('_', '-')}-explorer-{calls}",
        f"scripted:{role}-explore-{calls}",
        capabilities[role],
        calls,
    )
    return f"{role}={persona}"


def per_phase(document: dict[str, Any]) -> list[tuple[str, int, int, int, int]]:
    return [
        (p["phase"], p["round"], p["model_calls"], p["input_tokens"], p["output_tokens"])
        for p in document["phases"]
    ]


async def ledger(run_id: str) -> tuple[list[Any], list[Any]]:
    from my_deepagent.store.database import open_database
    from my_deepagent.store.events import list_events
    from my_deepagent.store.llm_calls import list_llm_calls

    async with open_database(get_settings()) as db:
        return await list_events(db, run_id), await list_llm_calls(db, run_id)


def audited(run_id: str, explored: int) -> None:
    """The audit trail across the kill: no torn line, a line for every `ls` call of the
    spec phase, and at most one call (the one that finished as the worker died) twice."""
    from my_deepagent.audit import audit_file, read_entries

    path = audit_file(get_settings().paths.log_dir)
    assert len(path.read_text().splitlines()) == len(list(read_entries(path)))
    calls = [e for e in read_entries(path) if e.run_id == run_id and e.phase == "spec"]
    per_call = collections.Counter(e.call_id for e in calls if e.tool == "ls")
    assert len(per_call) == explored, per_call
    assert sum(n - 1 for n in per_call.values()) <= 1, per_call
    assert all(e.outcome == "ok" for e in calls)


async def test_killed_worker_mid_call_finishes_without_repeating_calls(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    from my_deepagent.store.llm_calls import llm_call_key

    call_log = tmp_path / "calls.log"
    slow = {"MDA_SCRIPTED_LATENCY_MS": LATENCY_MS, "MDA_SCRIPTED_CALL_LOG": str(call_log)}
    explorer = add_explorer(KILL_AFTER_CALLS + 1)
    first = await start_worker(run_env, temporal_client, **slow)
    run_id = await start_detached(run_env, run_env.repo, "--persona", explorer)
    await wait_until(
        lambda: len(served(call_log)) >= KILL_AFTER_CALLS, f"{KILL_AFTER_CALLS} model calls"
    )
    kill(first)
    at_kill = served(call_log)
    await start_worker(run_env, temporal_client, **slow)
    status = await finish(temporal_client, run_id)
    assert status.state == "completed"

    calls = served(call_log)
    counts = collections.Counter(calls)
    repeated = {call: n for call, n in counts.items() if n > 1}
    assert len(repeated) <= 1 and all(n == 2 for n in repeated.values()), repeated
    assert not set(repeated) & set(at_kill[:-1]), "a call completed before the kill ran again"
    _, rows = await ledger(run_id)
    recorded = {
        call for row in rows for call in counts if llm_call_key(row.thread_id, call) == row.call_key
    }
    assert len(rows) == len(counts) and recorded == set(counts)
    crashed = report(run_id)
    assert crashed["totals"]["model_calls"] == len(counts)
    audited(run_id, KILL_AFTER_CALLS + 1)

    calm_repo = prepare_example_repo(tmp_path / "calm-repo")
    calm_id = await start_detached(run_env, calm_repo, "--persona", explorer)
    assert (await finish(temporal_client, calm_id)).state == "completed"
    assert per_phase(crashed) == per_phase(report(calm_id))
    assert len(served(call_log)) == len(calls) + crashed["totals"]["model_calls"]


async def test_resume_after_terminate_skips_completed_phases(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    call_log = tmp_path / "calls.log"
    slow = {"MDA_SCRIPTED_LATENCY_MS": LATENCY_MS, "MDA_SCRIPTED_CALL_LOG": str(call_log)}
    await start_worker(run_env, temporal_client, **slow)
    # spec makes 2 calls (write, summary); review lists the tree 4 times first, so
    # review runs for several calls after its first one is served. The persona is
    # added after the worker started, which must pick it up.
    reviewer = add_explorer(4, "reviewer")
    run_id = await start_detached(run_env, run_env.repo, "--persona", reviewer)
    await wait_until(lambda: len(served(call_log)) >= 3, "review's first model call")
    terminate = await asyncio.to_thread(
        subprocess.run,
        [
            str(TEMPORAL_CLI), "workflow", "terminate", "--workflow-id", f"run-{run_id}",
            "--reason", "test", "--address", run_env.env["TEMPORAL_ADDRESS"],
            "--namespace", run_env.env["TEMPORAL_NAMESPACE"],
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert terminate.returncode == 0, terminate.stderr

    resumed = await mda(run_env, "resume", run_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resumed from its first unfinished phase" in resumed.stdout
    events, _ = await ledger(run_id)
    before = events[: next(i for i, e in enumerate(events) if e.type.value == "run.resumed")]
    assert ("phase.completed", "review") not in [(e.type.value, e.phase_key) for e in before]
    kinds = [(e.type.value, e.phase_key) for e in events]
    assert ("phase.skipped", "spec") in kinds
    assert ("run.resumed", None) in kinds
    assert kinds[-1] == ("run.completed", None)
    assert ("phase.skipped", "review") not in kinds
    final = report(run_id)
    assert final["run"]["state"] == "completed"
    # The resumed execution numbers its rounds on: the terminated review (round 1)
    # keeps its rows, the new one is round 2, with its own model calls counted.
    reviews = {p["round"]: p for p in final["phases"] if p["phase"] == "review"}
    assert sorted(reviews) == [1, 2]
    assert reviews[1]["state"] != "completed"
    assert reviews[2]["state"] == "completed"
    assert reviews[2]["model_calls"] == 4 + 2  # 4 listings, the write, the summary


async def test_a_phase_of_200_model_calls_keeps_the_history_small(
    run_env: RunEnv, temporal_client: Client
) -> None:
    explorer = add_explorer(EXPLORE_CALLS)
    await start_worker(run_env, temporal_client)
    run_id = await start_detached(run_env, run_env.repo, "--persona", explorer)
    assert (await finish(temporal_client, run_id)).state == "completed"

    spec = next(p for p in report(run_id)["phases"] if p["phase"] == "spec")
    assert spec["persona"] == explorer.partition("=")[2]
    assert spec["model_calls"] == EXPLORE_CALLS + 2
    history = await temporal_client.get_workflow_handle(f"run-{run_id}").fetch_history()
    size = len(history.to_json().encode())
    assert size < MAX_HISTORY_BYTES, f"history is {size} bytes"
