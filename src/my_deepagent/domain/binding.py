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

from my_deepagent.catalogue import msg
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
            raise AssetError(msg("assets.bad_persona_option", item=repr(item)))
        if role in overrides:
            raise AssetError(msg("assets.persona_option_twice", role=repr(role)))
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
                msg(
                    "assets.override_unknown_role",
                    name=role_name,
                    template=template.ref,
                    role=repr(role_name),
                    roles=", ".join(role_names),
                )
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
            raise _nobody_fills(role, template, offline=offline)
        bound.append(_binding(role, best, "capability"))
    return Bindings(template_ref=template.ref, template_hash=template.hash, roles=tuple(bound))


def _nobody_fills(role: Role, template: Template, *, offline: bool) -> AssetError:
    fields = {
        "role": repr(role.name),
        "template": template.ref,
        "needs": ", ".join(role.capabilities),
        "name": role.name,
    }
    if offline:
        return AssetError(msg("assets.no_scripted_persona_for_role", **fields))
    return AssetError(msg("assets.no_persona_for_role", **fields))


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
        raise AssetError(msg("assets.template_changed", template=bindings.template_ref))
    for binding in bindings.roles:
        persona = catalog.persona(binding.persona_ref)
        if persona.hash != binding.persona_hash:
            raise AssetError(
                msg("assets.persona_changed", persona=binding.persona_ref, role=repr(binding.role))
            )


def _provider_rank(preference: Sequence[Provider]) -> dict[str, int]:
    unknown = [p for p in preference if p not in PROVIDERS]
    if unknown:
        raise AssetError(
            msg(
                "assets.unknown_preferred_provider",
                provider=repr(unknown[0]),
                providers=", ".join(PROVIDERS),
            )
        )
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
            msg(
                "assets.persona_cannot_fill",
                persona=persona.ref,
                role=repr(role.name),
                missing=", ".join(missing),
            )
        )
    if not _allowed(persona, offline=offline):
        raise AssetError(
            msg("assets.persona_not_offline", persona=persona.ref, provider=repr(persona.provider))
        )


def _binding(
    role: Role, persona: Persona, reason: Literal["override", "default", "capability"]
) -> RoleBinding:
    return RoleBinding(
        role=role.name, persona_ref=persona.ref, persona_hash=persona.hash, reason=reason
    )
