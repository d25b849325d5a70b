"""Runs as a person makes them: the `mda` command in a subprocess, a real worker process,
the session's Temporal dev server and a real git repository, all offline (scripted
personas).

Covers issue 3's end-to-end requirements: a full run of each shipped template, every
way through an approval gate (approve, reject, request changes, abort, time out),
decisions for the wrong gate or a finished run, and bad input that must leave nothing
half-made. Waits poll with deadlines (`RunEnv.wait_for`); nothing sleeps to assert.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from my_deepagent.domain.catalog import load_catalog, shipped_assets_dir
from my_deepagent.embedded.processes import find_temporal_binary
from run_harness import DEADLINE_S, RunEnv, checkout_snapshot, one_line_error

REQUIREMENTS = "Add a due date to todo items and list the overdue ones."
ARTIFACTS = {
    "spec-and-review@1": {
        "spec": (".mda/artifacts/spec.json", "spec@1"),
        "review": (".mda/artifacts/review.json", "review@1"),
        "verify": (".mda/artifacts/verification.json", "verification@1"),
    },
    "bugfix@1": {
        "reproduce": (".mda/artifacts/reproduction.json", "reproduction@1"),
        "fix": (".mda/artifacts/fix.json", "fix@1"),
        "verify": (".mda/artifacts/verification.json", "verification@1"),
    },
}


@pytest.fixture
def mda(run_env: RunEnv) -> Iterator[RunEnv]:
    """`run_env` with one worker polling the test's task queue."""
    run_env.start_worker()
    yield run_env


# --- helpers ----------------------------------------------------------------------


def start(env: RunEnv, *args: str, template: str = "spec-and-review@1") -> dict[str, Any]:
    """`mda start TEMPLATE --repo R -r ... --offline --json ARGS`; its JSON summary."""
    result = env.mda(
        "start", template, "--repo", str(env.repo), "-r", REQUIREMENTS, "--offline", "--json", *args
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def start_detached(env: RunEnv, *args: str, template: str = "spec-and-review@1") -> str:
    run_id: str = start(env, "--detach", *args, template=template)["run_id"]
    return run_id


def wait_gate(env: RunEnv, run_id: str, gate_id: str) -> dict[str, Any]:
    def pending(view: dict[str, Any]) -> bool:
        gate = view.get("pending_gate")
        return gate is not None and gate["gate_id"] == gate_id

    return env.wait_for(run_id, pending, f"pending gate {gate_id}")


def wait_state(env: RunEnv, run_id: str, state: str) -> dict[str, Any]:
    return env.wait_for(run_id, lambda view: view["state"] == state, f"state {state}")


def events(env: RunEnv, run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = env.mda_json("runs", "events", run_id)
    return found


def event_types(env: RunEnv, run_id: str) -> list[str]:
    return [e["type"] for e in events(env, run_id)]


def wait_event(env: RunEnv, run_id: str, kind: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = [e for e in events(env, run_id) if e["type"] == kind]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} never recorded {kind}: {event_types(env, run_id)}")


def report(env: RunEnv, run_id: str) -> dict[str, Any]:
    result = env.mda("report", run_id, "--format", "json")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def run_branches(env: RunEnv) -> list[str]:
    return env.git("for-each-ref", "--format=%(refname:short)", "refs/heads/mda/").split()


def run_count(env: RunEnv) -> int:
    return len(env.mda_json("runs", "list"))


def temporal_signal(env: RunEnv, run_id: str, name: str, body: str) -> None:
    """A raw `temporal workflow signal`, as the README shows it."""
    result = subprocess.run(
        [
            str(find_temporal_binary()),
            "workflow",
            "signal",
            "--address",
            env.env["TEMPORAL_ADDRESS"],
            "--namespace",
            env.env["TEMPORAL_NAMESPACE"],
            "--workflow-id",
            f"run-{run_id}",
            "--name",
            name,
            "--input",
            body,
        ],
        capture_output=True,
        text=True,
        env=env.env,
        timeout=DEADLINE_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- full runs --------------------------------------------------------------------


@pytest.mark.parametrize("template", sorted(ARTIFACTS))
def test_full_offline_run_of_a_shipped_template(mda: RunEnv, template: str) -> None:
    before = checkout_snapshot(mda.repo)
    summary = start(mda, "--yes", template=template)
    run_id = summary["run_id"]
    assert summary["workflow_id"] == f"run-{run_id}"
    assert summary["state"] == "completed"
    assert checkout_snapshot(mda.repo) == before
    view = mda.mda_json("runs", "show", run_id)
    assert view["state"] == "completed" and view["pending_gate"] is None
    assert {p["state"] for p in view["phases"]} == {"completed"}

    document = report(mda, run_id)
    assert document["run"]["state"] == "completed"
    phases = ARTIFACTS[template]
    assert [p["phase"] for p in document["phases"]] == list(phases)
    for entry in document["phases"]:
        assert entry["state"] == "completed", entry
        assert entry["validation"] == {"valid": True, "errors": []}, entry
        assert entry["artifact"]["path"] == phases[entry["phase"]][0]
        assert entry["model_calls"] >= 1
    markdown = mda.mda("report", run_id)
    assert markdown.returncode == 0, markdown.stderr
    for phase in phases:
        assert f"### {phase} (round 1)" in markdown.stdout
    assert "- agent shell: sandboxed" in markdown.stdout
    assert document["run"]["unconfined_phases"] == []
    assert (document["totals"]["cost_usd"], document["totals"]["unpriced_calls"]) == ("0", 0)
    assert "- cost: $0.0000" in markdown.stdout

    branch = f"mda/run-{run_id[:8]}"
    assert run_branches(mda) == [branch]
    commits = mda.git("log", "--format=%s", f"main..{branch}").splitlines()
    assert commits == [f"mda: {phase} (round 1)" for phase in reversed(list(phases))]
    catalog = load_catalog(None)
    for path, schema_ref in phases.values():
        artifact = json.loads(mda.git("show", f"{branch}:{path}"))
        assert catalog.schema(schema_ref).errors_for(artifact) == ()


# --- approval gates ---------------------------------------------------------------


def test_approve_each_gate_completes_the_run(mda: RunEnv) -> None:
    run_id = start_detached(mda)
    view = wait_gate(mda, run_id, "spec:1")
    assert view["state"] == "awaiting_approval"
    approved = mda.mda("approve", run_id[:8])
    assert approved.returncode == 0, approved.stderr
    assert "spec:1" in approved.stdout
    wait_gate(mda, run_id, "review:1")
    assert mda.mda("approve", run_id, "--comment", "fine").returncode == 0
    view = wait_state(mda, run_id, "completed")
    assert view["pending_gate"] is None
    document = report(mda, run_id)
    gates = {a["gate"]: a for p in document["phases"] for a in p["approvals"]}
    assert gates["spec:1"]["state"] == "approved"
    assert gates["review:1"]["feedback"] == "fine"


def test_reject_ends_the_run_rejected(mda: RunEnv) -> None:
    run_id = start_detached(mda)
    wait_gate(mda, run_id, "spec:1")
    rejected = mda.mda("reject", run_id, "--reason", "wrong goal")
    assert rejected.returncode == 0, rejected.stderr
    wait_state(mda, run_id, "rejected")
    document = report(mda, run_id)
    assert document["run"]["state"] == "rejected"
    assert [p["phase"] for p in document["phases"]] == ["spec"]
    assert document["phases"][0]["approvals"][0]["state"] == "rejected"
    assert document["phases"][0]["approvals"][0]["feedback"] == "wrong goal"
    assert "run.rejected" in event_types(mda, run_id)


def test_request_changes_runs_the_phase_again(mda: RunEnv) -> None:
    run_id = start_detached(mda)
    wait_gate(mda, run_id, "spec:1")
    asked = mda.mda("request-changes", run_id, "--feedback", "Name the overdue rule.")
    assert asked.returncode == 0, asked.stderr
    wait_gate(mda, run_id, "spec:2")
    assert mda.mda("approve", run_id).returncode == 0
    wait_gate(mda, run_id, "review:1")
    assert mda.mda("approve", run_id).returncode == 0
    wait_state(mda, run_id, "completed")

    document = report(mda, run_id)
    rounds = [(p["phase"], p["round"]) for p in document["phases"]]
    assert rounds == [("spec", 1), ("spec", 2), ("review", 1), ("verify", 1)]
    first = document["phases"][0]["approvals"]
    assert [(a["state"], a["feedback"]) for a in first] == [
        ("changes_requested", "Name the overdue rule.")
    ]
    assert document["phases"][1]["validation"]["valid"] is True
    assert "### spec (round 2)" in mda.mda("report", run_id).stdout


def test_a_phase_takes_three_rounds_at_most(mda: RunEnv) -> None:
    run_id = start_detached(mda)
    for round in (1, 2):
        wait_gate(mda, run_id, f"spec:{round}")
        asked = mda.mda("request-changes", run_id, "--feedback", f"Change {round}.")
        assert asked.returncode == 0, asked.stderr
    view = wait_gate(mda, run_id, "spec:3")
    assert view["pending_gate"]["changes_left"] == 0
    line = one_line_error(mda.mda("request-changes", run_id, "--feedback", "Once more."))
    assert "last round" in line and "spec:3" in line
    temporal_signal(mda, run_id, "request_changes", '{"feedback": "Once more."}')
    ignored = wait_event(mda, run_id, "approval.ignored")
    assert "3 rounds" in ignored["payload"]["reason"]
    assert mda.mda("reject", run_id, "--reason", "enough").returncode == 0
    wait_state(mda, run_id, "rejected")


def test_abort_cancels_the_phase_in_flight(run_env: RunEnv) -> None:
    """The run ends aborted while its phase is in flight, and its agent has stopped then.

    Each scripted call takes 3 s and a phase turn takes two, so a phase that finished
    before the abort took effect shows two calls served. The call log (one line per
    call served) does not grow once the run shows aborted.
    """
    calls = run_env.home / "calls.log"
    run_env.start_worker(MDA_SCRIPTED_LATENCY_MS="3000", MDA_SCRIPTED_CALL_LOG=str(calls))
    run_id = start_detached(run_env)
    run_env.wait_for(
        run_id,
        lambda view: any(p["key"] == "spec" and p["state"] == "running" for p in view["phases"]),
        "phase spec running",
    )
    aborted = run_env.mda("abort", run_id, "--reason", "changed my mind")
    assert aborted.returncode == 0, aborted.stderr
    assert aborted.stdout == f"Sent abort to run {run_id[:12]}.\n"
    view = wait_state(run_env, run_id, "aborted")
    assert view["error"] == "changed my mind"
    served = served_calls(calls)
    assert served < 2
    kinds = event_types(run_env, run_id)
    assert kinds[-1] == "run.aborted"
    assert "artifact.validated" not in kinds
    assert "approval.requested" not in kinds
    assert report(run_env, run_id)["run"]["state"] == "aborted"

    run_env.stop_workers()
    assert served_calls(calls) == served
    assert run_env.git("rev-list", "--count", f"main..mda/run-{run_id[:8]}").strip() == "0"


def served_calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_gate_timeout_rejects_the_run(run_env: RunEnv) -> None:
    shipped = (shipped_assets_dir() / "templates" / "spec-and-review@1.yaml").read_text()
    folder = run_env.home / "config" / "templates"
    folder.mkdir(parents=True)
    text = shipped.replace("id: spec-and-review", "id: quick-gate", 1)
    text = text.replace("    approval: true\n", "    approval: {required: true, timeout_s: 1}\n", 1)
    (folder / "quick-gate@1.yaml").write_text(text)
    run_env.start_worker()

    run_id = start_detached(run_env, template="quick-gate@1")
    wait_state(run_env, run_id, "rejected")
    timed_out = [e for e in events(run_env, run_id) if e["type"] == "approval.timed_out"]
    assert [e["payload"]["gate_id"] for e in timed_out] == ["spec:1"]
    document = report(run_env, run_id)
    assert document["phases"][0]["approvals"][0]["state"] == "timed_out"


# --- decisions that do not apply --------------------------------------------------


def test_wrong_gate_and_ended_run_leave_the_run_unharmed(mda: RunEnv) -> None:
    run_id = start_detached(mda)
    wait_gate(mda, run_id, "spec:1")

    line = one_line_error(mda.mda("approve", run_id, "--gate", "review:1"))
    assert "review:1" in line and "spec:1" in line

    temporal_signal(mda, run_id, "approve", '{"gate_id": "nope"}')
    ignored = wait_event(mda, run_id, "approval.ignored")
    assert ignored["payload"]["gate_id"] == "nope"
    assert "spec:1" in ignored["payload"]["reason"]
    view = mda.mda_json("runs", "show", run_id)
    assert view["state"] == "awaiting_approval"
    assert view["pending_gate"]["gate_id"] == "spec:1"

    temporal_signal(mda, run_id, "approve", "{}")
    wait_gate(mda, run_id, "review:1")
    assert mda.mda("approve", run_id).returncode == 0
    wait_state(mda, run_id, "completed")

    line = one_line_error(mda.mda("approve", run_id))
    assert "has ended" in line
    assert report(mda, run_id)["run"]["state"] == "completed"


def test_a_run_cancelled_from_outside_ends_aborted_and_frees_its_branch(mda: RunEnv) -> None:
    """`temporal workflow cancel` (or the Web UI's Cancel) while a gate waits."""
    run_id = start_detached(mda)
    wait_gate(mda, run_id, "spec:1")
    result = subprocess.run(
        [str(find_temporal_binary()), "workflow", "cancel",
         "--address", mda.env["TEMPORAL_ADDRESS"], "--namespace", mda.env["TEMPORAL_NAMESPACE"],
         "--workflow-id", f"run-{run_id}"],
        capture_output=True, text=True, env=mda.env, timeout=DEADLINE_S, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    wait_state(mda, run_id, "aborted")
    final = report(mda, run_id)
    assert final["run"]["state"] == "aborted"
    (spec,) = [p for p in final["phases"] if p["phase"] == "spec"]
    assert spec["state"] == "failed"
    assert [a["state"] for a in spec["approvals"]] == ["aborted"]  # not pending forever
    assert start_detached(mda) != run_id  # the branch is free for a new run


# --- bad input ----------------------------------------------------------------------


def _not_a_repo(env: RunEnv) -> list[str]:
    plain = env.home.parent / "plain-folder"
    plain.mkdir()
    return ["spec-and-review", "--repo", str(plain)]


BAD_STARTS: dict[str, tuple[Callable[[RunEnv], list[str]], str]] = {
    "unknown template": (lambda env: ["no-such-template", "--repo", str(env.repo)], "template"),
    "unknown persona": (
        lambda env: ["spec-and-review", "--repo", str(env.repo), "--persona", "reviewer=nobody@1"],
        "nobody",
    ),
    "not a git repository": (_not_a_repo, "git"),
    "missing base branch": (
        lambda env: ["spec-and-review", "--repo", str(env.repo), "--base", "no-such-branch"],
        "no-such-branch",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_STARTS))
def test_bad_start_says_why_and_creates_nothing(run_env: RunEnv, case: str) -> None:
    arguments, named = BAD_STARTS[case]
    before = checkout_snapshot(run_env.repo)
    result = run_env.mda("start", *arguments(run_env), "-r", REQUIREMENTS, "--offline", "--yes")
    assert named in one_line_error(result)
    assert run_count(run_env) == 0
    assert run_branches(run_env) == []
    assert run_env.git("worktree", "list", "--porcelain").count("worktree ") == 1
    assert checkout_snapshot(run_env.repo) == before


def test_second_active_run_on_a_branch_is_refused(mda: RunEnv) -> None:
    first = start_detached(mda)
    wait_gate(mda, first, "spec:1")
    branches = run_branches(mda)
    result = mda.mda("start", "spec-and-review", "--repo", str(mda.repo), "-r", REQUIREMENTS,
                     "--offline", "--yes")  # fmt: skip
    assert first in one_line_error(result)
    assert run_count(mda) == 1
    assert run_branches(mda) == branches
    assert mda.mda("abort", first).returncode == 0
    wait_state(mda, first, "aborted")


def test_run_references_that_match_no_single_run(run_env: RunEnv) -> None:
    asyncio.run(_two_runs_sharing_a_prefix(run_env, "abcdef"))
    count = run_count(run_env)
    assert "ambiguous" in one_line_error(run_env.mda("runs", "show", "abcdef"))
    assert "no run" in one_line_error(run_env.mda("runs", "show", "zzzzzz"))
    assert "no run" in one_line_error(run_env.mda("runs", "show", "fedcba"))
    assert "too short" in one_line_error(run_env.mda("runs", "show", "abc"))
    assert "ambiguous" in one_line_error(run_env.mda("approve", "abcdef"))
    assert run_count(run_env) == count == 2


async def _two_runs_sharing_a_prefix(env: RunEnv, prefix: str) -> None:
    """Two rows whose ids share `prefix` (random ids almost never do)."""
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import create_run

    async with open_database(get_settings()) as db:
        for n, base in enumerate(("main", "other")):
            await create_run(
                db,
                run_id=f"{prefix}{n:026x}",
                repo_path=str(env.repo),
                base_branch=base,
                template_ref="spec-and-review@1",
                requirements=REQUIREMENTS,
                bindings={},
            )
