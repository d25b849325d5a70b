"""Reading asset files: strict YAML and JSON, one-line errors that name file and line.

PyYAML's `safe_load` silently keeps the last of two equal keys, which hides a typo
such as a second `prompt:` in a phase; the loader here rejects duplicate keys.
"""

from __future__ import annotations

import json
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from my_deepagent.catalogue import msg
from my_deepagent.domain.artifact_schema import ArtifactSchema
from my_deepagent.domain.problems import FieldProblem, asset_error, describe_validation_error

AssetFile = Path | Traversable
ModelT = TypeVar("ModelT", bound=BaseModel)

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names `key` twice."""

    def __init__(self, key: Any, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key!r}", mark)
        self.key = key


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue
        if duplicate:
            raise _DuplicateKey(key, key_node.start_mark)
        seen.add(key)
    return dict(loader.construct_mapping(node, deep=True))


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def asset_files(folder: AssetFile, suffixes: tuple[str, ...]) -> list[AssetFile]:
    """The asset files in `folder`, sorted by name; a missing folder has none."""
    if not folder.is_dir():
        return []
    return sorted(
        (
            f
            for f in folder.iterdir()
            if f.is_file() and not f.name.startswith(".") and f.name.endswith(suffixes)
        ),
        key=lambda f: f.name,
    )


def read_yaml(file: AssetFile) -> dict[str, Any]:
    text = _read_text(file)
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise asset_error(file, "", _yaml_problem(exc)) from None
    except yaml.YAMLError as exc:
        raise asset_error(file, "", msg("assets.yaml_invalid", problem=exc)) from None
    return _top_level_mapping(file, data)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """What is wrong with the YAML, on which line when the parser knows it."""
    mark = exc.problem_mark
    if mark is None:
        return msg("assets.yaml_invalid", problem=exc.problem or exc)
    if isinstance(exc, _DuplicateKey):
        return msg("assets.yaml_duplicate_key", line=mark.line + 1, key=repr(exc.key))
    return msg("assets.yaml_invalid_at", line=mark.line + 1, problem=exc.problem or exc)


def read_json(file: AssetFile) -> Any:
    try:
        return json.loads(_read_text(file))
    except json.JSONDecodeError as exc:
        raise asset_error(
            file,
            "",
            msg("assets.json_invalid", line=exc.lineno, column=exc.colno, problem=exc.msg),
        ) from None


def load_model(file: AssetFile, model: type[ModelT]) -> ModelT:
    """Parse a YAML asset file into `model`, or raise a one-line `AssetError`."""
    data = read_yaml(file)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(str(file), exc, model) from None


def load_schema(file: AssetFile) -> ArtifactSchema:
    document = read_json(file)
    try:
        return ArtifactSchema.from_document(document)
    except FieldProblem as problem:
        raise asset_error(file, problem.field, problem.message) from None
    except ValidationError as exc:
        raise describe_validation_error(str(file), exc, ArtifactSchema) from None


def _read_text(file: AssetFile) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise asset_error(file, "", msg("assets.not_utf8")) from None
    except OSError as exc:
        raise asset_error(file, "", msg("assets.unreadable", reason=exc.strerror)) from None


def _top_level_mapping(file: AssetFile, data: Any) -> dict[str, Any]:
    if data is None:
        raise asset_error(file, "", msg("assets.top_level_empty"))
    if not isinstance(data, dict):
        raise asset_error(file, "", msg("assets.top_level_type", type=type(data).__name__))
    return data
