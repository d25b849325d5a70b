"""`mda personas`: list and show the personas roles can be bound to."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Personas: the models and prompts that fill a template's roles.", no_args_is_help=True
)

_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.command("list")
def list_personas(as_json: bool = _JSON) -> None:
    """List the personas, shipped and your own (<config>/personas)."""
    from my_deepagent.catalog_views import persona_json
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    personas = catalog.personas()
    if as_json:
        print_json([persona_json(p, catalog) for p in personas])
        return
    print_table(
        msg("runs.table_personas"),
        ["ref", "model", "capabilities", "source"],
        [
            (
                p.ref,
                p.model,
                ", ".join(p.capabilities),
                catalog.source("persona", p.ref).origin,
            )
            for p in personas
        ],
        no_wrap=("ref",),
    )


@app.command("show")
def show_persona(
    ref: str = typer.Argument(
        ..., metavar="ID[@VERSION]", help="Persona id, newest version unless @VERSION."
    ),
    as_json: bool = _JSON,
) -> None:
    """Show a persona: model, capabilities, limits, hash and system prompt."""
    from my_deepagent.catalog_views import persona_json
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    persona = catalog.persona(ref)
    if as_json:
        print_json(persona_json(persona, catalog))
        return
    source = catalog.source("persona", persona.ref)
    limits = persona.limits
    if persona.temperature is None:
        temperature = msg("runs.temperature_default")
    else:
        temperature = format(persona.temperature, "g")
    lines = [
        f"{persona.ref}  ({source.origin}: {source.path})",
        msg("runs.show_hash", hash=persona.hash),
        persona.description,
        "",
        msg("runs.persona_model", model=persona.model, provider=persona.provider),
        msg("runs.persona_capabilities", capabilities=", ".join(persona.capabilities)),
        msg(
            "runs.persona_limits",
            cost=format(limits.max_cost_per_call_usd, "g"),
            tokens=limits.max_tokens,
            calls=limits.max_model_calls,
        ),
        msg("runs.persona_temperature", temperature=temperature),
        "",
        msg("runs.persona_system_prompt"),
        *(f"  | {line}" for line in persona.system_prompt.strip().splitlines()),
    ]
    typer.echo("\n".join(lines))
