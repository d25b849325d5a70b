"""`mda worker`: the process that runs mda's workflows and activities.

`mda worker` alone runs one in the foreground until Ctrl-C or SIGTERM (graceful
shutdown). In embedded mode the commands that start runs start a detached worker
when none polls; `mda worker stop` and `mda worker status` manage that one.
"""

from __future__ import annotations

import typer

EXIT_NOT_RUNNING = 3

app = typer.Typer(
    help="Run the worker (foreground), or stop / show the detached one.",
    invoke_without_command=True,
)


@app.callback()
def worker(
    ctx: typer.Context,
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        "--max-concurrent-activities",
        min=1,
        max=1000,
        help="Activities (phases, turns, ...) run at once (default: 4 per core, at least 4).",
    ),
    max_concurrent_workflow_tasks: int | None = typer.Option(
        None, min=1, help="Workflow tasks run at once (default: the SDK's, 100)."
    ),
) -> None:
    """Run a worker in the foreground until Ctrl-C or SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    import asyncio

    from my_deepagent.settings import get_settings
    from my_deepagent.worker import run_worker

    asyncio.run(
        run_worker(
            get_settings(),
            max_concurrent_activities=concurrency,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        )
    )


@app.command()
def stop() -> None:
    """Stop the detached worker (SIGTERM, graceful; SIGKILL after 20 s)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.embedded.worker_process import stop_worker
    from my_deepagent.settings import get_settings

    result = stop_worker(get_settings().paths)
    if result.outcome == "stopped" and result.info is not None:
        typer.echo(msg("operations.worker_stopped", pid=result.info.pid))
    elif result.outcome == "stale":
        typer.echo(msg("operations.worker_not_running_stale"))
    else:
        typer.echo(msg("operations.worker_not_running"))


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Show the detached worker's pid and log. Exit code 3: it is not running."""
    from my_deepagent.catalogue import msg
    from my_deepagent.embedded.worker_process import log_file, running_worker
    from my_deepagent.settings import get_settings

    paths = get_settings().paths
    info = running_worker(paths)
    if as_json:
        from my_deepagent.cli.output import print_json

        print_json(
            {
                "running": info is not None,
                "pid": info.pid if info else None,
                "identity": info.identity if info else None,
                "started_at": info.started_at if info else None,
                "log_file": str(log_file(paths)),
            }
        )
    elif info is None:
        typer.echo(msg("operations.worker_not_running_start_hint"))
    else:
        typer.echo(f"pid        {info.pid}")
        typer.echo(f"identity   {info.identity}")
        typer.echo(f"started    {info.started_at}")
        typer.echo(f"log        {info.log_file}")
    if info is None:
        raise typer.Exit(EXIT_NOT_RUNNING)


@app.command()
def health(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Exit 0 while a worker of this MDA_HOME reaches the Temporal server, else 1.

    For a container's health check or liveness probe; a failure prints one line."""
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.settings import get_settings
    from my_deepagent.worker_health import FRESH_FOR_S, healthy_workers

    paths = get_settings().paths
    found = healthy_workers(paths)
    if as_json:
        from my_deepagent.cli.output import print_json

        print_json({"healthy": bool(found), "workers": [w.__dict__ for w in found]})
    if not found:
        raise MdaError(
            msg(
                "operations.worker_unhealthy",
                data_dir=paths.data_dir,
                seconds=f"{FRESH_FOR_S:g}",
            ),
            exit_code=1,
        )
    if not as_json:
        for worker in found:
            typer.echo(msg("operations.worker_healthy", identity=worker.identity))
