"""`mda templates`: list and show the workflow templates a run can use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from my_deepagent.domain import Template

app = typer.Typer(
    help="Workflow templates: the phases, roles and artifacts of a run.", no_args_is_help=True
)

_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.command("list")
def list_templates(as_json: bool = _JSON) -> None:
    """List the templates, shipped and your own (<config>/templates)."""
    from my_deepagent.catalog_views import template_json
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.domain.catalog import load_user_catalog

    catalog = load_user_catalog()
    templates = catalog.templates()
    if as_json:
        print_json([template_json(t, catalog) for t in templates])
        return
    print_table(
        msg("runs.table_templates"),
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
    from my_deepagent.catalog_views import template_json
    from my_deepagent.catalogue import msg
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
        msg("runs.show_hash", hash=template.hash),
        template.description,
        "",
        msg("runs.template_roles"),
        *_role_lines(template),
        "",
        msg("runs.template_phases"),
        *_phase_lines(template),
    ]
    typer.echo("\n".join(lines))


def _role_lines(template: Template) -> list[str]:
    from my_deepagent.catalogue import msg

    lines = []
    for role in template.roles:
        needs = ", ".join(role.capabilities)
        if role.default_persona:
            lines.append(
                msg(
                    "runs.template_role_default",
                    role=role.name,
                    capabilities=needs,
                    persona=role.default_persona,
                )
            )
        else:
            lines.append(msg("runs.template_role", role=role.name, capabilities=needs))
        if role.description:
            lines.append(f"    {role.description}")
    return lines


def _phase_lines(template: Template) -> list[str]:
    from my_deepagent.catalogue import msg

    lines = []
    for number, phase in enumerate(template.phases, start=1):
        lines.append(
            msg(
                "runs.template_phase",
                number=number,
                key=phase.key,
                title=phase.title or phase.key,
                role=phase.role,
            )
        )
        lines.append(
            msg(
                "runs.template_artifact", path=phase.artifact.path, schema=phase.artifact.schema_ref
            )
        )
        if phase.inputs:
            lines.append(msg("runs.template_reads", inputs=", ".join(phase.inputs)))
        lines.append(msg("runs.template_approval", approval=_approval_text(template, phase.key)))
        lines += [f"     | {line}" for line in phase.prompt.strip().splitlines()]
    return lines


def _approval_text(template: Template, key: str) -> str:
    from my_deepagent.catalogue import msg

    approval = template.phase(key).approval
    if not approval.required:
        return msg("runs.approval_none")
    if approval.timeout_s is None:
        return msg("runs.approval_required")
    return msg(
        "runs.approval_timeout",
        on_timeout=approval.on_timeout,
        seconds=format(approval.timeout_s, "g"),
    )
