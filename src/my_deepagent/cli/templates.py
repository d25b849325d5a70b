"""`mda templates`: list and show the workflow templates a run can use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from my_deepagent.domain import Catalog, Template

app = typer.Typer(
    help="Workflow templates: the phases, roles and artifacts of a run.", no_args_is_help=True
)

_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.command("list")
def list_templates(as_json: bool = _JSON) -> None:
    """List the templates, shipped and your own (<config>/templates)."""
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    templates = catalog.templates()
    if as_json:
        print_json([template_json(t, catalog) for t in templates])
        return
    print_table(
        "Templates",
        ["ref", "phases", "approval after", "source"],
        [
            (
                t.ref,
                " -> ".join(p.key for p in t.phases),
                ", ".join(p.key for p in t.phases if p.approval.required) or "-",
                catalog.source("template", t.ref).origin,
            )
            for t in templates
        ],
        no_wrap=("ref",),
    )


@app.command("show")
def show_template(
    ref: str = typer.Argument(
        ..., metavar="ID[@VERSION]", help="Template id, newest version unless @VERSION."
    ),
    as_json: bool = _JSON,
) -> None:
    """Show a template's roles and phases: artifact, schema, approval, prompt."""
    from my_deepagent.cli.output import print_json
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    template = catalog.template(ref)
    if as_json:
        print_json(template_json(template, catalog))
        return
    source = catalog.source("template", template.ref)
    lines = [
        f"{template.ref}  ({source.origin}: {source.path})",
        f"hash: {template.hash}",
        template.description,
        "",
        "roles:",
    ]
    for role in template.roles:
        default = f", default persona {role.default_persona}" if role.default_persona else ""
        lines.append(f"  {role.name}: needs {', '.join(role.capabilities)}{default}")
        if role.description:
            lines.append(f"    {role.description}")
    lines += ["", "phases:"]
    for number, phase in enumerate(template.phases, start=1):
        lines.append(f"  {number}. {phase.key}: {phase.title or phase.key} (role {phase.role})")
        lines.append(f"     artifact: {phase.artifact.path} (schema {phase.artifact.schema_ref})")
        if phase.inputs:
            lines.append(f"     reads: {', '.join(phase.inputs)}")
        lines.append(f"     approval: {_approval_text(template, phase.key)}")
        lines += [f"     | {line}" for line in phase.prompt.strip().splitlines()]
    typer.echo("\n".join(lines))


def template_json(template: Template, catalog: Catalog) -> dict[str, Any]:
    source = catalog.source("template", template.ref)
    return {
        "ref": template.ref,
        "hash": template.hash,
        "source": {"origin": source.origin, "path": source.path},
        **template.model_dump(mode="json", by_alias=True),
    }


def _approval_text(template: Template, key: str) -> str:
    approval = template.phase(key).approval
    if not approval.required:
        return "none"
    if approval.timeout_s is None:
        return "required"
    return f"required, {approval.on_timeout} after {approval.timeout_s:g} s"
