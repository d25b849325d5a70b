"""`mda runs fork RUN --from PHASE`: a new run on a new branch, from the commit of RUN
that holds the artifacts of the phases before PHASE, those phases skipped and their
artifacts reused, the rest run again.

Real worker process, real git, the session's dev server, offline scripted personas.
The scripted model logs every call it serves (`MDA_SCRIPTED_CALL_LOG`), so the tests
count the calls a fork makes, and that the parent's earlier phases are not called again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from my_deepagent.domain.binding import Bindings, RoleBinding
from my_deepagent.settings import get_settings
from my_deepagent.temporal_converter import data_converter
from my_deepagent.worker import workflow_runner
from my_deepagent.workflows.run import RunWorkflow
from my_deepagent.workflows.run_types import (
    ArtifactRef,
    ForkOrigin,
    LedgerUpdate,
    PhaseInput,
    PhasePlan,
    PhaseResult,
    PreparedRun,
    PrepareRunInput,
    ReportInput,
    ReportPaths,
    ReusedArtifact,
    RunInput,
    Usage,
    ValidateInput,
    ValidationResult,
)
from run_harness import RunEnv, one_line_error

REQUIREMENTS = "Add a due date to todo items and list the overdue ones."
NEW_REQUIREMENTS = "Add a due date to todo items; overdue ones first, then by date."
PHASES = ["spec", "review", "verify"]


@pytest.fixture
def call_log(run_env: RunEnv, tmp_path: Path) -> Path:
    """One worker, whose scripted model logs each call it serves to the returned file."""
    log = tmp_path / "calls.log"
    run_env.start_worker(MDA_SCRIPTED_CALL_LOG=str(log))
    return log


# --- helpers ----------------------------------------------------------------------


def served(call_log: Path) -> int:
    return len(call_log.read_text().split()) if call_log.exists() else 0


def start(env: RunEnv, *args: str) -> dict[str, Any]:
    result = env.mda(
        "start", "spec-and-review", "--repo", str(env.repo), "-r", REQUIREMENTS,
        "--offline", "--json", *args,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def fork(env: RunEnv, run_id: str, *args: str) -> dict[str, Any]:
    result = env.mda("runs", "fork", run_id[:8], *args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def wait_gate(env: RunEnv, run_id: str, gate_id: str) -> dict[str, Any]:
    def pending(view: dict[str, Any]) -> bool:
        gate = view.get("pending_gate")
        return gate is not None and gate["gate_id"] == gate_id

    return env.wait_for(run_id, pending, f"pending gate {gate_id}")


def wait_state(env: RunEnv, run_id: str, state: str) -> dict[str, Any]:
    return env.wait_for(run_id, lambda view: view["state"] == state, f"state {state}")


def report(env: RunEnv, run_id: str) -> dict[str, Any]:
    result = env.mda("report", run_id, "--format", "json")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def events(env: RunEnv, run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = env.mda_json("runs", "events", run_id)
    return found


def run_branches(env: RunEnv) -> list[str]:
    return sorted(env.git("for-each-ref", "--format=%(refname:short)", "refs/heads/mda/").split())


def branch(run_id: str) -> str:
    return f"mda/run-{run_id[:8]}"


def phase_commits(env: RunEnv, run_id: str) -> dict[str, str]:
    """The run branch's commits by subject (`mda: spec (round 1)` -> sha)."""
    listed = env.git("log", "--format=%H %s", f"main..{branch(run_id)}").splitlines()
    return {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in listed}


def ledger(run_id: str) -> tuple[Any, list[Any], list[Any]]:
    """The run's record, artifacts and llm_calls rows, read from mda's database."""
    from my_deepagent.store.artifacts import list_artifacts
    from my_deepagent.store.database import open_database
    from my_deepagent.store.llm_calls import list_llm_calls
    from my_deepagent.store.runs import get_run

    async def read() -> tuple[Any, list[Any], list[Any]]:
        async with open_database(get_settings()) as db:
            return (
                await get_run(db, run_id),
                await list_artifacts(db, run_id),
                await list_llm_calls(db, run_id),
            )

    return asyncio.run(read())


def write_reviewer(persona_id: str, description: str) -> str:
    """A user persona like the shipped scripted reviewer; `ID@1`."""
    folder = get_settings().paths.user_personas_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{persona_id}@1.yaml").write_text(
        f"""\
id: {persona_id}
version: 1
description: {description}
model: scripted:reviewer
capabilities: [code_review, evidence_check]
limits:
  max_cost_per_call_usd: 0.01
  max_tokens: 4096
  max_model_calls: 20
system_prompt: |
  Review the work against the requirements.
"""
    )
    return f"{persona_id}@1"


# --- tests ------------------------------------------------------------------------


def test_fork_from_review_reuses_the_spec_and_runs_the_rest_again(
    run_env: RunEnv, call_log: Path
) -> None:
    parent = start(run_env, "--yes")
    assert parent["state"] == "completed"
    parent_id = parent["run_id"]
    parent_record, parent_artifacts, parent_calls = ledger(parent_id)
    assert served(call_log) == len(parent_calls)
    rerun_calls = [c for c in parent_calls if c.phase_key != "spec"]
    assert 0 < len(rerun_calls) < len(parent_calls)

    forked = fork(run_env, parent_id, "--from", "review", "-r", NEW_REQUIREMENTS)
    fork_id = forked["run_id"]
    assert forked["state"] == "completed"
    assert (forked["parent_run"], forked["forked_from"]) == (parent_id, "review")
    assert forked["reused_phases"] == ["spec"]
    assert fork_id != parent_id

    # Model calls: the fork's review and verify only; the parent's spec calls are not
    # made again, and the parent's own rows are untouched.
    record, artifacts, calls = ledger(fork_id)
    assert record.requirements == NEW_REQUIREMENTS
    assert parent_record.requirements == REQUIREMENTS
    assert served(call_log) == len(parent_calls) + len(calls)
    assert sorted({c.phase_key for c in calls}) == ["review", "verify"]
    assert len(calls) == len(rerun_calls)
    assert len(ledger(parent_id)[2]) == len(parent_calls)

    # The spec artifact is the parent's, byte for byte, recorded for the fork.
    (parent_spec,) = [a for a in parent_artifacts if a.phase_key == "spec"]
    (fork_spec,) = [a for a in artifacts if a.phase_key == "spec"]
    assert (fork_spec.body, fork_spec.sha256, fork_spec.path, fork_spec.valid) == (
        parent_spec.body, parent_spec.sha256, parent_spec.path, True,
    )  # fmt: skip
    assert run_env.git("show", f"{branch(fork_id)}:{fork_spec.path}") == parent_spec.body

    # The spec is skipped, naming its source; review and verify run.
    trail = events(run_env, fork_id)
    kinds = [(e["type"], e["phase_key"]) for e in trail]
    assert ("phase.started", "spec") not in kinds
    assert ("phase.started", "review") in kinds and ("phase.completed", "verify") in kinds
    (skipped,) = [e for e in trail if e["type"] == "phase.skipped"]
    assert skipped["phase_key"] == "spec"
    assert skipped["payload"]["source_run"] == parent_id
    assert skipped["payload"]["sha256"] == parent_spec.sha256
    (started,) = [e for e in trail if e["type"] == "run.started"]
    assert started["payload"]["parent_run"] == parent_id

    # A new branch, starting at the parent's spec commit; the parent's is unchanged.
    spec_commit = phase_commits(run_env, parent_id)["mda: spec (round 1)"]
    assert skipped["payload"]["commit"] == spec_commit
    assert run_branches(run_env) == sorted([branch(parent_id), branch(fork_id)])
    fork_commits = run_env.git("log", "--format=%s", f"main..{branch(fork_id)}").splitlines()
    assert fork_commits == ["mda: verify (round 1)", "mda: review (round 1)", "mda: spec (round 1)"]
    assert run_env.git("rev-parse", f"{branch(fork_id)}~2").strip() == spec_commit

    # The report and the view name the parent.
    document = report(run_env, fork_id)
    assert (document["run"]["parent_run"], document["run"]["forked_from"]) == (parent_id, "review")
    by_phase = {p["phase"]: p for p in document["phases"]}
    assert list(by_phase) == PHASES
    assert by_phase["spec"]["state"] == "skipped"
    assert by_phase["spec"]["reused_from"] == parent_id
    assert by_phase["spec"]["artifact"]["sha256"] == parent_spec.sha256
    assert by_phase["spec"]["model_calls"] == 0
    assert by_phase["review"]["reused_from"] is None
    assert by_phase["review"]["state"] == "completed"
    assert document["totals"]["model_calls"] == len(calls)
    markdown = run_env.mda("report", fork_id).stdout
    assert f"- forked from run {parent_id} at phase review" in markdown
    assert f"- reused from run {parent_id} (not run again)" in markdown
    view = run_env.mda_json("runs", "show", fork_id)
    assert (view["parent_run"], view["forked_from"]) == (parent_id, "review")
    assert run_env.mda_json("runs", "show", parent_id)["parent_run"] is None
    assert report(run_env, parent_id)["run"]["parent_run"] is None

    # From the first phase: a new run with the parent's input, nothing skipped.
    before = served(call_log)
    again = fork(run_env, parent_id, "--from", "spec")
    assert again["state"] == "completed" and again["reused_phases"] == []
    assert again["start_commit"] is None
    record, _, calls = ledger(again["run_id"])
    assert record.requirements == REQUIREMENTS
    assert len(calls) == len(parent_calls) == served(call_log) - before
    assert "phase.skipped" not in [e["type"] for e in events(run_env, again["run_id"])]
    first = report(run_env, again["run_id"])
    assert [p["state"] for p in first["phases"]] == ["completed"] * 3
    assert first["run"]["parent_run"] == parent_id
    main_tip = run_env.git("rev-parse", "main").strip()
    assert run_env.git("rev-parse", f"{branch(again['run_id'])}~3").strip() == main_tip


def test_bad_forks_are_one_line_and_create_nothing(run_env: RunEnv, call_log: Path) -> None:
    parent_id = start(run_env, "--yes")["run_id"]
    runs, branches = len(run_env.mda_json("runs", "list")), run_branches(run_env)

    line = one_line_error(run_env.mda("runs", "fork", parent_id, "--from", "deploy"))
    assert "no phase 'deploy'" in line and "spec, review, verify" in line
    line = one_line_error(run_env.mda("runs", "fork", "abcdef123456", "--from", "review"))
    assert "no run" in line
    line = one_line_error(
        run_env.mda("runs", "fork", parent_id, "--from", "review", "--persona", "reviewer=nobody@1")
    )
    assert "nobody" in line

    # A recorded commit that does not hold the artifact (here: the base branch's tip)
    # is refused, not forked from: the later phases would not find the file.
    point_spec_commit_at(parent_id, run_env.git("rev-parse", "main").strip())
    line = one_line_error(run_env.mda("runs", "fork", parent_id, "--from", "review"))
    assert "does not hold the artifact .mda/artifacts/spec.json of phase spec" in line

    assert len(run_env.mda_json("runs", "list")) == runs
    assert run_branches(run_env) == branches
    assert run_env.git("worktree", "list", "--porcelain").count("worktree ") == 2


def point_spec_commit_at(run_id: str, commit: str) -> None:
    """Rewrite the commit the run's spec artifact events recorded."""
    from sqlalchemy import select

    from my_deepagent.store.database import open_database
    from my_deepagent.store.tables import RunEventRow

    async def rewrite() -> None:
        async with open_database(get_settings()) as db, db.write() as session:
            query = select(RunEventRow).where(
                RunEventRow.run_id == run_id, RunEventRow.phase_key == "spec"
            )
            for row in (await session.scalars(query)).all():
                if "commit" in row.payload:
                    row.payload = {**row.payload, "commit": commit}

    asyncio.run(rewrite())


def test_fork_a_failed_run_from_its_failed_phase_with_another_reviewer(
    run_env: RunEnv, call_log: Path
) -> None:
    # The parent fails in review: its reviewer persona changes while the spec gate waits.
    reviewer = write_reviewer("flaky-reviewer", "A reviewer whose file changes.")
    parent_id = start(run_env, "--detach", "--persona", f"reviewer={reviewer}")["run_id"]
    wait_gate(run_env, parent_id, "spec:1")
    write_reviewer("flaky-reviewer", "Changed after the run started.")
    approved = run_env.mda("approve", parent_id)
    assert approved.returncode == 0, approved.stderr
    failed = wait_state(run_env, parent_id, "failed")
    assert "changed since the run started" in (failed["error"] or "")
    runs = len(run_env.mda_json("runs", "list"))

    # Phases before `verify` include the failed review: nothing to reuse.
    line = one_line_error(run_env.mda("runs", "fork", parent_id, "--from", "verify"))
    assert "phase review" in line and "no completed artifact" in line
    # The pinned reviewer changed: refused, as `mda resume` refuses it.
    line = one_line_error(run_env.mda("runs", "fork", parent_id, "--from", "review"))
    assert "flaky-reviewer" in line
    assert len(run_env.mda_json("runs", "list")) == runs

    spec_calls = len(ledger(parent_id)[2])
    started = fork(
        run_env, parent_id, "--from", "review", "--persona", "reviewer=scripted-reviewer@1",
        "--detach",
    )  # fmt: skip
    fork_id = started["run_id"]
    wait_gate(run_env, fork_id, "review:1")  # the parent's gates: no --yes
    approved = run_env.mda("approve", fork_id)
    assert approved.returncode == 0, approved.stderr
    wait_state(run_env, fork_id, "completed")

    _, _, calls = ledger(fork_id)
    assert {c.phase_key for c in calls} == {"review", "verify"}
    assert served(call_log) == spec_calls + len(calls)
    document = report(run_env, fork_id)
    by_phase = {p["phase"]: p for p in document["phases"]}
    assert by_phase["spec"]["reused_from"] == parent_id
    assert by_phase["review"]["persona"] == "scripted-reviewer@1"
    assert by_phase["review"]["state"] == by_phase["verify"]["state"] == "completed"
    spec_commit = phase_commits(run_env, parent_id)["mda: spec (round 1)"]
    assert run_env.git("rev-parse", f"{branch(fork_id)}~2").strip() == spec_commit


# --- the workflow's decisions, with stub activities ---------------------------------


class StubActivities:
    """Stand-ins for the run's activities that record what the workflow asked."""

    def __init__(self) -> None:
        self.prepared: list[PrepareRunInput] = []
        self.ledger: list[LedgerUpdate] = []
        self.phases: list[str] = []

    @activity.defn(name="prepare_run")
    async def prepare_run(self, input: PrepareRunInput) -> PreparedRun:
        self.prepared.append(input)
        return PreparedRun(worktree="/nowhere", branch="mda/run-fork")

    @activity.defn(name="update_ledger")
    async def update_ledger(self, update: LedgerUpdate) -> bool:
        self.ledger.append(update)
        return True

    @activity.defn(name="run_phase")
    async def run_phase(self, input: PhaseInput) -> PhaseResult:
        self.phases.append(input.phase_key)
        return PhaseResult(usage=Usage(model_calls=1))

    @activity.defn(name="validate_artifact")
    async def validate_artifact(self, input: ValidateInput) -> ValidationResult:
        ref = ArtifactRef(path=f"{input.phase_key}.json", sha256="0" * 64, size=2)
        return ValidationResult(valid=True, artifact=ref, commit=f"commit-{input.phase_key}")

    @activity.defn(name="write_report")
    async def write_report(self, input: ReportInput) -> ReportPaths:
        return ReportPaths(json_path="r.json", markdown_path="r.md")

    def all(self) -> list[Any]:
        return [
            self.prepare_run,
            self.update_ledger,
            self.run_phase,
            self.validate_artifact,
            self.write_report,
        ]


async def test_the_workflow_skips_the_reused_phases_and_starts_at_the_parent_commit(
    temporal_client: Client,
) -> None:
    roles = ("spec_writer", "reviewer", "verifier")
    bindings = Bindings(
        template_ref="spec-and-review@1",
        template_hash="t",
        roles=tuple(RoleBinding(role=r, persona_ref=f"{r}@1", persona_hash="p", reason="default")
                    for r in roles),
    )  # fmt: skip
    reused = ReusedArtifact(phase_key="spec", round=2, revision=1, sha256="a" * 64, commit="c1")
    run_input = RunInput(
        run_id=uuid.uuid4().hex,
        template_ref="spec-and-review@1",
        template_hash="t",
        bindings=bindings,
        phases=tuple(
            PhasePlan(key=key, role=role, persona_ref=f"{role}@1", persona_hash="p")
            for key, role in zip(PHASES, roles, strict=True)
        ),
        repo_path="/repo",
        base_branch="main",
        skip_phases=("spec",),
        fork=ForkOrigin(parent_run="parent", from_phase="review", commit="c1", reused=(reused,)),
    )
    config = temporal_client.config()
    config["data_converter"] = data_converter(encrypted=False)
    client = Client(**config)
    stubs, queue = StubActivities(), f"fork-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[RunWorkflow],
        activities=stubs.all(),
        workflow_runner=workflow_runner(),
    ):
        status = await client.execute_workflow(
            RunWorkflow.run, run_input, id=f"run-{run_input.run_id}", task_queue=queue
        )
    assert status.state == "completed"
    assert [(p.key, p.state, p.round) for p in status.phases] == [
        ("spec", "skipped", 2), ("review", "completed", 1), ("verify", "completed", 1),
    ]  # fmt: skip
    assert [p.start_commit for p in stubs.prepared] == ["c1"]
    assert stubs.phases == ["review", "verify"]
    by_event = {(u.event, u.phase_key): u for u in stubs.ledger}
    skipped = by_event[("phase.skipped", "spec")]
    assert (skipped.round, skipped.phase_state) == (2, "skipped")
    assert skipped.payload == {
        "source_run": "parent", "revision": 1, "sha256": "a" * 64, "commit": "c1",
    }  # fmt: skip
    started = by_event[("run.started", None)]
    assert (started.payload["parent_run"], started.payload["forked_from"]) == ("parent", "review")
    assert by_event[("artifact.validated", "review")].payload["commit"] == "commit-review"
    assert ("phase.started", "spec") not in by_event
