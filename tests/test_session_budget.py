"""Budget caps on real sessions: worker processes, the dev server, SQLite, the REPL.

The scripted model is priced (`prices.yaml`) so that a chat turn costs money:

- `prompt`: a turn pauses before the call that would not fit, waits while its worker
  is SIGKILLed and another starts, and goes on after `mda budget raise`; every call
  is served once.
- `block`: the turn stops with the error naming the cap; after a raise the next
  message continues the same agent context (the work of the stopped turn is kept).
- the REPL offers to raise a waiting cap, and `/budget` and `/stats` show money.
- bad input: a non-numeric or negative budget, an unknown scope.
"""

from __future__ import annotations

import asyncio
import collections
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio.client import Client

from budget_helpers import price_scripted_calls
from run_harness import RunEnv
from test_repl import repl, step
from test_session_durability import add_chat_explorer
from worker_helpers import DEADLINE_S, kill, mda, served, start_worker, wait_until


def chat_in_background(env: RunEnv, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "my_deepagent", "chat", "--repo", str(env.repo), *args],
        env=env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def newest_session(env: RunEnv) -> dict[str, Any]:
    listed = json.loads(env.mda("sessions", "list", "--json").stdout)
    assert listed, "no session yet"
    shown = env.mda("sessions", "show", listed[0]["session_id"], "--json")
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


async def session_calls(session_id: str) -> list[Any]:
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.llm_calls import session_llm_calls

    async with open_database(get_settings()) as db:
        return await session_llm_calls(db, session_id)


async def test_a_prompt_cap_pauses_a_turn_through_a_worker_kill_until_a_raise(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    price_scripted_calls()
    call_log = tmp_path / "calls.log"
    log = {"MDA_SCRIPTED_CALL_LOG": str(call_log)}
    worker = await start_worker(run_env, temporal_client, **log)
    chat = chat_in_background(
        run_env, "--agent", add_chat_explorer(), "--budget-usd", "2.5", "-m", "Look around."
    )
    views: list[dict[str, Any]] = []

    def waiting() -> bool:
        try:
            views.append(newest_session(run_env))
        except AssertionError:
            return False
        return views[-1]["budget_gate"] is not None

    await wait_until(waiting, "a turn waiting on the session's cap")
    session, gate = views[-1], views[-1]["budget_gate"]
    assert (gate["scope"], gate["cap_usd"], gate["policy"]) == ("session", "2.5", "prompt")
    assert Decimal(session["spent_usd"]) <= Decimal("2.5")

    kill(worker)
    await start_worker(run_env, temporal_client, **log)
    raised = await mda(run_env, "budget", "raise", session["session_id"][:8], "--usd", "40")
    assert raised.returncode == 0, raised.stderr
    out, err = await asyncio.to_thread(chat.communicate, timeout=DEADLINE_S)
    assert chat.returncode == 0, err
    assert "You said: “Look around.”" in out
    assert "the turn waits: the session's budget of $2.50 is reached" in err
    rows = await session_calls(session["session_id"])
    counts = collections.Counter(served(call_log))
    assert all(n == 1 for n in counts.values()) and len(rows) == len(counts)


async def test_a_block_cap_stops_the_turn_and_the_next_message_continues_its_context(
    run_env: RunEnv, temporal_client: Client
) -> None:
    price_scripted_calls()
    run_env.env["MDA_BUDGET_SESSION_POLICY"] = "block"
    await start_worker(run_env, temporal_client)
    agent = add_chat_explorer()
    stopped = await mda(run_env, "chat", "--agent", agent, "--budget-usd", "2.5", "-m", "Hello.")
    assert stopped.returncode != 0
    assert "the turn stopped: the session's budget of $2.50 is reached" in stopped.stderr
    assert "/budget raise" in stopped.stderr
    session = newest_session(run_env)
    before = await session_calls(session["session_id"])
    assert len(before) > 0 and Decimal(session["spent_usd"]) <= Decimal("2.5")

    short = session["session_id"][:8]
    raised = await mda(run_env, "budget", "raise", short, "--usd", "40")
    assert raised.returncode == 0 and "session cap of session" in raised.stdout
    went_on = await mda(run_env, "chat", "--session", short, "-m", "Go on.")
    assert went_on.returncode == 0, went_on.stderr
    assert "You said: “Go on.”" in went_on.stdout
    after = await session_calls(session["session_id"])
    assert [c.call_key for c in after[: len(before)]] == [c.call_key for c in before]
    assert {c.thread_id for c in after} == {f"session:{session['session_id']}:0"}


def test_the_repl_offers_a_raise_and_shows_money(run_env: RunEnv) -> None:
    price_scripted_calls()
    run_env.start_worker()
    with repl(run_env, "chat", "--agent", add_chat_explorer(), "--budget-usd", "2.5") as (
        terminal,
        process,
    ):
        terminal.wait_for("Type a message, /help for commands")
        step(terminal, "/budget", "of $2.50 (0%, prompt)")
        step(terminal, "Look around.", "The turn waits: the session's budget of $2.50")
        terminal.wait_for("or Enter to cancel the turn:")
        step(terminal, "-3", "error: the new cap must be more than $0")
        step(terminal, "2.5", "error: the new cap must be above $2.5")
        step(terminal, "40", "You said: “Look around.”")
        out = step(terminal, "/stats", "cost: $")
        assert "over " in out and "model calls" in out
        out = step(terminal, "/budget", "of $40.00")
        assert "session " in out
        step(terminal, "/budget raise lots", "error: the new cap must be an amount")
        step(terminal, "/budget raise 50 week", "error: the scope: unknown budget scope")
        step(terminal, "/quit", "kept")
        assert process.wait(timeout=DEADLINE_S) == 0


def test_bad_budget_input_is_one_line_and_changes_nothing(run_env: RunEnv) -> None:
    for args, expected in [
        (("start", "spec-and-review", "--offline", "-r", "x", "--budget-usd", "two"),
         "--budget-usd must be an amount in US dollars such as 2 or 0.50, not 'two'"),
        (("start", "spec-and-review", "--offline", "-r", "x", "--budget-usd", "-1"),
         "--budget-usd must be more than $0"),
        (("start", "spec-and-review", "--offline", "-r", "x", "--budget-usd", "1",
          "--budget-policy", "maybe"), "unknown budget policy 'maybe'"),
        (("chat", "--offline", "-m", "hi", "--budget-usd", "NaN"), "--budget-usd must be more"),
        (("budget", "raise", "abcdef12", "--usd", "0"), "--usd must be more than $0"),
        (("budget", "raise", "abcdef12", "--usd", "5", "--scope", "week"),
         "--scope: unknown budget scope 'week'"),
        (("budget", "raise", "abcdef12", "--usd", "5"), "no run 'abcdef12'"),
        (("stats", "--by", "colour"), "unknown --by 'colour'"),
        (("stats", "--since", "yesterday"), "--since 'yesterday' is not a date"),
    ]:  # fmt: skip
        result = (
            run_env.mda(*args, "--repo", str(run_env.repo))
            if args[0] == "start"
            else (run_env.mda(*args))
        )
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
    listed = json.loads(run_env.mda("runs", "list", "--json").stdout)
    assert listed == []
    assert json.loads(run_env.mda("sessions", "list", "--json").stdout) == []
