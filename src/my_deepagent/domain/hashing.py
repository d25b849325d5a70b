"""Content hashes that pin exactly what a run used.

A run records the hash of its template, of each bound persona and of the bindings;
`mda resume` refuses to continue with assets that changed since. The hash must
therefore depend on content only: not on key order in the YAML file, not on where
the file lives, not on the process (no `hash()`, which is salted per process).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, unicode kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(model: BaseModel) -> str:
    """sha256 (hex) of the model's canonical JSON dump, by field alias, defaults left out.

    Leaving defaults out keeps hashes stable across versions: a later release that adds
    a field with a default does not change the hash of any asset that does not set it
    (else every pinned run would refuse to resume after an upgrade).
    """
    dump = model.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return sha256_hex(canonical_json(dump))
