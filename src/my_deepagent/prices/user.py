"""Your own prices: `<config_dir>/prices.yaml`, in force before any other.

For models mda has no price for (a local server you pay for by the hour, a private
deployment) or prices you negotiated. The same format as the shipped list, one entry
per model, in US dollars per million tokens; `as_of` defaults to the file's date and
`source` to its path:

    - model: openai-compatible:qwen2.5-coder
      input: 0.20
      output: 0.60
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from my_deepagent.catalogue import msg
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.errors import ConfigError

PRICES_FILE = "prices.yaml"


def user_prices(config_dir: Path) -> tuple[ModelPrice, ...]:
    path = config_dir / PRICES_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return ()
    return _read(path, mtime)


@functools.lru_cache(maxsize=4)
def _read(path: Path, mtime_ns: int) -> tuple[ModelPrice, ...]:
    """The file's prices (cached until the file changes)."""
    as_of = datetime.fromtimestamp(mtime_ns / 1e9, UTC).date().isoformat()
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            raise ConfigError(msg("assets.user_prices_not_list", path=path))
        filled = [
            {"as_of": as_of, "source": str(path), **entry} if isinstance(entry, dict) else entry
            for entry in entries
        ]
        prices = TypeAdapter(list[ModelPrice]).validate_python(filled)
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(msg("assets.user_prices_invalid", path=path, problem=first)) from None
    return tuple(p.model_copy(update={"origin": "user"}) for p in prices)
