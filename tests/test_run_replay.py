"""Saved workflow histories replay against today's `RunWorkflow`.

A change to `RunWorkflow` that would break runs already in flight (new, removed or
reordered steps without `workflow.patched`) fails `test_saved_histories_replay`. The
histories in `tests/histories/` are real runs on a real worker:

- `completed.json`: spec-and-review with `--yes`, all three phases;
- `approvals.json`: the same without `--yes`: changes requested at the spec gate,
  then the spec's second round and the review approved by signal.

Regenerate them (after an intended, versioned change to the workflow) with

    MDA_REGENERATE_HISTORIES=1 .venv/bin/pytest tests/test_run_replay.py -k regenerate

and commit the JSON files. The replayer uses the worker's data converter (pydantic)
and sandbox (`worker.workflow_runner`).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from my_deepagent.client import query_status, run_handle
from my_deepagent.worker import workflow_runner
from my_deepagent.workflows.run import RunWorkflow
from my_deepagent.workflows.run_types import ApproveSignal, RequestChangesSignal, RunStatus
from run_harness import RunEnv
from worker_helpers import DEADLINE_S, finish, start_detached, start_worker
from workflow_variants import LedgerFirstRunWorkflow, TimerFirstRunWorkflow

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))
REGENERATE = os.environ.get("MDA_REGENERATE_HISTORIES") == "1"


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())


def replayer(workflow: type) -> Replayer:
    return Replayer(
        workflows=[workflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )


def test_histories_are_saved() -> None:
    assert [p.name for p in SAVED] == ["approvals.json", "completed.json"]


@pytest.mark.parametrize("path", SAVED, ids=[p.stem for p in SAVED])
async def test_saved_histories_replay(path: Path) -> None:
    result = await replayer(RunWorkflow).replay_workflow(load(path))
    assert result.replay_failure is None


@pytest.mark.parametrize("variant", [LedgerFirstRunWorkflow, TimerFirstRunWorkflow])
@pytest.mark.parametrize("path", SAVED, ids=[p.stem for p in SAVED])
async def test_an_incompatible_workflow_change_is_caught(variant: type, path: Path) -> None:
    with pytest.raises(NondeterminismError):
        await replayer(variant).replay_workflow(load(path))


async def wait_for_gate(client: Client, run_id: str, gate_id: str) -> RunStatus:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        status = await query_status(client, run_id)
        if status.pending_gate is not None and status.pending_gate.gate_id == gate_id:
            return status
        assert time.monotonic() < deadline, f"gate {gate_id} never pending: {status}"
        await asyncio.sleep(0.05)


async def save(client: Client, run_id: str, name: str) -> None:
    history = await client.get_workflow_handle(f"run-{run_id}").fetch_history()
    document = json.loads(history.to_json())
    (HISTORIES / f"{name}.json").write_text(json.dumps(document, separators=(",", ":")) + "\n")


@pytest.mark.skipif(not REGENERATE, reason="set MDA_REGENERATE_HISTORIES=1 to rewrite them")
async def test_regenerate_histories(run_env: RunEnv, temporal_client: Client) -> None:
    await start_worker(run_env, temporal_client)
    completed = await start_detached(run_env, run_env.repo)
    assert (await finish(temporal_client, completed)).state == "completed"
    await save(temporal_client, completed, "completed")

    result = await asyncio.to_thread(
        run_env.mda, "start", "spec-and-review", "--repo", str(run_env.repo),
        "-r", "Add due dates to tasks.", "--offline", "--detach", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    gated = json.loads(result.stdout)["run_id"]
    await wait_for_gate(temporal_client, gated, "spec:1")
    changes = RequestChangesSignal(feedback="Name the files in the plan.")
    await run_handle(temporal_client, gated).signal("request_changes", changes)
    for gate in ("spec:2", "review:1"):
        await wait_for_gate(temporal_client, gated, gate)
        await run_handle(temporal_client, gated).signal("approve", ApproveSignal(comment="ok"))
    assert (await finish(temporal_client, gated)).state == "completed"
    await save(temporal_client, gated, "approvals")
