"""Artifacts, phases and approvals: what a run produced and who decided."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from my_deepagent.store.approvals import (
    decide_approval,
    gate_id,
    list_approvals,
    pending_approvals,
    request_approval,
)
from my_deepagent.store.artifacts import (
    get_artifact,
    list_artifacts,
    record_artifact,
    set_validation,
)
from my_deepagent.store.database import Database
from my_deepagent.store.phases import list_phases, record_phase
from my_deepagent.store.records import (
    ApprovalRecord,
    ApprovalState,
    ArtifactRecord,
    PhaseState,
    RunRecord,
)
from my_deepagent.store.runs import create_run

BODY = json.dumps({"title": "Add --verbose", "summary": "ünïcode survives"}, ensure_ascii=False)


@pytest.fixture
async def run(db: Database, tmp_path: Path) -> RunRecord:
    return await create_run(db, repo_path=tmp_path, base_branch="main", template_ref="t@1")


async def test_an_artifact_round_trips_with_its_sha256_and_size(
    db: Database, run: RunRecord
) -> None:
    written = await record_artifact(
        db, run_id=run.id, phase_key="spec", path=".mda/artifacts/spec.json", body=BODY
    )
    data = BODY.encode("utf-8")
    assert written.sha256 == hashlib.sha256(data).hexdigest()
    assert written.size == len(data) > len(BODY)
    assert written.valid is None and written.errors is None
    read = await get_artifact(db, run_id=run.id, phase_key="spec")
    assert read == written
    assert read is not None and json.loads(read.body) == json.loads(BODY)


async def test_validation_is_stored_and_survives_a_retried_identical_write(
    db: Database, run: RunRecord
) -> None:
    async def write(body: str) -> ArtifactRecord:
        return await record_artifact(db, run_id=run.id, phase_key="spec", path="s.json", body=body)

    await write(BODY)
    invalid = await set_validation(
        db, run_id=run.id, phase_key="spec", errors=["'title' is a required property"]
    )
    assert invalid.valid is False and invalid.errors == ["'title' is a required property"]
    assert invalid.validated_at is not None
    again = await write(BODY)
    assert (again.valid, again.errors) == (False, ["'title' is a required property"])
    changed = await write("{}")
    assert (changed.valid, changed.errors, changed.validated_at) == (None, None, None)
    assert changed.sha256 == hashlib.sha256(b"{}").hexdigest()
    assert len(await list_artifacts(db, run.id)) == 1


async def test_a_repair_is_a_new_revision(db: Database, run: RunRecord) -> None:
    await record_artifact(db, run_id=run.id, phase_key="spec", path="a.json", body="{}")
    await record_artifact(db, run_id=run.id, phase_key="spec", revision=1, path="a.json", body=BODY)
    valid = await set_validation(db, run_id=run.id, phase_key="spec", revision=1, errors=[])
    assert valid.valid is True and valid.errors == []
    assert [(a.revision, a.body) for a in await list_artifacts(db, run.id)] == [
        (0, "{}"),
        (1, BODY),
    ]


async def test_validating_a_missing_artifact_fails(db: Database, run: RunRecord) -> None:
    with pytest.raises(LookupError):
        await set_validation(db, run_id=run.id, phase_key="nope", errors=[])


async def test_phases_are_upserted_per_round(db: Database, run: RunRecord) -> None:
    started = await record_phase(
        db,
        run_id=run.id,
        phase_key="spec",
        position=0,
        state=PhaseState.RUNNING,
        persona_ref="scripted-spec-writer@1",
        model="scripted:spec-writer",
    )
    assert started.finished_at is None
    done = await record_phase(
        db, run_id=run.id, phase_key="spec", position=0, state=PhaseState.COMPLETED
    )
    assert done.id == started.id and done.finished_at is not None
    assert (done.persona_ref, done.model, done.started_at) == (
        started.persona_ref,
        started.model,
        started.started_at,
    )
    await record_phase(db, run_id=run.id, phase_key="review", position=1, state=PhaseState.SKIPPED)
    await record_phase(
        db, run_id=run.id, phase_key="spec", round=1, position=0, state=PhaseState.FAILED, error="x"
    )
    phases = await list_phases(db, run.id)
    assert [(p.phase_key, p.round, p.state) for p in phases] == [
        ("spec", 0, PhaseState.COMPLETED),
        ("spec", 1, PhaseState.FAILED),
        ("review", 0, PhaseState.SKIPPED),
    ]


async def test_an_approval_is_requested_once_and_decided_once(db: Database, run: RunRecord) -> None:
    requested = await request_approval(db, run_id=run.id, phase_key="spec")
    assert requested.gate == gate_id("spec", 0) == "spec:0"
    assert await request_approval(db, run_id=run.id, phase_key="spec") == requested
    assert [a.id for a in await pending_approvals(db)] == [requested.id]

    changes = ApprovalState.CHANGES_REQUESTED

    async def decide(gate: str, state: ApprovalState) -> ApprovalRecord | None:
        return await decide_approval(
            db, run_id=run.id, gate=gate, state=state, feedback="tighten scope", source="cli"
        )

    decided = await decide("spec:0", changes)
    assert decided is not None and decided.state is changes and decided.decided_at is not None
    assert decided.feedback == "tighten scope" and decided.source == "cli"
    assert await decide("spec:0", changes) == decided
    assert await decide("spec:0", ApprovalState.APPROVED) is None
    assert await decide("nope:0", ApprovalState.APPROVED) is None
    assert await pending_approvals(db) == []
    assert await list_approvals(db, run.id) == [decided]
