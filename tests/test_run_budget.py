"""Budget caps on real runs: worker processes, the session's dev server, SQLite.

The scripted model is given a price (`prices.yaml` in mda's config folder, the way a
user prices a model mda does not know), so its calls cost money and caps bite:

- `prompt`: the run pauses before the call that would not fit, waits with no worker
  alive (the worker is SIGKILLed and restarted while it waits), and after
  `mda budget raise` makes exactly the paused call: every call is served once and
  has one ledger row.
- `block`: the phase fails naming the cap and how to raise it; `mda resume
  --budget-usd` continues the stopped phase's thread, no call made twice.
- `warn_continue`: the run completes, with one warning event per threshold.
- a day cap from the configuration blocks like a run's cap.
"""

from __future__ import annotations

import collections
import json
import os
import pty
import re
import subprocess
import sys
from decimal import Decimal
from typing import Any

from temporalio.client import Client

from budget_helpers import price_scripted_calls
from run_harness import RunEnv
from test_run_durability import add_explorer, ledger
from test_run_prompt import Terminal
from worker_helpers import finish, kill, mda, served, start_detached, start_worker, wait_until

EXPLORE = 6
"""The spec writer lists the tree 6 times, then writes and sums up: 8 calls."""


def costs(rows: list[Any]) -> Decimal:
    return sum((Decimal(r.cost_usd) for r in rows), Decimal(0))


def assert_served_once(call_log: Any, rows: list[Any]) -> None:
    counts = collections.Counter(served(call_log))
    assert all(n == 1 for n in counts.values()), counts
    assert len(rows) == len(counts)


async def test_a_prompt_cap_pauses_survives_a_killed_worker_and_continues_after_a_raise(
    run_env: RunEnv, temporal_client: Client, tmp_path: Any
) -> None:
    price_scripted_calls()
    call_log = tmp_path / "calls.log"
    log = {"MDA_SCRIPTED_CALL_LOG": str(call_log)}
    worker = await start_worker(run_env, temporal_client, **log)
    explorer = add_explorer(EXPLORE)
    run_id = await start_detached(
        run_env, run_env.repo, "--persona", explorer, "--budget-usd", "3",
        "--budget-policy", "prompt",
    )  # fmt: skip
    view = await _wait_for_budget_gate(run_env, run_id)
    gate = view["pending_budget"]
    assert gate["scope"] == "run" and gate["cap_usd"] == "3" and gate["policy"] == "prompt"
    assert view["state"] == "awaiting_approval"
    _, rows = await ledger(run_id)
    assert 0 < len(rows) < EXPLORE + 2 and costs(rows) <= 3
    assert Decimal(gate["spent_usd"]) + Decimal(gate["needed_usd"]) > 3
    budget = json.loads((await mda(run_env, "budget", "--json")).stdout)
    line = next(b for b in budget if b["name"].startswith(f"run {run_id[:8]}"))
    assert (line["cap_usd"], Decimal(line["spent_usd"])) == ("3", costs(rows))

    kill(worker)  # the run waits with no process alive
    await start_worker(run_env, temporal_client, **log)
    not_above = await mda(run_env, "budget", "raise", run_id[:8], "--usd", "2")
    assert not_above.returncode == 2 and "must be above the current run cap" in not_above.stderr
    raised = await mda(run_env, "budget", "raise", run_id[:8], "--usd", "50")
    assert raised.returncode == 0, raised.stderr
    assert (await finish(temporal_client, run_id)).state == "completed"

    events, rows = await ledger(run_id)
    assert_served_once(call_log, rows)
    kinds = [e.type.value for e in events]
    assert kinds.count("budget.exceeded") == 1 and kinds.count("budget.raised") == 1
    again = await mda(run_env, "budget", "raise", run_id[:8], "--usd", "99")
    assert again.returncode == 2 and "has ended" in again.stderr


async def _wait_for_budget_gate(env: RunEnv, run_id: str) -> dict[str, Any]:
    views: list[dict[str, Any]] = []

    def paused() -> bool:
        result = env.mda("runs", "show", run_id, "--json")
        views.append(json.loads(result.stdout) if result.returncode == 0 else {})
        return bool(views[-1].get("pending_budget"))

    await wait_until(paused, "a pending budget gate")
    return views[-1]


async def test_a_block_cap_fails_the_phase_and_resume_continues_its_thread(
    run_env: RunEnv, temporal_client: Client, tmp_path: Any
) -> None:
    price_scripted_calls()
    call_log = tmp_path / "calls.log"
    await start_worker(run_env, temporal_client, MDA_SCRIPTED_CALL_LOG=str(call_log))
    run_id = await start_detached(
        run_env, run_env.repo, "--persona", add_explorer(EXPLORE), "--budget-usd", "3",
        "--budget-policy", "block",
    )  # fmt: skip
    assert (await finish(temporal_client, run_id)).state == "failed"
    shown = json.loads((await mda(run_env, "runs", "show", run_id, "--json")).stdout)
    assert "the run's budget of $3.00 is reached" in shown["error"]
    assert f"mda resume {run_id[:8]} --budget-usd" in shown["error"]
    _, stopped = await ledger(run_id)
    assert costs(stopped) <= 3

    resumed = await mda(run_env, "resume", run_id, "--budget-usd", "50")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    events, rows = await ledger(run_id)
    assert_served_once(call_log, rows)
    spec_threads = {r.thread_id for r in rows if r.phase_key == "spec"}
    assert spec_threads == {f"run:{run_id}:phase:spec:1"}  # the same thread, continued
    assert [e.type.value for e in events][-1] == "run.completed"


async def test_warn_continue_warns_once_per_threshold_and_completes(
    run_env: RunEnv, temporal_client: Client
) -> None:
    price_scripted_calls()
    await start_worker(run_env, temporal_client)
    run_id = await start_detached(
        run_env, run_env.repo, "--budget-usd", "1", "--budget-policy", "warn_continue"
    )
    assert (await finish(temporal_client, run_id)).state == "completed"
    events, rows = await ledger(run_id)
    assert costs(rows) > 1
    warnings = [e.payload for e in events if e.type.value == "budget.warning"]
    assert [(w["scope"], w["threshold"]) for w in warnings] == [("run", 0.8), ("run", 1.0)]
    assert "exceeded" in str(warnings[1]["text"])


async def test_a_day_cap_from_the_configuration_blocks(
    run_env: RunEnv, temporal_client: Client
) -> None:
    price_scripted_calls()
    run_env.env.update({"MDA_BUDGET_DAY_USD": "1.5", "MDA_BUDGET_DAY_POLICY": "block"})
    await start_worker(run_env, temporal_client)
    run_id = await start_detached(run_env, run_env.repo, "--persona", add_explorer(EXPLORE))
    assert (await finish(temporal_client, run_id)).state == "failed"
    shown = json.loads((await mda(run_env, "runs", "show", run_id, "--json")).stdout)
    assert "today's budget" in shown["error"] and "MDA_BUDGET_DAY_USD" in shown["error"]
    budget = json.loads((await mda(run_env, "budget", "--json")).stdout)
    day = next(b for b in budget if b["scope"] == "day")
    assert day["cap_usd"] == "1.5" and Decimal(day["spent_usd"]) <= Decimal("1.5")


def test_the_follower_shows_the_estimate_and_asks_for_a_raise_at_the_cap(
    run_env: RunEnv,
) -> None:
    price_scripted_calls()
    run_env.start_worker()
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "my_deepagent", "start", "spec-and-review", "--repo",
         str(run_env.repo), "--offline", "--yes", "-r", "Add due dates.",
         "--persona", add_explorer(EXPLORE), "--budget-usd", "3", "--budget-policy", "prompt"],
        stdin=slave, stdout=slave, stderr=slave, env=run_env.env,
    )  # fmt: skip
    os.close(slave)
    terminal = Terminal(master)
    try:
        shown = terminal.wait_for(" started: ")
        assert "Cost estimate" in shown and "the run's budget $3.00 (prompt)" in shown
        found = re.search(r"Run ([0-9a-f]{32}) started", shown)
        assert found is not None
        terminal.wait_for("The run waits: the run's budget of $3.00 is reached")
        terminal.wait_for("[w]ait? ")
        terminal.type("lots")
        terminal.wait_for("the new cap must be an amount in US dollars")
        terminal.type("50")
        terminal.wait_for(f"Run {found.group(1)} completed.")
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
