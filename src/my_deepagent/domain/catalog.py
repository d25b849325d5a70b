"""The catalog: every persona, template and schema mda knows, shipped and user.

Shipped assets come from the package (`my_deepagent/assets`), user assets from
`<config>/personas`, `<config>/templates` and `<config>/schemas`. A user file with
the same id@version as a shipped one replaces it; two files of the same source with
one id@version are an error, since which one wins would depend on file names.
After merging, templates are checked against the rest: each schema they name exists
and each default persona has its role's capabilities. The catalog is an explicit
object (no global), so tests can load one per MDA_HOME.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from my_deepagent.catalogue import msg
from my_deepagent.domain.artifact_schema import ArtifactSchema
from my_deepagent.domain.loader import (
    JSON_SUFFIXES,
    YAML_SUFFIXES,
    AssetFile,
    asset_files,
    load_model,
    load_schema,
)
from my_deepagent.domain.persona import Persona
from my_deepagent.domain.problems import asset_error
from my_deepagent.domain.refs import kind_name, parse_ref
from my_deepagent.domain.template import Template
from my_deepagent.errors import AssetError

if TYPE_CHECKING:
    from my_deepagent.settings import Paths

Origin = Literal["shipped", "user"]
Kind = Literal["persona", "template", "schema"]
AssetT = TypeVar("AssetT", Persona, Template, ArtifactSchema)


@dataclass(frozen=True)
class Source:
    origin: Origin
    path: str


@dataclass(frozen=True)
class Entry(Generic[AssetT]):
    asset: AssetT
    source: Source


def shipped_assets_dir() -> AssetFile:
    return files("my_deepagent") / "assets"


class Catalog:
    """Lookups by `id` (newest version) or `id@version`; listings sorted by ref."""

    def __init__(
        self,
        personas: Mapping[str, Entry[Persona]],
        templates: Mapping[str, Entry[Template]],
        schemas: Mapping[str, Entry[ArtifactSchema]],
    ) -> None:
        self._personas = dict(personas)
        self._templates = dict(templates)
        self._schemas = dict(schemas)

    def personas(self) -> tuple[Persona, ...]:
        return tuple(e.asset for e in _sorted(self._personas))

    def templates(self) -> tuple[Template, ...]:
        return tuple(e.asset for e in _sorted(self._templates))

    def schemas(self) -> tuple[ArtifactSchema, ...]:
        return tuple(e.asset for e in _sorted(self._schemas))

    def persona(self, ref: str) -> Persona:
        return _lookup(self._personas, ref, "persona").asset

    def template(self, ref: str) -> Template:
        return _lookup(self._templates, ref, "template").asset

    def schema(self, ref: str) -> ArtifactSchema:
        return _lookup(self._schemas, ref, "schema").asset

    def source(self, kind: Kind, ref: str) -> Source:
        """Where the asset `ref` (id or id@version) was loaded from."""
        if kind == "persona":
            return _lookup(self._personas, ref, kind).source
        if kind == "template":
            return _lookup(self._templates, ref, kind).source
        return _lookup(self._schemas, ref, kind).source

    def has(self, kind: Kind, exact_ref: str) -> bool:
        if kind == "persona":
            return exact_ref in self._personas
        if kind == "template":
            return exact_ref in self._templates
        return exact_ref in self._schemas


def load_catalog(paths: Paths | None, *, shipped: AssetFile | None = None) -> Catalog:
    """Load shipped assets and, when `paths` is given, the user's folders over them."""
    base = shipped if shipped is not None else shipped_assets_dir()
    folders: list[tuple[Origin, AssetFile, AssetFile, AssetFile]] = [
        ("shipped", base / "personas", base / "templates", base / "schemas")
    ]
    if paths is not None:
        folders.append(
            ("user", paths.user_personas_dir, paths.user_templates_dir, paths.user_schemas_dir)
        )
    personas: dict[str, Entry[Persona]] = {}
    templates: dict[str, Entry[Template]] = {}
    schemas: dict[str, Entry[ArtifactSchema]] = {}
    for origin, persona_dir, template_dir, schema_dir in folders:
        personas.update(
            _one_source(
                origin,
                ((f, load_model(f, Persona)) for f in asset_files(persona_dir, YAML_SUFFIXES)),
                "persona",
            )
        )
        templates.update(
            _one_source(
                origin,
                ((f, load_model(f, Template)) for f in asset_files(template_dir, YAML_SUFFIXES)),
                "template",
            )
        )
        schemas.update(
            _one_source(
                origin,
                ((f, load_schema(f)) for f in asset_files(schema_dir, JSON_SUFFIXES)),
                "schema",
            )
        )
    catalog = Catalog(personas, templates, schemas)
    for entry in _sorted(templates):
        _check_template_links(entry, catalog)
    return catalog


def _one_source(
    origin: Origin, loaded: Iterable[tuple[AssetFile, AssetT]], kind: Kind
) -> dict[str, Entry[AssetT]]:
    entries: dict[str, Entry[AssetT]] = {}
    for file, asset in loaded:
        earlier = entries.get(asset.ref)
        if earlier is not None:
            raise AssetError(
                msg(
                    "assets.duplicate",
                    kind=kind_name(kind),
                    ref=asset.ref,
                    first=earlier.source.path,
                    second=file,
                )
            )
        entries[asset.ref] = Entry(asset, Source(origin, str(file)))
    return entries


def _check_template_links(entry: Entry[Template], catalog: Catalog) -> None:
    template, path = entry.asset, entry.source.path
    known_schemas = ", ".join(s.ref for s in catalog.schemas()) or msg("assets.none")
    for index, phase in enumerate(template.phases):
        ref = phase.artifact.schema_ref
        if not catalog.has("schema", ref):
            raise asset_error(
                path,
                f"phases[{index}].artifact.schema",
                msg("assets.template_no_schema", ref=repr(ref), known=known_schemas, id=ref),
            )
    for index, role in enumerate(template.roles):
        if role.default_persona is None:
            continue
        field = f"roles[{index}].default_persona"
        if not catalog.has("persona", role.default_persona):
            raise asset_error(
                path,
                field,
                msg("assets.template_no_persona", ref=repr(role.default_persona)),
            )
        persona = catalog.persona(role.default_persona)
        missing = persona.missing_capabilities(role.capabilities)
        if missing:
            raise asset_error(
                path,
                field,
                msg(
                    "assets.default_persona_lacks",
                    persona=persona.ref,
                    missing=", ".join(missing),
                    role=repr(role.name),
                ),
            )


def _sorted(table: Mapping[str, Entry[AssetT]]) -> list[Entry[AssetT]]:
    return sorted(table.values(), key=lambda e: (e.asset.id, e.asset.version))


def _lookup(table: Mapping[str, Entry[AssetT]], text: str, kind: str) -> Entry[AssetT]:
    ref = parse_ref(text, kind=kind)
    if ref.version is not None:
        entry = table.get(str(ref))
    else:
        versions = [e for e in table.values() if e.asset.id == ref.id]
        entry = max(versions, key=lambda e: e.asset.version) if versions else None
    if entry is None:
        raise _not_found(kind, str(ref), table)
    return entry


def _not_found(kind: str, ref: str, table: Mapping[str, Entry[AssetT]]) -> AssetError:
    if kind == "schema":
        return AssetError(
            msg("assets.schema_not_found", ref=repr(ref), known=", ".join(sorted(table)))
        )
    return AssetError(
        msg("assets.not_found", kind=kind_name(kind), ref=repr(ref), command=f"{kind}s")
    )


def load_user_catalog() -> Catalog:
    """The catalog for this process's settings: shipped assets plus the user's folders."""
    from my_deepagent.settings import get_settings

    return load_catalog(get_settings().paths)
