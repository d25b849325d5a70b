"""`write_report`: what a run did, per phase and in total, from the ledger alone.

The report is built from the database (runs, phases, artifacts, approvals, llm_calls,
events), never from the workflow's memory, so a resumed run's report covers every
execution. It is written as `<reports_dir>/<run_id>.json` and `.md` and stored in
the `reports` table; writing it again replaces all three (idempotent for retries).
Token counts come from `llm_calls`, one row per model call actually made: a phase
attempt resumed after a crash does not count its calls twice.

A forked run's report names its parent and the phase it was forked from, and marks
the phases it reused from the parent (their artifacts are the parent's, their model
calls were the parent's and are not counted here).

The markdown is in the language of the person who started the run (`RunInput`
records it); the JSON document, which programs read, is the same in every language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.catalogue import Language, render
from my_deepagent.report_files import write_report_files
from my_deepagent.store.approvals import list_approvals
from my_deepagent.store.artifacts import list_artifacts
from my_deepagent.store.database import Database
from my_deepagent.store.events import EventType, list_events
from my_deepagent.store.llm_calls import list_llm_calls
from my_deepagent.store.phases import list_phases
from my_deepagent.store.records import (
    ApprovalRecord,
    ArtifactRecord,
    LlmCallRecord,
    PhaseRecord,
    RunRecord,
)
from my_deepagent.store.reports import save_report
from my_deepagent.store.runs import get_run
from my_deepagent.workflows.run_types import ForkOrigin, ReportInput, ReportPaths, fork_origin

REPORT_VERSION = 1


class ReportActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="write_report")
    async def write_report(self, input: ReportInput) -> ReportPaths:
        document = await build_report(self.deps.db, input.run_id)
        markdown = render_markdown(document, input.language)
        folder = self.deps.settings.paths.reports_dir
        json_path, markdown_path = await asyncio.to_thread(
            write_report_files, folder, input.run_id, document, markdown
        )
        await save_report(self.deps.db, input.run_id, document, markdown)
        return ReportPaths(json_path=str(json_path), markdown_path=str(markdown_path))


async def build_report(db: Database, run_id: str) -> dict[str, Any]:
    """The report's JSON document (see `render_markdown` for the human version)."""
    run = await get_run(db, run_id)
    if run is None:
        raise ApplicationError(f"no run {run_id} in mda's database", non_retryable=True)
    phases = await list_phases(db, run_id)
    artifacts = await list_artifacts(db, run_id)
    approvals = await list_approvals(db, run_id)
    calls = await list_llm_calls(db, run_id)
    events = await list_events(db, run_id)
    fork = fork_origin(run.bindings)
    phase_entries = [_phase_entry(run, p, artifacts, approvals, calls, fork) for p in phases]
    unconfined = [e.phase_key for e in events if e.type == EventType.SANDBOX_OFF]
    return {
        "report_version": REPORT_VERSION,
        "run": {
            "id": run.id,
            "template": run.template_ref,
            "repo": run.repo_path,
            "base_branch": run.base_branch,
            "state": run.state.value,
            "error": run.error,
            "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "unconfined_phases": list(dict.fromkeys(k for k in unconfined if k)),
            "parent_run": fork.parent_run if fork else None,
            "forked_from": fork.from_phase if fork else None,
        },
        "phases": phase_entries,
        "totals": {
            "model_calls": len(calls),
            "input_tokens": sum(c.input_tokens for c in calls),
            "output_tokens": sum(c.output_tokens for c in calls),
            "cached_tokens": sum(c.cached_tokens for c in calls),
            **_cost(calls),
            "duration_s": _seconds(run.created_at, run.finished_at or run.updated_at),
        },
        "events": [
            {"type": e.type.value, "phase": e.phase_key, "at": e.created_at.isoformat()}
            for e in events
        ],
    }


def _phase_entry(
    run: RunRecord,
    phase: PhaseRecord,
    artifacts: list[ArtifactRecord],
    approvals: list[ApprovalRecord],
    calls: list[LlmCallRecord],
    fork: ForkOrigin | None = None,
) -> dict[str, Any]:
    thread_id = f"run:{run.id}:phase:{phase.phase_key}:{phase.round}"
    reused = fork.reused_artifact(phase.phase_key) if fork else None
    reused_here = reused is not None and reused.round == phase.round
    mine = [c for c in calls if c.thread_id == thread_id]
    written = [a for a in artifacts if (a.phase_key, a.round) == (phase.phase_key, phase.round)]
    final = written[-1] if written else None
    models = list(dict.fromkeys(c.model for c in mine))
    return {
        "phase": phase.phase_key,
        "round": phase.round,
        "state": phase.state.value,
        "persona": phase.persona_ref or next((c.persona_ref for c in mine if c.persona_ref), None),
        "model": phase.model or (models[0] if models else None),
        "artifact": None
        if final is None
        else {
            "path": final.path,
            "sha256": final.sha256,
            "size": final.size,
            "revision": final.revision,
        },
        "validation": None
        if final is None or final.valid is None
        else {"valid": final.valid, "errors": list(final.errors or [])},
        "approvals": [
            {
                "gate": a.gate,
                "state": a.state.value,
                "feedback": a.feedback,
                "source": a.source,
            }
            for a in approvals
            if (a.phase_key, a.round) == (phase.phase_key, phase.round)
        ],
        "model_calls": len(mine),
        "input_tokens": sum(c.input_tokens for c in mine),
        "output_tokens": sum(c.output_tokens for c in mine),
        "cached_tokens": sum(c.cached_tokens for c in mine),
        **_cost(mine),
        "duration_s": _seconds(phase.started_at, phase.finished_at or phase.updated_at),
        "error": phase.error,
        "reused_from": fork.parent_run if fork and reused_here else None,
    }


Say = Callable[..., str]
"""`msg` of `render_markdown`: a catalogue message in the report's language."""


def render_markdown(document: dict[str, Any], language: Language = "en") -> str:
    """The report for people, in `language` (the run's starter's): headings and labels
    are translated, values (ids, states, paths, numbers) stay as the document has them."""

    def msg(key: str, /, **fields: object) -> str:
        return render(key, language, **fields)

    run, totals = document["run"], document["totals"]
    error = f" ({run['error']})" if run["error"] else ""
    lines = [
        msg("runs.report_title", run=run["id"]),
        "",
        msg("runs.report_template", template=run["template"]),
        msg("runs.report_repository", repo=run["repo"], base=run["base_branch"]),
        *(
            [msg("runs.report_forked", run=run["parent_run"], phase=run["forked_from"])]
            if run.get("parent_run")
            else []
        ),
        msg("runs.report_state", state=run["state"], error=error),
        msg(
            "runs.report_times",
            started=run["created_at"],
            finished=run["finished_at"] or msg("runs.report_not_yet"),
        ),
        msg("runs.report_duration", duration=_duration(totals["duration_s"], msg)),
        _shell_line(run.get("unconfined_phases") or [], msg),
        msg(
            "runs.report_calls",
            calls=totals["model_calls"],
            input=totals["input_tokens"],
            output=totals["output_tokens"],
            cached=totals["cached_tokens"],
        ),
        msg("runs.report_cost", cost=_money(totals, msg)),
        "",
        msg("runs.report_phases"),
        "",
        msg("runs.report_table_header"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in document["phases"]:
        lines.append(
            f"| {p['phase']} | {p['round']} | {p['state']} | {p['persona'] or '-'} | "
            f"{p['model'] or '-'} | {p['model_calls']} | {p['input_tokens']} | "
            f"{p['output_tokens']} | {_money(p, msg)} | {_duration(p['duration_s'], msg)} |"
        )
    for p in document["phases"]:
        lines += ["", msg("runs.report_phase", phase=p["phase"], round=p["round"]), ""]
        lines += _phase_lines(p, msg)
    return "\n".join(lines) + "\n"


def _phase_lines(p: dict[str, Any], msg: Say) -> list[str]:
    lines: list[str] = []
    if p.get("reused_from"):
        lines.append(msg("runs.report_reused", run=p["reused_from"]))
    artifact, validation = p["artifact"], p["validation"]
    if artifact is None:
        lines.append(msg("runs.report_no_artifact"))
    else:
        lines.append(
            msg(
                "runs.report_artifact",
                path=artifact["path"],
                size=artifact["size"],
                sha256=artifact["sha256"][:12],
                revision=artifact["revision"],
            )
        )
    if validation is None:
        lines.append(msg("runs.report_not_validated"))
    elif validation["valid"]:
        lines.append(msg("runs.report_valid"))
    else:
        lines.append(msg("runs.report_invalid", count=len(validation["errors"])))
        lines += [f"  - {error}" for error in validation["errors"]]
    for approval in p["approvals"]:
        by = msg("runs.report_approval_by", source=approval["source"]) if approval["source"] else ""
        said = f": {approval['feedback']}" if approval["feedback"] else ""
        lines.append(
            msg(
                "runs.report_approval",
                gate=approval["gate"],
                state=approval["state"],
                by=by,
                said=said,
            )
        )
    if p["error"]:
        lines.append(msg("runs.report_error", error=p["error"]))
    return lines


def _cost(calls: list[LlmCallRecord]) -> dict[str, Any]:
    """The calls' cost in dollars (a decimal string), or None when a call had no price."""
    unpriced = sum(1 for c in calls if c.cost_usd is None)
    total = sum((c.cost_usd for c in calls if c.cost_usd is not None), Decimal(0))
    return {"cost_usd": None if unpriced else str(total), "unpriced_calls": unpriced}


def _money(entry: dict[str, Any], msg: Say) -> str:
    if entry["cost_usd"] is None:
        return msg("runs.report_cost_unknown", count=entry["unpriced_calls"])
    return f"${Decimal(entry['cost_usd']):.4f}"


def _shell_line(unconfined: list[str], msg: Say) -> str:
    if not unconfined:
        return msg("runs.report_sandboxed")
    return msg("runs.report_unconfined", phases=", ".join(unconfined))


def _seconds(start: datetime, end: datetime) -> float:
    return round(max(0.0, (end - start).total_seconds()), 3)


def _duration(seconds: float, msg: Say) -> str:
    if seconds < 60:
        return msg("runs.report_seconds", seconds=f"{seconds:.1f}")
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return msg("runs.report_hours", hours=hours, minutes=f"{minutes:02d}")
    return msg("runs.report_minutes", minutes=minutes, seconds=f"{secs:02d}")
