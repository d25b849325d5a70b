"""The artifact-task and repair prompts a phase sends, and their parsers.

A phase tells its agent which file to write and the JSON Schema it must satisfy; after
a failed validation it sends one repair prompt with the errors. Both carry the path and
the schema between XML-style tags: real models follow tagged instructions well, and the
offline `scripted` model finds them with `parse_artifact_task` / `parse_repair_request`
instead of guessing from prose. The tag names below are the one definition of the
format; the builders and the parsers both use them.

Paths are the agent's virtual paths (`/docs/spec.json`): deepagents' file tools take
absolute paths rooted at the worktree, so a relative path is given a leading `/`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PATH_TAG = "artifact_path"
SCHEMA_TAG = "artifact_schema"
REPAIR_TAG = "artifact_repair"
ERRORS_TAG = "validation_errors"
MAX_REPAIR_ERRORS = 20
"""A repair prompt lists at most this many errors; the rest are counted, not listed."""


def _tag(name: str, body: str) -> str:
    return f"<{name}>\n{body}\n</{name}>"


def _find(name: str, text: str) -> str | None:
    found = re.findall(rf"<{name}>\s*(.*?)\s*</{name}>", text, flags=re.DOTALL)
    return found[-1] if found else None


def agent_path(path: str) -> str:
    """The path as the agent's file tools take it: POSIX, with one leading `/`."""
    return "/" + path.replace("\\", "/").lstrip("/")


@dataclass(frozen=True)
class ArtifactTask:
    """What an artifact-task prompt asks for: write `path`, valid against `schema`."""

    path: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class RepairRequest:
    """What a repair prompt asks for: fix `path`; `schema` when the prompt repeats it."""

    path: str
    errors: tuple[str, ...]
    schema: dict[str, Any] | None


def artifact_task_prompt(
    phase_prompt: str, requirements: str, artifact_path: str, schema: dict[str, Any]
) -> str:
    """The first message of a phase: the work, the requirements, the artifact contract."""
    path = agent_path(artifact_path)
    sections = [phase_prompt.strip()]
    if requirements.strip():
        sections.append("## Requirements\n\n" + requirements.strip())
    sections.append(
        "## Your artifact\n\n"
        f"Write your result as one JSON document to `{path}` with the write_file tool "
        "(write_file replaces the whole file). It must validate against the JSON Schema "
        "below: include every required field, use only the properties it allows. "
        "When the file is written, answer with a short summary.\n\n"
        + _tag(PATH_TAG, path)
        + "\n"
        + _tag(SCHEMA_TAG, json.dumps(schema, indent=2, sort_keys=True))
    )
    return "\n\n".join(sections)


def repair_prompt(
    artifact_path: str, errors: list[str], schema: dict[str, Any] | None = None
) -> str:
    """The one repair turn after a failed validation, listing what is wrong."""
    path = agent_path(artifact_path)
    listed = [f"- {' '.join(error.split())}" for error in errors[:MAX_REPAIR_ERRORS]]
    if len(errors) > MAX_REPAIR_ERRORS:
        listed.append(f"- ... and {len(errors) - MAX_REPAIR_ERRORS} more")
    parts = [
        f"The artifact `{path}` does not validate against its JSON Schema. "
        "Fix it: write the corrected JSON document to the same path with write_file, "
        "then answer with a short summary of what you changed.",
        _tag(REPAIR_TAG, path),
        _tag(ERRORS_TAG, "\n".join(listed) if listed else "- (no details)"),
    ]
    if schema is not None:
        parts.append(_tag(SCHEMA_TAG, json.dumps(schema, indent=2, sort_keys=True)))
    return "\n\n".join(parts)


def _schema_in(text: str) -> dict[str, Any] | None:
    raw = _find(SCHEMA_TAG, text)
    if raw is None:
        return None
    try:
        schema = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return schema if isinstance(schema, dict) else None


def parse_artifact_task(text: str) -> ArtifactTask | None:
    """The task in an artifact-task prompt, or None if `text` is not one."""
    path = _find(PATH_TAG, text)
    schema = _schema_in(text)
    if path is None or schema is None or _find(REPAIR_TAG, text) is not None:
        return None
    return ArtifactTask(path=agent_path(path), schema=schema)


def parse_repair_request(text: str) -> RepairRequest | None:
    """The request in a repair prompt, or None if `text` is not one."""
    path = _find(REPAIR_TAG, text)
    if path is None:
        return None
    raw_errors = _find(ERRORS_TAG, text) or ""
    errors = tuple(
        line.removeprefix("- ").strip() for line in raw_errors.splitlines() if line.strip()
    )
    return RepairRequest(path=agent_path(path), errors=errors, schema=_schema_in(text))
