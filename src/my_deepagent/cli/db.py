"""`mda db status|upgrade`: mda's own database and its schema migrations.

`status` says which database mda uses (the password hidden), the revision its schema
is at and what is pending, without changing anything; `upgrade` applies the pending
migrations, and LangGraph's checkpoint tables (safe to run from several processes at
once). The embedded SQLite database is brought up to date by any command; a configured
one (`MDA_DATABASE_URL`) only by `upgrade`, and every other command refuses a schema
behind this mda's with one line naming it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from my_deepagent.settings import Settings

app = typer.Typer(
    help="mda's own database: its schema revision, and migrations.", no_args_is_help=True
)


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The database mda uses, its schema revision and the migrations pending."""
    document = asyncio.run(_state(upgrade=False))
    _print(document, as_json)


@app.command("upgrade")
def upgrade(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Apply the pending migrations (nothing to do is not an error)."""
    document = asyncio.run(_state(upgrade=True))
    _print(document, as_json)


async def _state(*, upgrade: bool) -> dict[str, Any]:
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import (
        connect,
        database_url,
        ensure_schema,
        reach,
        schema_state,
    )

    settings = get_settings()
    url = database_url(settings)
    db = connect(url)
    try:
        before = await reach(db, schema_state(db))
        if upgrade and before.pending:
            await ensure_schema(db)
        if upgrade:
            await _set_up_checkpoints(settings)
        after = await schema_state(db) if upgrade else before
    finally:
        await db.close()
    return {
        "url": url.render_as_string(hide_password=True),
        "dialect": url.get_backend_name(),
        "revision": after.current,
        "head": after.head,
        "pending": list(after.pending),
        "applied": [r for r in before.pending if r not in after.pending] if upgrade else [],
    }


async def _set_up_checkpoints(settings: Settings) -> None:
    """Create or migrate the agent checkpoint tables too (LangGraph's own migrations)."""
    from my_deepagent.store.checkpoints import open_checkpointer

    async with open_checkpointer(settings):
        pass


def _print(document: dict[str, Any], as_json: bool) -> None:
    if as_json:
        from my_deepagent.cli.output import print_json

        print_json(document)
        return
    from my_deepagent.catalogue import msg

    revision = document["revision"] or msg("operations.db_revision_none")
    typer.echo(f"database  {document['url']}")
    if document["applied"]:
        typer.echo(f"applied   {', '.join(document['applied'])}")
    if document["pending"]:
        pending = document["pending"]
        typer.echo(
            msg(
                "operations.db_schema_pending",
                revision=revision,
                count=len(pending),
                pending=", ".join(pending),
            )
        )
    else:
        typer.echo(msg("operations.db_schema_current", revision=revision))
