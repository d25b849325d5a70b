"""Consent, per model provider, to send it repository content.

An agent sends the files it reads and the commands' output to its model's provider.
Before mda starts a run or a session whose personas use a provider, the user has said
yes to that provider once (`mda init` asks; `mda init --yes` or `--allow PROVIDER`
for scripts). The answers live in `<config dir>/consent.json` with the time each was
given (mode 0600). The offline `scripted` model sends nothing anywhere and needs none.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from my_deepagent.catalogue import msg
from my_deepagent.errors import ConfigError
from my_deepagent.keys import PROVIDER_SETTINGS

if TYPE_CHECKING:
    from my_deepagent.settings import Settings

CONSENT_FILE = "consent.json"
PROVIDERS = tuple(PROVIDER_SETTINGS)
"""Every provider that receives content (all but `scripted`): the ones that take a key."""


def consent_file(settings: Settings) -> Path:
    return settings.paths.config_dir / CONSENT_FILE


def granted(settings: Settings) -> dict[str, str]:
    """Each provider consented to, and when (ISO 8601, UTC)."""
    path = consent_file(settings)
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise ConfigError(msg("operations.consent_file_invalid", path=path)) from None
    found = loaded.get("granted", {}) if isinstance(loaded, dict) else {}
    return {str(k): str(v) for k, v in found.items() if k in PROVIDERS}


def grant(settings: Settings, providers: Iterable[str]) -> dict[str, str]:
    """Record consent for `providers` (now), keeping earlier answers; all answers."""
    answers = granted(settings)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    for provider in providers:
        answers.setdefault(provider, now)
    _write(consent_file(settings), {"granted": answers})
    return answers


def require_consent(provider: str, settings: Settings) -> None:
    """Refuse, in one line naming the command that grants it, a provider not consented to."""
    if provider == "scripted" or provider in granted(settings):
        return
    raise ConfigError(msg("operations.consent_missing", provider=provider))


def _write(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".consent-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2, sort_keys=True)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
