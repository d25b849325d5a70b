"""Shared fixtures. Every test gets its own MDA_HOME so no test sees another's files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from my_deepagent.settings import reset_settings

_MDA_ENV_PREFIXES = ("MDA_", "TEMPORAL_")


@pytest.fixture
def mda_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh MDA_HOME, with no MDA_* or TEMPORAL_* variables leaking in from outside."""
    import os

    for name in list(os.environ):
        if name.startswith(_MDA_ENV_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path / "mda-home"
    monkeypatch.setenv("MDA_HOME", str(home))
    # The Temporal SDK also reads ~/.config/temporalio/temporal.toml: point it nowhere.
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "no-temporal.toml"))
    reset_settings()
    yield home
    reset_settings()
