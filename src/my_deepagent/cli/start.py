"""`mda start` and `mda resume`: launch a run, or continue one, and follow it.

Exit codes: 0 the run completed, 1 it ended rejected, failed or aborted, 2 bad input.
With `--detach` the command returns as soon as the workflow has started; with
`--json` it follows the run quietly and prints one JSON object at the end (with
`--detach`, at the start). Before the run starts, a table estimates its cost per
phase against its caps (`--no-preview` skips it; `--json` includes it as `preview`).
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from my_deepagent.launch import RunRequest

EXIT_FOR_STATE = {"completed": 0}


def start(
    template: str = typer.Argument(..., help="Template id, or id@version (`mda templates list`)."),
    repo: Path = typer.Option(Path(), "--repo", help="The git repository to work on."),
    requirements: str | None = typer.Option(
        None, "-r", "--requirements", help="What the run should achieve."
    ),
    requirements_file: Path | None = typer.Option(
        None, "--requirements-file", help="Read the requirements from this file."
    ),
    base: str | None = typer.Option(
        None, "--base", help="Base branch (default: the repository's current branch)."
    ),
    persona: list[str] = typer.Option(
        [], "--persona", help="Bind a role to a persona: ROLE=ID[@VERSION]; repeatable."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Every role uses an offline scripted persona: no key, no network."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve every gate automatically."),
    detach: bool = typer.Option(False, "--detach", help="Return once the run has started."),
    json_output: bool = typer.Option(False, "--json", help="Print the run as JSON."),
    budget_usd: str | None = typer.Option(
        None, "--budget-usd", help="The run's spending cap in US dollars (default: config)."
    ),
    budget_policy: str | None = typer.Option(
        None,
        "--budget-policy",
        help="At the run's cap: block, warn_continue or prompt (wait for a raise).",
    ),
    no_preview: bool = typer.Option(
        False, "--no-preview", help="Do not print the cost estimate before starting."
    ),
) -> None:
    """Start a run of a workflow template on a repository, and follow it."""
    from my_deepagent.budget_caps import policy_option, usd_option
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.launch import RunRequest, read_requirements

    cap, policy = usd_option(budget_usd), policy_option(budget_policy)
    if policy is not None and cap is None:
        raise MdaError(msg("runs.policy_needs_cap"))
    request = RunRequest(
        template=template,
        repo=repo,
        requirements=read_requirements(requirements, requirements_file),
        base=base,
        personas=tuple(persona),
        offline=offline,
        auto_approve=yes,
        budget_usd=cap,
        budget_policy=policy,
    )
    code = _start(request, detach=detach, json_output=json_output, preview=not no_preview)
    raise typer.Exit(asyncio.run(code))


async def _start(request: RunRequest, *, detach: bool, json_output: bool, preview: bool) -> int:
    from my_deepagent.cli.cost_preview import cost_preview, print_preview
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.launch import plan_run, start_run
    from my_deepagent.run_control import web_ui_url
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import new_run_id

    settings = get_settings()
    run_input = plan_run(request, load_user_catalog(), new_run_id())
    async with open_database(settings) as db:
        estimate = await cost_preview(db, run_input, request.requirements)
        if preview and not json_output:
            print_preview(estimate)
        client, polled = await client_with_worker()
        record = await start_run(client, db, run_input, request.requirements)
        summary: dict[str, Any] = {
            "run_id": record.id,
            "workflow_id": record.workflow_id,
            "template": run_input.template_ref,
            "repo": run_input.repo_path,
            "base": run_input.base_branch,
            "web_ui": web_ui_url(record.workflow_id),
            "preview": estimate.to_json(),
        }
        if not json_output:
            _print_started(record.id, record.workflow_id)
        follow = not detach and polled
        return await follow_started(client, db, summary, follow=follow, json_output=json_output)


async def follow_started(
    client: Any, db: Any, summary: dict[str, Any], *, follow: bool, json_output: bool
) -> int:
    """After `mda start` or `mda runs fork` started a run: follow it to its end unless
    told not to; with --json, print its summary (and, followed, its state and report)."""
    from my_deepagent.cli.output import print_json
    from my_deepagent.report_files import local_report
    from my_deepagent.settings import get_settings
    from my_deepagent.store.runs import get_run

    code = 0
    if follow:
        run_id = summary["run_id"]
        code = await _follow_to_end(client, db, run_id, quiet=json_output)
        if json_output:
            final = await get_run(db, run_id)
            summary["state"] = final.state.value if final is not None else None
            written = await local_report(db, get_settings().paths.reports_dir, run_id)
            summary["report"] = str(written[0]) if written is not None else None
    if json_output:
        print_json(summary)
    return code


def resume(
    run: str = typer.Argument(..., help="Run id or a unique prefix (6+ characters)."),
    budget_usd: str | None = typer.Option(
        None, "--budget-usd", help="A new cap for the run in US dollars (e.g. after a block)."
    ),
) -> None:
    """Continue a run: follow it if it still runs, or restart it from its first unfinished phase."""
    from my_deepagent.budget_caps import usd_option

    raise typer.Exit(asyncio.run(_resume(run, usd_option(budget_usd))))


async def _resume(ref: str, budget_usd: Decimal | None) -> int:
    from my_deepagent.catalogue import msg
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.launch import resume_run
    from my_deepagent.run_control import web_ui_url
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.runs import find_run

    async with open_database(get_settings()) as db:
        record = await find_run(db, ref)
        client, _polled = await client_with_worker()
        restarted = await resume_run(client, db, load_user_catalog(), record, budget_usd=budget_usd)
        shown = web_ui_url(record.workflow_id, person=True)
        if restarted:
            sys.stdout.write(msg("runs.resumed", run=record.id, web_ui=shown) + "\n")
        else:
            sys.stdout.write(msg("runs.still_running", run=record.id, web_ui=shown) + "\n")
        return await _follow_to_end(client, db, record.id, quiet=False)


async def client_with_worker() -> tuple[Any, bool]:
    """A client, and whether a worker polls (if none does, a note says the run waits)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.client import client_with_worker as connect
    from my_deepagent.settings import get_settings

    client, polled = await connect()
    if not polled:
        note = msg("runs.no_worker", queue=repr(get_settings().task_queue))
        sys.stderr.write(msg("cli.note", message=note) + "\n")
    return client, polled


async def _follow_to_end(client: Any, db: Any, run_id: str, *, quiet: bool) -> int:
    from my_deepagent.cli.follow import follow_run
    from my_deepagent.store.runs import get_run

    asking = sys.stdin.isatty() and not quiet  # a prompt would corrupt --json output
    state = await follow_run(client, db, run_id, ask_at_gates=asking, quiet=quiet)
    record = await get_run(db, run_id)
    if not quiet:
        from my_deepagent.catalogue import msg
        from my_deepagent.report_files import local_report
        from my_deepagent.settings import get_settings

        written = await local_report(db, get_settings().paths.reports_dir, run_id)
        reason = f" ({record.error})" if record is not None and record.error else ""
        if written is not None:
            report = written[1]
            line = msg(
                "runs.ended_with_report", run=run_id, state=state, reason=reason, report=report
            )
        else:
            line = msg("runs.ended", run=run_id, state=state, reason=reason)
        sys.stdout.write(line + "\n")
    return EXIT_FOR_STATE.get(state, 1)


def _print_started(run_id: str, workflow_id: str) -> None:
    from my_deepagent.catalogue import msg
    from my_deepagent.run_control import web_ui_url

    shown = web_ui_url(workflow_id, person=True)
    sys.stdout.write(msg("runs.started", run=run_id, web_ui=shown) + "\n")
