"""The domain: personas, workflow templates, artifact schemas and bindings.

Pure pydantic models, immutable, with stable content hashes; no I/O except the
catalog loader, which reads the shipped assets and the user's folders.
"""

from my_deepagent.domain.artifact_schema import ArtifactSchema
from my_deepagent.domain.binding import (
    Bindings,
    RoleBinding,
    best_persona,
    bind_roles,
    check_pinned,
    parse_overrides,
)
from my_deepagent.domain.catalog import Catalog, Source, load_catalog
from my_deepagent.domain.model_spec import PROVIDERS, ModelSpec, Provider
from my_deepagent.domain.persona import CAPABILITIES, Limits, Persona
from my_deepagent.domain.refs import AssetRef, parse_ref
from my_deepagent.domain.template import Approval, ArtifactSpec, Phase, Role, Template

__all__ = [
    "CAPABILITIES",
    "PROVIDERS",
    "Approval",
    "ArtifactSchema",
    "ArtifactSpec",
    "AssetRef",
    "Bindings",
    "Catalog",
    "Limits",
    "ModelSpec",
    "Persona",
    "Phase",
    "Provider",
    "Role",
    "RoleBinding",
    "Source",
    "Template",
    "best_persona",
    "bind_roles",
    "check_pinned",
    "load_catalog",
    "parse_overrides",
    "parse_ref",
]
