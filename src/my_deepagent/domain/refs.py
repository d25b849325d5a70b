"""Asset identity: `id@version` references and the field types that enforce them.

Every persona, template and schema is named `id@version`. A run pins exact versions,
while people usually type a bare id and mean "the newest one", so parsing keeps the
version optional and the catalog decides what a bare id means.
"""

from __future__ import annotations

import re
from typing import Annotated, NamedTuple

from pydantic import Field

from my_deepagent.catalogue import msg
from my_deepagent.errors import AssetError

ID_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

AssetId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
"""Lower-case words joined by single hyphens: `spec-and-review`, `scripted-reviewer`."""

Version = Annotated[int, Field(ge=1, le=10_000)]

Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
"""Role names and phase keys: lower-case snake case, usable in `--persona role=id`."""

Text = Annotated[str, Field(min_length=1)]
"""Free text that must not be empty: descriptions and prompts."""

_REF = re.compile(r"^(?P<id>[^@\s]+)(?:@(?P<version>[0-9]+))?$")
_ID = re.compile(ID_PATTERN)


class AssetRef(NamedTuple):
    """A parsed reference; `version` is None when the user typed a bare id."""

    id: str
    version: int | None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}@{self.version}"


def format_ref(asset_id: str, version: int) -> str:
    return f"{asset_id}@{version}"


def try_parse_ref(text: str) -> AssetRef | None:
    """Parse `id` or `id@version`, or None when the text is neither."""
    match = _REF.match(text.strip())
    if match is None or not _ID.match(match["id"]):
        return None
    version = int(match["version"]) if match["version"] else None
    if version == 0:
        return None
    return AssetRef(match["id"], version)


def kind_name(kind: str) -> str:
    """`persona`, `template`, `schema` or `asset`, as a word of the person's language."""
    if kind == "persona":
        return msg("assets.kind_persona")
    if kind == "template":
        return msg("assets.kind_template")
    if kind == "schema":
        return msg("assets.kind_schema")
    return msg("assets.kind_asset")


def bad_ref_message(text: str, kind: str) -> str:
    return msg("assets.bad_ref", kind=kind_name(kind), text=repr(text))


def parse_ref(text: str, *, kind: str = "asset") -> AssetRef:
    """Parse `id` or `id@version` typed by a user; anything else is a one-line `AssetError`."""
    ref = try_parse_ref(text)
    if ref is None:
        raise AssetError(bad_ref_message(text, kind))
    return ref
