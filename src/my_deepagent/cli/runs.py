"""`mda runs list|show|events|fork` and `mda report`: what runs did and are doing.

`list` and `events` read mda's database only. `show` asks the workflow for its live
state while it runs (the pending gate lives there) and falls back to the database
once it has ended; a run whose workflow was terminated shows as failed. `fork` starts
a new run from one phase of an earlier one, taking the earlier phases' artifacts, and
follows it as `mda start` does (same exit codes, `--detach`, `--json`).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from my_deepagent.launch import ForkRequest

app = typer.Typer(
    help="Runs: list them, show one, read its events, fork one.", no_args_is_help=True
)

_RUN = typer.Argument(..., help="Run id or a unique prefix (6+ characters).")
_JSON = typer.Option(False, "--json", help="Print JSON.")
STATES = ("running", "awaiting_approval", "completed", "failed", "rejected", "aborted")


@app.command("list")
def list_runs(
    state: str | None = typer.Option(None, "--state", help=f"Only runs in this state: {STATES}."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = _JSON,
) -> None:
    """List runs, newest first."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError

    if state is not None and state not in STATES:
        raise MdaError(msg("runs.unknown_state", state=repr(state), states=", ".join(STATES)))
    asyncio.run(_list(state, limit, as_json))


async def _list(state: str | None, limit: int, as_json: bool) -> None:
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.run_control import run_json
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.records import RunState
    from my_deepagent.store.runs import list_run_headers

    states = [RunState(state)] if state is not None else None
    if state == "running":
        states = [RunState.PENDING, RunState.RUNNING]
    async with open_database(get_settings()) as db:
        runs = await list_run_headers(db, states=states, limit=limit)
    if as_json:
        print_json([run_json(r) for r in runs])
        return
    print_table(
        msg("runs.table_runs"),
        ["run", "state", "template", "base", "repository", "started"],
        [
            (
                r.id[:12],
                r.state.value,
                r.template_ref,
                r.base_branch,
                r.repo_path,
                r.created_at.strftime("%Y-%m-%d %H:%M"),
            )
            for r in runs
        ],
        no_wrap=("run",),
    )


@app.command("show")
def show(
    run: str = _RUN,
    follow: bool = typer.Option(False, "--follow", "-f", help="Follow its events until it ends."),
    as_json: bool = _JSON,
) -> None:
    """Show a run: state, phases, the pending gate, the Web UI link."""
    raise typer.Exit(asyncio.run(_show(run, follow, as_json)))


async def _show(ref: str, follow: bool, as_json: bool) -> int:
    from my_deepagent.run_control import run_view, web_ui_url
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import find_run
    from my_deepagent.temporal_config import connect_client

    async with open_database(get_settings()) as db:
        record = await find_run(db, ref)
        client = await connect_client()
        if follow:
            from my_deepagent.cli.follow import follow_run

            await follow_run(client, db, record.id, ask_at_gates=sys.stdin.isatty())
        view = await run_view(client, db, record)
    view["web_ui"] = web_ui_url(record.workflow_id, person=not as_json)
    if as_json:
        from my_deepagent.cli.output import print_json

        print_json(view)
    else:
        _print_view(view)
    return 0


def _print_view(view: dict[str, Any]) -> None:
    from my_deepagent.catalogue import msg

    short = view["run_id"][:8]
    error = f" ({view['error']})" if view.get("error") else ""
    lines = [
        msg("runs.view_run", run=view["run_id"]),
        msg("runs.view_state", state=view["state"], error=error),
        msg("runs.view_template", template=view["template"]),
        msg("runs.view_repo", repo=view["repo"], base=view["base"]),
        msg("runs.view_web_ui", web_ui=view["web_ui"]),
    ]
    if view.get("parent_run"):
        lines.append(msg("runs.view_forked", run=view["parent_run"], phase=view["forked_from"]))
    gate = view.get("pending_gate")
    if gate:
        lines.append(msg("runs.view_gate", gate=gate["gate_id"], run=short))
    budget = view.get("pending_budget")
    if budget:
        from my_deepagent.domain.budget import BudgetGate

        waiting = BudgetGate.model_validate(budget)
        lines.append(
            msg(
                "runs.view_budget",
                gate=waiting.describe(shown=True),
                run=short,
                usd=waiting.suggested_cap(),
            )
        )
    for phase in view.get("phases", []):
        lines.append(
            msg("runs.view_phase", phase=phase["key"], state=phase["state"], round=phase["round"])
        )
    sys.stdout.write("\n".join(lines) + "\n")


@app.command("fork")
def fork(
    run: str = _RUN,
    from_phase: str = typer.Option(
        ..., "--from", help="The phase to start again at; the phases before it are reused."
    ),
    requirements: str | None = typer.Option(
        None, "-r", "--requirements", help="New requirements (default: the run's)."
    ),
    requirements_file: Path | None = typer.Option(
        None, "--requirements-file", help="Read the new requirements from this file."
    ),
    persona: list[str] = typer.Option(
        [], "--persona", help="Bind a role to another persona: ROLE=ID[@VERSION]; repeatable."
    ),
    budget_usd: str | None = typer.Option(
        None, "--budget-usd", help="The new run's spending cap in US dollars (default: the run's)."
    ),
    detach: bool = typer.Option(False, "--detach", help="Return once the new run has started."),
    json_output: bool = typer.Option(False, "--json", help="Print the new run as JSON."),
) -> None:
    """Start a new run from a phase of this one, on a new branch, reusing the earlier phases.

    The new branch starts at the run's commit that holds the artifacts of the phases
    before PHASE; those phases are not run again (their artifacts are the run's). The
    template, bindings and approvals are the run's; the requirements too, unless given.
    """
    from my_deepagent.budget_caps import usd_option
    from my_deepagent.launch import ForkRequest, read_requirements

    given = requirements is not None or requirements_file is not None
    request = ForkRequest(
        from_phase=from_phase,
        requirements=read_requirements(requirements, requirements_file) if given else None,
        personas=tuple(persona),
        budget_usd=usd_option(budget_usd),
    )
    raise typer.Exit(asyncio.run(_fork(run, request, detach=detach, json_output=json_output)))


async def _fork(ref: str, request: ForkRequest, *, detach: bool, json_output: bool) -> int:
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.start import client_with_worker, follow_started
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.launch import plan_fork, start_run
    from my_deepagent.run_control import web_ui_url
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import find_run, new_run_id

    settings = get_settings()
    async with open_database(settings) as db:
        parent = await find_run(db, ref)
        run_input, requirements = await plan_fork(
            db, load_user_catalog(), parent, request, new_run_id()
        )
        client, polled = await client_with_worker()
        record = await start_run(client, db, run_input, requirements)
        fork = run_input.fork
        assert fork is not None
        summary: dict[str, Any] = {
            "run_id": record.id,
            "workflow_id": record.workflow_id,
            "template": run_input.template_ref,
            "repo": run_input.repo_path,
            "base": run_input.base_branch,
            "parent_run": fork.parent_run,
            "forked_from": fork.from_phase,
            "start_commit": fork.commit,
            "reused_phases": [r.phase_key for r in fork.reused],
            "web_ui": web_ui_url(record.workflow_id),
        }
        if not json_output:
            shown = web_ui_url(record.workflow_id, person=True)
            line = msg(
                "runs.forked",
                run=record.id,
                parent=parent.id[:12],
                phase=fork.from_phase,
                web_ui=shown,
            )
            sys.stdout.write(line + "\n")
        follow = not detach and polled
        return await follow_started(client, db, summary, follow=follow, json_output=json_output)


@app.command("events")
def events(run: str = _RUN, as_json: bool = _JSON) -> None:
    """The run's events in order (the audit trail of its transitions)."""
    asyncio.run(_events(run, as_json))


async def _events(ref: str, as_json: bool) -> None:
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.events import list_events
    from my_deepagent.store.runs import find_run

    async with open_database(get_settings()) as db:
        record = await find_run(db, ref)
        rows = await list_events(db, record.id)
    if as_json:
        print_json([e.model_dump(mode="json") for e in rows])
        return
    print_table(
        msg("runs.table_events", run=record.id[:12]),
        ["time", "event", "phase", "details"],
        [
            (
                e.created_at.strftime("%H:%M:%S"),
                e.type.value,
                e.phase_key or "",
                ", ".join(f"{k}={v}" for k, v in e.payload.items() if v not in (None, "")),
            )
            for e in rows
        ],
    )


def report(
    run: str = _RUN,
    format: str = typer.Option("md", "--format", help="md or json."),
) -> None:
    """Print the run's final report (Markdown or JSON)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError

    if format not in ("md", "json"):
        raise MdaError(msg("runs.unknown_report_format", format=repr(format)))
    asyncio.run(_report(run, format))


async def _report(ref: str, format: str) -> None:
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.report_files import local_report, report_file
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import find_run

    settings = get_settings()
    async with open_database(settings) as db:
        record = await find_run(db, ref)
        written = await local_report(db, settings.paths.reports_dir, record.id)
    if written is None:
        raise MdaError(
            msg(
                "runs.no_report_yet",
                run=record.id[:12],
                state=record.state.value,
                short=record.id[:8],
            )
        )
    path = report_file(settings.paths.reports_dir, record.id, format)
    sys.stdout.write(path.read_text(encoding="utf-8"))
