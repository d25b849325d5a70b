"""Binding a template's roles to personas, deterministically.

For each role, in this order:
1. an override (`--persona role=id[@version]`) wins, if the persona is capable;
2. otherwise the role's `default_persona`, if it is capable and allowed;
3. otherwise the capable personas are ranked by provider preference, then id,
   then newest version, and the first one is taken.

The same catalog, template, overrides and preference always give the same result:
no dict-order, clock or randomness enters the choice. Offline mode allows only
`scripted` personas, so a run can be tried with no key and no network.

The result, `Bindings`, is the snapshot a run pins: persona refs and hashes, and its
own hash. `mda resume` checks it against the catalog with `check_pinned`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from my_deepagent.domain.hashing import content_hash
from my_deepagent.domain.model_spec import PROVIDERS, Provider
from my_deepagent.domain.persona import Persona
from my_deepagent.domain.refs import Name, parse_ref
from my_deepagent.domain.template import Role, Template
from my_deepagent.errors import AssetError

if TYPE_CHECKING:
    from my_deepagent.domain.catalog import Catalog

DEFAULT_PROVIDER_PREFERENCE: tuple[Provider, ...] = (
    "openrouter",
    "anthropic",
    "openai",
    "openai-compatible",
    "scripted",
)


class RoleBinding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Name
    persona_ref: str
    persona_hash: str
    reason: Literal["override", "default", "capability"]


class Bindings(BaseModel):
    """Which persona fills each role of one template: what a run pins."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template_ref: str
    template_hash: str
    roles: tuple[RoleBinding, ...]

    @property
    def hash(self) -> str:
        return content_hash(self)

    def persona_ref(self, role: str) -> str:
        for binding in self.roles:
            if binding.role == role:
                return binding.persona_ref
        raise KeyError(role)


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """`["reviewer=openai-reviewer@1", ...]` (the `--persona` option) -> {role: ref}."""
    overrides: dict[str, str] = {}
    for item in items:
        role, sep, ref = (part.strip() for part in item.partition("="))
        if not sep or not role or not ref:
            raise AssetError(f"bad --persona {item!r} (write ROLE=PERSONA, e.g. reviewer=x@1)")
        if role in overrides:
            raise AssetError(f"--persona names role {role!r} twice (keep one)")
        parse_ref(ref, kind="persona")
        overrides[role] = ref
    return overrides


def bind_roles(
    template: Template,
    catalog: Catalog,
    overrides: Mapping[str, str] | None = None,
    *,
    offline: bool = False,
    provider_preference: Sequence[Provider] = DEFAULT_PROVIDER_PREFERENCE,
) -> Bindings:
    """Bind every role of `template`; a role nobody can fill is a one-line `AssetError`."""
    overrides = dict(overrides or {})
    role_names = [role.name for role in template.roles]
    for role_name in sorted(overrides):
        if role_name not in role_names:
            raise AssetError(
                f"--persona {role_name}=...: template {template.ref} has no role "
                f"{role_name!r} (roles are: {', '.join(role_names)})"
            )
    _provider_rank(provider_preference)
    bound = []
    for role in template.roles:
        if role.name in overrides:
            persona = catalog.persona(overrides[role.name])
            _check_override(persona, role, offline=offline)
            bound.append(_binding(role, persona, "override"))
            continue
        default = _usable_default(role, catalog, offline=offline)
        if default is not None:
            bound.append(_binding(role, default, "default"))
            continue
        best = best_persona(
            catalog, role.capabilities, offline=offline, provider_preference=provider_preference
        )
        if best is None:
            raise AssetError(
                f"no {'scripted ' if offline else ''}persona can fill role {role.name!r} of "
                f"template {template.ref} (needs: {', '.join(role.capabilities)}); add a "
                f"persona with these capabilities or pass --persona {role.name}=ID"
            )
        bound.append(_binding(role, best, "capability"))
    return Bindings(template_ref=template.ref, template_hash=template.hash, roles=tuple(bound))


def best_persona(
    catalog: Catalog,
    capabilities: Sequence[str],
    *,
    offline: bool = False,
    provider_preference: Sequence[Provider] = DEFAULT_PROVIDER_PREFERENCE,
) -> Persona | None:
    """The first capable persona by (provider preference, id, newest version), if any."""
    ranked = ranked_personas(
        catalog, capabilities, offline=offline, provider_preference=provider_preference
    )
    return ranked[0] if ranked else None


def ranked_personas(
    catalog: Catalog,
    capabilities: Sequence[str],
    *,
    offline: bool = False,
    provider_preference: Sequence[Provider] = DEFAULT_PROVIDER_PREFERENCE,
) -> list[Persona]:
    """Every capable persona, best first (the order `best_persona` picks by)."""
    rank = _provider_rank(provider_preference)
    candidates = [
        p for p in catalog.personas() if p.can_fill(capabilities) and _allowed(p, offline=offline)
    ]
    return sorted(candidates, key=lambda p: (rank[p.provider], p.id, -p.version))


def check_pinned(bindings: Bindings, catalog: Catalog) -> None:
    """Fail if a pinned template or persona is gone or changed since the bindings were made."""
    template = catalog.template(bindings.template_ref)
    if template.hash != bindings.template_hash:
        raise AssetError(
            f"template {bindings.template_ref} changed since the run started "
            f"(restore it, or start a new run)"
        )
    for binding in bindings.roles:
        persona = catalog.persona(binding.persona_ref)
        if persona.hash != binding.persona_hash:
            raise AssetError(
                f"persona {binding.persona_ref} (role {binding.role!r}) changed since the "
                f"run started (restore it, or start a new run)"
            )


def _provider_rank(preference: Sequence[Provider]) -> dict[str, int]:
    unknown = [p for p in preference if p not in PROVIDERS]
    if unknown:
        raise AssetError(f"unknown provider {unknown[0]!r} (use: {', '.join(PROVIDERS)})")
    rank: dict[str, int] = {}
    for name in (*preference, *PROVIDERS):
        rank.setdefault(name, len(rank))
    return rank


def _allowed(persona: Persona, *, offline: bool) -> bool:
    return not offline or persona.provider == "scripted"


def _usable_default(role: Role, catalog: Catalog, *, offline: bool) -> Persona | None:
    if role.default_persona is None:
        return None
    persona = catalog.persona(role.default_persona)
    if persona.can_fill(role.capabilities) and _allowed(persona, offline=offline):
        return persona
    return None


def _check_override(persona: Persona, role: Role, *, offline: bool) -> None:
    missing = persona.missing_capabilities(role.capabilities)
    if missing:
        raise AssetError(
            f"persona {persona.ref} cannot fill role {role.name!r}: it lacks "
            f"{', '.join(missing)} (pick a persona with these capabilities, "
            f"see `mda personas list`)"
        )
    if not _allowed(persona, offline=offline):
        raise AssetError(
            f"persona {persona.ref} uses provider {persona.provider!r}, but offline mode "
            f"allows only scripted personas (drop --offline or pick a scripted persona)"
        )


def _binding(
    role: Role, persona: Persona, reason: Literal["override", "default", "capability"]
) -> RoleBinding:
    return RoleBinding(
        role=role.name, persona_ref=persona.ref, persona_hash=persona.hash, reason=reason
    )
