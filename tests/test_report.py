"""`write_report` from a ledger filled through the store API: per phase the persona,
model, artifact, validation, approvals, model calls, tokens and duration; run totals;
the same document in the JSON file, the Markdown file and the database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from my_deepagent.activities.deps import ActivityDeps, open_deps
from my_deepagent.activities.report import ReportActivities
from my_deepagent.settings import get_settings
from my_deepagent.store.approvals import decide_approval, request_approval
from my_deepagent.store.artifacts import record_artifact, set_validation
from my_deepagent.store.events import event_key, record_event
from my_deepagent.store.llm_calls import record_llm_call
from my_deepagent.store.phases import record_phase
from my_deepagent.store.records import ApprovalState, EventType, PhaseState, RunState
from my_deepagent.store.reports import get_report
from my_deepagent.store.runs import create_run, set_run_state
from my_deepagent.workflows.run_types import ReportInput, ReportPaths

RUN_ID = "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"
SPEC_BODY = '{"title": "due dates"}'


def thread(phase: str, round: int) -> str:
    return f"run:{RUN_ID}:phase:{phase}:{round}"


@pytest.fixture
async def deps(mda_home: Path, tmp_path: Path) -> AsyncIterator[ActivityDeps]:
    """A finished run: spec took two rounds (changes requested, then approved, its first
    write repaired), review failed validation."""
    async with open_deps(get_settings()) as deps:
        db = deps.db
        await create_run(
            db, run_id=RUN_ID, repo_path=tmp_path, base_branch="main",
            template_ref="spec-and-review@1", state=RunState.RUNNING,
        )  # fmt: skip
        for round, state in ((1, PhaseState.COMPLETED), (2, PhaseState.COMPLETED)):
            await record_phase(
                db, run_id=RUN_ID, phase_key="spec", round=round, position=0, state=state,
                persona_ref="scripted-spec-writer@1", model="scripted:spec-writer",
            )  # fmt: skip
        await record_phase(
            db, run_id=RUN_ID, phase_key="review", round=1, position=1,
            state=PhaseState.FAILED, error="the artifact is still invalid",
        )  # fmt: skip
        spec_path = ".mda/artifacts/spec.json"
        spec: dict[str, Any] = {"run_id": RUN_ID, "phase_key": "spec", "path": spec_path}
        await record_artifact(db, **spec, round=1, body="{}")
        await set_validation(db, run_id=RUN_ID, phase_key="spec", round=1, errors=[])
        await record_artifact(db, **spec, round=2, revision=0, body="{")
        await set_validation(
            db, run_id=RUN_ID, phase_key="spec", round=2, revision=0, errors=["not JSON"]
        )
        await record_artifact(db, **spec, round=2, revision=1, body=SPEC_BODY)
        await set_validation(db, run_id=RUN_ID, phase_key="spec", round=2, revision=1, errors=[])
        await record_artifact(
            db, run_id=RUN_ID, phase_key="review", round=1, path="review.json", body="[]"
        )
        await set_validation(
            db, run_id=RUN_ID, phase_key="review", round=1, errors=["[] is not an object"]
        )
        decisions = ((1, ApprovalState.CHANGES_REQUESTED), (2, ApprovalState.APPROVED))
        for round, decision in decisions:
            await request_approval(db, run_id=RUN_ID, phase_key="spec", round=round)
            await decide_approval(
                db, run_id=RUN_ID, gate=f"spec:{round}", state=decision,
                feedback="add error cases" if round == 1 else None, source="cli",
            )  # fmt: skip
        calls = [("spec", 1, 100, 10), ("spec", 2, 200, 20), ("spec", 2, 300, 30)]
        calls.append(("review", 1, 50, 5))
        for index, (phase, round, tokens_in, tokens_out) in enumerate(calls):
            await record_llm_call(
                db, thread_id=thread(phase, round), message_id=f"m{index}",
                model="scripted:reviewer" if phase == "review" else "scripted:spec-writer",
                input_tokens=tokens_in, output_tokens=tokens_out, run_id=RUN_ID,
                phase_key=phase, persona_ref=f"scripted-{phase}@1",
            )  # fmt: skip
        await record_event(
            db, RUN_ID, EventType.RUN_STARTED, event_key(RUN_ID, EventType.RUN_STARTED)
        )
        await set_run_state(db, RUN_ID, RunState.FAILED, error="phase review failed")
        yield deps


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


async def write(deps: ActivityDeps) -> ReportPaths:
    paths: ReportPaths = await ActivityEnvironment().run(
        ReportActivities(deps).write_report, ReportInput(run_id=RUN_ID)
    )
    return paths


async def test_report_per_phase_and_totals(deps: ActivityDeps) -> None:
    paths = await write(deps)
    reports_dir = deps.settings.paths.reports_dir
    assert Path(paths.json_path) == reports_dir / f"{RUN_ID}.json"
    assert Path(paths.markdown_path) == reports_dir / f"{RUN_ID}.md"
    document: dict[str, Any] = json.loads(read(paths.json_path))

    assert document["run"]["state"] == "failed"
    assert document["run"]["error"] == "phase review failed"
    assert document["totals"]["model_calls"] == 4
    assert document["totals"]["input_tokens"] == 650
    assert document["totals"]["output_tokens"] == 65
    assert [(p["phase"], p["round"]) for p in document["phases"]] == [
        ("spec", 1),
        ("spec", 2),
        ("review", 1),
    ]
    spec1, spec2, review = document["phases"]
    assert spec2["persona"] == "scripted-spec-writer@1"
    assert spec2["model"] == "scripted:spec-writer"
    assert spec2["artifact"]["revision"] == 1
    assert spec2["artifact"]["size"] == len(SPEC_BODY)
    assert spec2["validation"] == {"valid": True, "errors": []}
    assert (spec2["model_calls"], spec2["input_tokens"], spec2["output_tokens"]) == (2, 500, 50)
    assert spec1["approvals"] == [
        {"gate": "spec:1", "state": "changes_requested", "feedback": "add error cases",
         "source": "cli"}
    ]  # fmt: skip
    assert spec2["approvals"][0]["state"] == "approved"
    assert spec1["duration_s"] >= 0
    assert review["persona"] == "scripted-review@1"  # from its calls: the row has none
    assert review["model"] == "scripted:reviewer"
    assert review["validation"] == {"valid": False, "errors": ["[] is not an object"]}
    assert review["error"] == "the artifact is still invalid"
    assert [e["type"] for e in document["events"]] == ["run.started"]


async def test_markdown_and_database_copies(deps: ActivityDeps) -> None:
    paths = await write(deps)
    markdown = read(paths.markdown_path)
    assert markdown.startswith(f"# Run {RUN_ID}\n")
    assert (
        "| spec | 2 | completed | scripted-spec-writer@1 | scripted:spec-writer | 2 |" in markdown
    )
    assert "- approval spec:1: changes_requested by cli: add error cases" in markdown
    assert "- validation: invalid (1 errors)" in markdown
    assert "  - [] is not an object" in markdown
    assert "model calls: 4; tokens: 650 in, 65 out" in markdown

    stored = await get_report(deps.db, RUN_ID)
    assert stored is not None
    assert stored == (json.loads(read(paths.json_path)), markdown)


async def test_writing_again_replaces_the_report(deps: ActivityDeps) -> None:
    await write(deps)
    await record_llm_call(
        deps.db, thread_id=thread("review", 1), message_id="late", model="scripted:reviewer",
        input_tokens=1, output_tokens=1, run_id=RUN_ID, phase_key="review",
    )  # fmt: skip
    paths = await write(deps)
    document = json.loads(read(paths.json_path))
    assert document["totals"]["model_calls"] == 5
    stored = await get_report(deps.db, RUN_ID)
    assert stored is not None and stored[0]["totals"]["model_calls"] == 5
    assert sorted(p.name for p in deps.settings.paths.reports_dir.iterdir()) == [
        f"{RUN_ID}.json",
        f"{RUN_ID}.md",
    ]
