"""`MDA_SANDBOX=off` is the user's explicit word, and it is never forgotten: a run
records it per phase in its audit trail and report, a session keeps when it was first
taken, and the REPL banner says so. A real worker, dev server and repository."""

from __future__ import annotations

import json

from run_harness import RunEnv
from test_repl import repl
from test_run_e2e import REQUIREMENTS


def test_a_run_with_the_sandbox_off_says_so_in_its_events_and_report(run_env: RunEnv) -> None:
    run_env.start_worker(MDA_SANDBOX="off")
    started = run_env.mda(
        "start", "spec-and-review", "--repo", str(run_env.repo), "-r", REQUIREMENTS,
        "--offline", "--yes", "--json",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    kinds = [(e["type"], e["phase_key"]) for e in run_env.mda_json("runs", "events", run_id)]
    assert ("sandbox.off", "spec") in kinds and ("sandbox.off", "review") in kinds
    document = json.loads(run_env.mda("report", run_id, "--format", "json").stdout)
    assert document["run"]["unconfined_phases"] == [p["phase"] for p in document["phases"]]
    markdown = run_env.mda("report", run_id).stdout
    assert "- agent shell: **unconfined** (MDA_SANDBOX=off" in markdown


def test_a_session_with_the_sandbox_off_keeps_it_and_the_banner_warns(run_env: RunEnv) -> None:
    run_env.start_worker(MDA_SANDBOX="off")
    reply = run_env.mda("chat", "--repo", str(run_env.repo), "--offline", "--json", "-m", "hi")
    assert reply.returncode == 0, reply.stderr
    session = json.loads(reply.stdout)["session_id"]
    shown = run_env.mda_json("sessions", "show", session)
    assert shown["unconfined_since"] is not None
    assert "agent shell: UNCONFINED since" in run_env.mda("sessions", "show", session).stdout

    with repl(run_env, "sessions", "resume", session[:8]) as (terminal, _):
        banner = terminal.wait_for("Type a message")
        assert "earlier turns ran the agent's shell unconfined" in banner
    with repl(run_env, "sessions", "resume", session[:8], MDA_SANDBOX="off") as (terminal, _):
        banner = terminal.wait_for("Type a message")
        assert "the agent's shell runs UNCONFINED (MDA_SANDBOX=off)" in banner
