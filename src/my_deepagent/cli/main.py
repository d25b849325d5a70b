"""The root `mda` command: wires the command groups and turns errors into one line.

`run()` is the console-script entry point. It runs typer without its standalone
mode so that every failure becomes one line on stderr, never a traceback: a usage
error or an `MdaError` exits 2 (or the error's own code), anything unexpected exits 1
(`MDA_DEBUG=1` shows its traceback). It ends the
process with `os._exit`: the Temporal client's native runtime can crash at
interpreter exit (sdk-python issue 300).
"""

from __future__ import annotations

import os
import sys

import typer
import typer.main

from my_deepagent.cli import (
    approvals,
    audit,
    budget,
    chat,
    db,
    doctor,
    init,
    keys,
    payloads,
    personas,
    pricing,
    runs,
    serve,
    server,
    sessions,
    start,
    stats,
    templates,
    worker,
)

app = typer.Typer(
    name="mda",
    help="Durable coding agents on Temporal: agent runs with approval gates, and sessions. "
    "`mda` alone opens a chat in the current repository.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("chat")(chat.chat)
app.add_typer(sessions.app, name="sessions")
app.command("start")(start.start)
app.command("resume")(start.resume)
app.command("approve")(approvals.approve)
app.command("reject")(approvals.reject)
app.command("request-changes")(approvals.request_changes)
app.command("abort")(approvals.abort)
app.add_typer(runs.app, name="runs")
app.command("report")(runs.report)
app.add_typer(server.app, name="server")
app.command("serve")(serve.serve)
app.add_typer(templates.app, name="templates")
app.add_typer(personas.app, name="personas")
app.add_typer(worker.app, name="worker")
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(payloads.app, name="payload-key")
app.command("codec-server")(payloads.codec_server)
app.command("doctor")(doctor.doctor)
app.command("init")(init.init)
app.command("login")(keys.login)
app.command("logout")(keys.logout)
app.command("pricing")(pricing.pricing)
app.add_typer(budget.app, name="budget")
app.command("costs", hidden=True)(budget.costs)
app.command("stats")(stats.stats)


def _print_version(value: bool) -> None:
    if value:
        from my_deepagent import __version__

        typer.echo(f"mda {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    """Durable coding agents on Temporal. Alone, `mda` opens a chat in this repository."""
    if ctx.invoked_subcommand is None:
        import asyncio

        from my_deepagent.cli.repl import run_repl
        from my_deepagent.sessions.opening import OpenRequest

        raise typer.Exit(asyncio.run(run_repl(OpenRequest())))


def _fail(message: str, code: int) -> int:
    from my_deepagent.catalogue import msg

    sys.stderr.write(msg("cli.error", message=" ".join(message.split())) + "\n")
    return code


def _invoke(argv: list[str] | None) -> object:
    """Run the command tree once; in a language other than English, with its help
    said in that language (`help_text`)."""
    from my_deepagent.catalogue import language

    command = typer.main.get_command(app)
    chosen = language()
    if chosen == "en":
        return command.main(args=argv, prog_name="mda", standalone_mode=False)
    from my_deepagent.cli.help_text import localised

    with localised(command, chosen):
        return command.main(args=argv, prog_name="mda", standalone_mode=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this in-process)."""
    from typer._click import exceptions as click_errors

    from my_deepagent.catalogue import msg
    from my_deepagent.errors import MdaError

    try:
        # Without standalone mode, click returns the code of a `typer.Exit(code)`.
        result = _invoke(argv)
    except MdaError as exc:
        return _fail(exc.message, exc.exit_code)
    except click_errors.NoArgsIsHelpError:
        # `mda server` alone: typer has printed the group's help, which is the answer.
        return 0
    except click_errors.UsageError as exc:
        from my_deepagent.cli.usage_errors import usage_error_text

        hint = msg("cli.see_help", command=exc.ctx.command_path) if exc.ctx is not None else ""
        return _fail(usage_error_text(exc) + hint, 2)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return _fail(msg("cli.aborted"), 130)
    except click_errors.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(msg("cli.interrupted"), 130)
    except Exception as exc:
        # A bug or an environment problem nobody anticipated: still one line, and the
        # traceback only on request.
        if os.environ.get("MDA_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else msg("cli.no_message")
        return _fail(msg("cli.unexpected", kind=type(exc).__name__, first=first), 1)
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
