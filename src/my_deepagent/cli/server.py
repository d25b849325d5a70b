"""`mda server`: the embedded Temporal dev server (start, stop, status, logs).

Only typer and the standard library load at import time; the Temporal client loads
when a command runs. When a Temporal server is configured (`TEMPORAL_ADDRESS` or the
Temporal config profile), `start` refuses and `status` reports that server instead.
Every command reads mda's settings first, so an invalid `MDA_*` value is reported
whatever the mode.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from my_deepagent.embedded.server import EmbeddedServerConfig, ServerInfo
    from my_deepagent.temporal_config import TemporalTarget

EXIT_NOT_RUNNING = 3
EXIT_NOT_ANSWERING = 4

app = typer.Typer(
    help="The embedded Temporal dev server mda runs when no Temporal server is configured.",
    no_args_is_help=True,
)


@app.command()
def start() -> None:
    """Start the server (idempotent) and wait until it answers.

    Also sets the namespace retention (MDA_TEMPORAL_RETENTION_DAYS) and registers
    mda's search attributes, on every start. Ports: MDA_TEMPORAL_PORT (7233) and
    MDA_TEMPORAL_UI_PORT (8233).
    """
    import asyncio

    from my_deepagent.catalogue import msg
    from my_deepagent.embedded.server import start_server
    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_config import embedded_config_or_fail

    get_settings()
    config = embedded_config_or_fail()
    result = asyncio.run(start_server(config))
    info = result.info
    shown = {"address": info.address, "pid": info.pid, "ui_url": info.ui_url}
    if result.already_running:
        typer.echo(msg("operations.server_already_running", **shown))
    else:
        typer.echo(msg("operations.server_started", **shown))
    if result.already_running and (info.port, info.ui_port) != (config.port, config.ui_port):
        typer.echo(
            msg(
                "operations.server_keeps_ports",
                port=info.port,
                ui_port=info.ui_port,
                configured_port=config.port,
                configured_ui_port=config.ui_port,
            )
        )


@app.command()
def stop() -> None:
    """Stop the server mda started (SIGTERM, then SIGKILL after 10 s). Data is kept."""
    from my_deepagent.catalogue import msg
    from my_deepagent.embedded.server import EmbeddedServerConfig, stop_server

    result = stop_server(EmbeddedServerConfig.from_settings())
    if result.outcome == "stopped" and result.info is not None:
        typer.echo(msg("operations.server_stopped", pid=result.info.pid))
    elif result.outcome == "stale":
        typer.echo(msg("operations.server_not_running_stale"))
    else:
        typer.echo(msg("operations.server_not_running"))


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Show address, Web UI, pid, database, uptime.

    Exit code 0: the server answers.

    Exit code 3: no embedded server is running, or the configured one is unreachable.

    Exit code 4: the server's process runs but it does not answer.
    """
    import asyncio

    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_config import load_target

    settings = get_settings()
    target = load_target()
    if target.mode == "configured":
        _configured_status(target, as_json)
        return
    from my_deepagent.embedded.server import EmbeddedServerConfig, probe, running_server

    config = EmbeddedServerConfig.from_settings(settings, namespace=target.namespace)
    info = running_server(config)
    if info is None:
        _print_not_running(config, as_json)
        raise typer.Exit(EXIT_NOT_RUNNING)
    answering = asyncio.run(probe(info))
    _print_running(info, target.namespace, answering, as_json)
    if not answering:
        raise typer.Exit(EXIT_NOT_ANSWERING)


@app.command()
def logs(
    lines: int = typer.Option(50, "-n", "--lines", min=0, help="How many last lines to show."),
    follow: bool = typer.Option(False, "-f", "--follow", help="Keep printing new lines."),
) -> None:
    """Print the server's log file (its output and mda's start lines)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.embedded.server import EmbeddedServerConfig

    log_file = EmbeddedServerConfig.from_settings().log_file
    if not log_file.exists() and not follow:
        typer.echo(msg("operations.server_no_log", log_file=log_file), err=True)
        return
    position = 0
    if log_file.exists():
        with log_file.open("rb") as handle:
            last = deque(handle, maxlen=lines)
            position = handle.tell()
        typer.echo(b"".join(last).decode(errors="replace"), nl=False)
    if follow:
        try:
            _follow(log_file, position)
        except KeyboardInterrupt:
            raise typer.Exit(0) from None


def _follow(log_file: Path, position: int) -> None:
    """Print what is appended from `position` on (the end of what was already shown)."""
    while True:
        try:
            size = log_file.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < position:  # rotated or truncated: start from the top of the new file
            position = 0
        if size > position:
            with log_file.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
            position += len(chunk)
            typer.echo(chunk.decode(errors="replace"), nl=False)
        time.sleep(0.25)


def _configured_status(target: TemporalTarget, as_json: bool) -> None:
    import asyncio

    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError
    from my_deepagent.temporal_config import connect_configured

    try:
        asyncio.run(connect_configured(target))
        reachable, problem = True, None
    except MdaError as exc:
        reachable, problem = False, exc.message
    if as_json:
        from my_deepagent.cli.output import print_json

        print_json(
            {
                "mode": "configured",
                "address": target.address,
                "namespace": target.namespace,
                "reachable": reachable,
                "error": problem,
            }
        )
    else:
        typer.echo(msg("operations.status_mode_configured"))
        typer.echo(f"address    {target.address}")
        typer.echo(f"namespace  {target.namespace}")
        if problem is None:
            typer.echo(msg("operations.status_reachable"))
        else:
            typer.echo(msg("operations.status_unreachable", problem=problem))
    if not reachable:
        raise typer.Exit(EXIT_NOT_RUNNING)


def _print_not_running(config: EmbeddedServerConfig, as_json: bool) -> None:
    if as_json:
        from my_deepagent.cli.output import print_json

        print_json(
            {
                "mode": "embedded",
                "running": False,
                "database": str(config.database_file),
                "log_file": str(config.log_file),
            }
        )
    else:
        from my_deepagent.catalogue import msg

        typer.echo(msg("operations.server_not_running_start_hint"))


def _print_running(info: ServerInfo, namespace: str, answering: bool, as_json: bool) -> None:
    uptime = info.uptime_s()
    if as_json:
        from my_deepagent.cli.output import print_json

        document: dict[str, Any] = {
            "mode": "embedded",
            "running": True,
            "answering": answering,
            "address": info.address,
            "ui_url": info.ui_url,
            "namespace": namespace,
            "pid": info.pid,
            "database": info.database_file,
            "log_file": info.log_file,
            "started_at": info.started_at,
            "uptime_s": round(uptime, 1),
        }
        print_json(document)
        return
    typer.echo("mode       embedded")
    typer.echo(f"address    {info.address}")
    typer.echo(f"web UI     {info.ui_url}")
    typer.echo(f"namespace  {namespace}")
    typer.echo(f"pid        {info.pid}")
    typer.echo(f"database   {info.database_file}")
    typer.echo(f"uptime     {_duration(uptime)}")
    typer.echo(f"log        {info.log_file}")
    if not answering:
        from my_deepagent.catalogue import msg

        typer.echo(msg("operations.status_not_answering", log_file=info.log_file))


def _duration(seconds: float) -> str:
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value] or ["0s"]
    return " ".join(shown[:2])
