"""Helpers for the domain tests: write user asset files, check load errors.

Tests load the user's catalog with the library's own `load_user_catalog`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.errors import AssetError
from my_deepagent.settings import Paths, get_settings

SHIPPED_SPEC_TEMPLATE = "spec-and-review@1"


def user_paths() -> Paths:
    return get_settings().paths


def write_yaml(folder: Path, name: str, data: dict[str, Any] | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def write_json(folder: Path, name: str, data: dict[str, Any] | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def persona_data(persona_id: str = "my-reviewer", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": persona_id,
        "version": 1,
        "description": "A reviewer of the user's own.",
        "model": "openai:gpt-4.1",
        "capabilities": ["code_review"],
        "limits": {"max_cost_per_call_usd": 0.05, "max_tokens": 2048},
        "system_prompt": "Review carefully.",
    }
    data.update(changes)
    return data


def template_data(template_id: str = "my-flow", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": template_id,
        "version": 1,
        "description": "Spec, then review.",
        "roles": [
            {"name": "writer", "capabilities": ["spec_write"]},
            {"name": "reviewer", "capabilities": ["code_review"]},
        ],
        "phases": [
            {
                "key": "spec",
                "role": "writer",
                "artifact": {"path": ".mda/artifacts/spec.json", "schema": "spec@1"},
                "approval": True,
                "prompt": "Write the spec.",
            },
            {
                "key": "review",
                "role": "reviewer",
                "inputs": ["spec"],
                "artifact": {"path": ".mda/artifacts/review.json", "schema": "review@1"},
                "prompt": "Review it.",
            },
        ],
    }
    data.update(changes)
    return data


def schema_data(schema_id: str = "note@1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"mda:{schema_id}",
        "title": "Note",
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}},
    }
    data.update(changes)
    return data


def expect_asset_error(*fragments: str) -> str:
    """Load the user catalog, expect a one-line AssetError containing every fragment."""
    with pytest.raises(AssetError) as info:
        load_user_catalog()
    message = info.value.message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message
