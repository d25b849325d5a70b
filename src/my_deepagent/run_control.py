"""What a person sees of a run and how they answer it, for the CLI and the HTTP API.

`run_view` is a run as `mda runs show --json` prints it and `GET /api/runs/{id}`
returns it: live from the workflow while it runs (the pending gate lives there),
else from mda's database; `web_ui_url` is its page in the Temporal Web UI.
`answer_gate` sends an approval, a rejection, a request for changes or an abort,
after checking what a person can be told in one line: the run has ended, no gate is
pending, another gate is, no rounds are left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from temporalio.client import Client

    from my_deepagent.store.database import Database
    from my_deepagent.store.records import RunHeader, RunRecord
    from my_deepagent.workflows.run_types import RunStatus

Decision = Literal["approve", "reject", "request_changes", "abort"]


def run_json(record: RunHeader) -> dict[str, Any]:
    """The run's row as people and programs read it (`pending` shows as running)."""
    state = "running" if record.state.value == "pending" else record.state.value
    return {
        "run_id": record.id,
        "workflow_id": record.workflow_id,
        "state": state,
        "template": record.template_ref,
        "repo": record.repo_path,
        "base": record.base_branch,
        "error": record.error,
        "created_at": record.created_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }


async def run_view(client: Client, db: Database, record: RunRecord) -> dict[str, Any]:
    """The run with its phases and pending gate: live from the workflow, else from
    the ledger (a run whose workflow was terminated shows as failed)."""
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import query_status, run_execution_status
    from my_deepagent.store.phases import list_phases

    view = {**run_json(record), **fork_origin_json(record.bindings)}
    status = await run_execution_status(client, record.id)
    if status == WorkflowExecutionStatus.RUNNING:
        live = await query_status(client, record.id)
        view["state"] = live.state
        view["error"] = live.error or view.get("error")
        view["phases"] = [p.model_dump() for p in live.phases]
        view["pending_gate"] = live.pending_gate.model_dump() if live.pending_gate else None
        view["pending_budget"] = live.pending_budget.model_dump() if live.pending_budget else None
        return view
    latest: dict[str, dict[str, Any]] = {}
    for phase in await list_phases(db, record.id):
        latest[phase.phase_key] = {
            "key": phase.phase_key, "state": phase.state.value, "round": phase.round,
        }  # fmt: skip
    view["phases"] = list(latest.values())
    view["pending_gate"] = None
    view["pending_budget"] = None
    if record.is_active:
        # The ledger never heard the end: the workflow was terminated or timed out.
        ended = status.name.lower() if status is not None else "gone"
        view["state"] = "failed"
        view["error"] = record.error or f"the workflow was {ended}; `mda resume` continues it"
    return view


def fork_origin_json(bindings: dict[str, Any]) -> dict[str, Any]:
    """`parent_run` and `forked_from` of a forked run (None for any other)."""
    from my_deepagent.workflows.run_types import fork_origin

    origin = fork_origin(bindings)
    return {
        "parent_run": origin.parent_run if origin else None,
        "forked_from": origin.from_phase if origin else None,
    }


def web_ui_url(workflow_id: str, *, person: bool = False) -> str:
    """The Temporal Web UI page of a workflow (embedded server), or the id otherwise:
    in English for JSON, in the person's language when `person`."""
    from my_deepagent.catalogue import english, msg
    from my_deepagent.embedded.server import EmbeddedServerConfig, running_server
    from my_deepagent.temporal_config import load_target

    target = load_target()
    if target.mode == "embedded":
        info = running_server(EmbeddedServerConfig.from_settings(namespace=target.namespace))
        if info is not None:
            return f"{info.ui_url}/namespaces/{target.namespace}/workflows/{workflow_id}"
    if person:
        return msg("runs.workflow_in_namespace", workflow=workflow_id, namespace=target.namespace)
    return english("runs.workflow_in_namespace", workflow=workflow_id, namespace=target.namespace)


@dataclass(frozen=True)
class Answered:
    """What `answer_gate` sent: the decision as a person says it, and to which gate."""

    run_id: str
    decision: Decision
    gate: str | None

    def sentence(self) -> str:
        action, short = action_words(self.decision), self.run_id[:12]
        if self.gate:
            return msg("runs.sent_to_gate", action=action, gate=self.gate, run=short)
        return msg("runs.sent_to_run", action=action, run=short)


async def answer_gate(
    client: Client, record: RunRecord, decision: Decision, body: BaseModel, gate: str | None
) -> Answered:
    """Send `decision` (its signal's `body`) to the run's pending gate, `gate` if given.

    The workflow ignores (and records) a decision for a gate that is not pending; the
    checks here tell the person why instead."""
    from temporalio.client import WorkflowExecutionStatus

    from my_deepagent.client import run_execution_status, run_handle
    from my_deepagent.scrub import scrubbed_fields
    from my_deepagent.workflows.run_types import RunStatus

    handle = run_handle(client, record.id)
    execution = await run_execution_status(client, record.id)
    short = record.id[:12]
    if execution != WorkflowExecutionStatus.RUNNING:
        ended = execution.name.lower() if execution is not None else None
        raise MdaError(
            msg(
                "runs.run_has_ended",
                run=short,
                state=record.state.value,
                ended=ended or msg("runs.workflow_never_started"),
                action=action_words(decision),
            )
        )
    if decision != "abort":
        status = await handle.query("status", result_type=RunStatus)
        gate = _pending_gate(status, short, decision, gate)
        # Name the gate that was checked, so a decision cannot land on a later gate.
        body = body.model_copy(update={"gate_id": gate})
    await handle.signal(decision, scrubbed_fields(body))
    return Answered(run_id=record.id, decision=decision, gate=gate)


def _pending_gate(status: RunStatus, short: str, decision: Decision, gate: str | None) -> str:
    """The pending gate `decision` may answer (`gate`, if given, must be it)."""
    pending = status.pending_gate
    if pending is None:
        running = next((p.key for p in status.phases if p.state == "running"), None)
        if running:
            doing = msg("runs.doing_phase", phase=running)
        else:
            doing = msg("runs.doing_state", state=status.state)
        raise MdaError(msg("runs.no_gate_pending", run=short, doing=doing))
    if decision == "request_changes" and pending.changes_left <= 0:
        raise MdaError(msg("runs.last_round", phase=pending.phase, run=short, gate=pending.gate_id))
    if gate is not None and gate != pending.gate_id:
        raise MdaError(msg("runs.gate_not_pending", gate=gate, run=short, pending=pending.gate_id))
    return pending.gate_id


def action_words(decision: Decision) -> str:
    """The decision as a person says it."""
    actions = {
        "approve": msg("runs.action_approve"),
        "reject": msg("runs.action_reject"),
        "request_changes": msg("runs.action_request_changes"),
        "abort": msg("runs.action_abort"),
    }
    return actions[decision]
