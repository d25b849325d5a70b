"""Provider keys: where mda finds them, and the OS keyring it keeps them in.

A provider's key is looked for in mda's own settings first (the `MDA_<PROVIDER>_API_KEY`
environment variable, which wins over the same setting in the config file), then in
the OS keyring, under the service `my-deepagent` and the provider's name
(`mda keys set openai`). Only the worker builds model clients with a key; the CLI
reads one only to check it is there before it starts a run or a session. A key never
enters a workflow input, Temporal history, log line, the database or the audit file.

A machine without a keyring backend (a headless Linux with no Secret Service, say)
has the environment route: every message about a missing key names all three ways.
`mda keys list` never prints a key, only a fingerprint and where it was found.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from my_deepagent.catalogue import msg
from my_deepagent.errors import ConfigError
from my_deepagent.scrub import hold

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from my_deepagent.settings import Settings

KEYRING_SERVICE = "my-deepagent"

PROVIDER_SETTINGS: dict[str, str] = {
    "openrouter": "openrouter_api_key",
    "openai": "openai_api_key",
    "anthropic": "anthropic_api_key",
    "openai-compatible": "openai_compatible_api_key",
}
"""Each provider that takes a key, and the setting that holds it."""

KeySource = Literal["environment", "config", "keyring"]


@dataclass(frozen=True)
class FoundKey:
    provider: str
    value: str
    source: KeySource

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.value)


def key_fingerprint(key: str) -> str:
    """A short digest that tells two keys apart and reveals nothing of either."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def check_provider(provider: str) -> str:
    """`provider` if mda knows it; otherwise a one-line error listing the ones it does."""
    name = provider.strip().lower()
    if name not in PROVIDER_SETTINGS:
        known = ", ".join(PROVIDER_SETTINGS)
        raise ConfigError(msg("operations.unknown_provider", provider=repr(provider), known=known))
    return name


def check_key_text(key: str) -> str:
    """The key without the line break a paste or a pipe adds; empty or spaced is refused."""
    value = key.strip()
    if not value:
        raise ConfigError(msg("operations.key_empty"))
    if any(character.isspace() for character in value):
        raise ConfigError(msg("operations.key_has_whitespace"))
    return value


def env_var(provider: str) -> str:
    return f"MDA_{PROVIDER_SETTINGS[provider].upper()}"


def find_key(provider: str, settings: Settings) -> FoundKey | None:
    """The key mda would use for `provider`, and where it came from; None if none.

    A keyring that cannot be read (locked, or its service down) is a one-line error:
    mda never quietly runs without the key the user stored."""
    field = PROVIDER_SETTINGS[provider]
    secret = getattr(settings, field)
    value = secret.get_secret_value().strip() if secret is not None else ""
    if value:
        source: KeySource = "environment" if os.environ.get(env_var(provider)) else "config"
        return FoundKey(provider, value, source)
    stored = _read_keyring(provider)
    if not stored:
        return None
    hold(stored)  # scrubbed from everything this process writes from now on
    return FoundKey(provider, stored, "keyring")


def require_key(provider: str, settings: Settings) -> str:
    """The key for `provider`; a missing one is one line naming the three ways to add it."""
    found = find_key(provider, settings)
    if found is None:
        raise ConfigError(missing_key_message(provider, settings))
    return found.value


def missing_key_message(provider: str, settings: Settings) -> str:
    return msg(
        "operations.key_missing",
        provider=provider,
        variable=env_var(provider),
        setting=PROVIDER_SETTINGS[provider],
        config_file=settings.paths.config_file,
    )


def save_key(provider: str, key: str) -> None:
    from keyring.errors import KeyringError

    backend = keyring_backend()
    try:
        backend.set_password(KEYRING_SERVICE, provider, key)
    except KeyringError as exc:
        reason = _reason(exc)
        raise ConfigError(
            msg("operations.keyring_save_failed", reason=reason, variable=env_var(provider))
        ) from None


def delete_key(provider: str) -> bool:
    """Remove the stored key; False when the keyring held none."""
    from keyring.errors import KeyringError, PasswordDeleteError

    backend = keyring_backend()
    try:
        if backend.get_password(KEYRING_SERVICE, provider) is None:
            return False
        backend.delete_password(KEYRING_SERVICE, provider)
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        reason = _reason(exc)
        raise ConfigError(
            msg("operations.keyring_delete_failed", reason=reason, variable=env_var(provider))
        ) from None
    return True


def keyring_backend() -> KeyringBackend:
    """The OS keyring; a machine that has none is a one-line error naming the way round."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or _is_chain_without_backends(backend):
        raise ConfigError(msg("operations.no_keyring"))
    return backend


def keyring_available() -> bool:
    try:
        keyring_backend()
    except ConfigError:
        return False
    return True


def _read_keyring(provider: str) -> str | None:
    from keyring.errors import KeyringError

    try:
        backend = keyring_backend()
    except ConfigError:  # no keyring here: the settings are the only place
        return None
    try:
        stored = backend.get_password(KEYRING_SERVICE, provider)
    except KeyringError as exc:
        reason = _reason(exc)
        raise ConfigError(
            msg("operations.keyring_read_failed", reason=reason, variable=env_var(provider))
        ) from None
    return stored.strip() if stored and stored.strip() else None


def _is_chain_without_backends(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer

    return isinstance(backend, chainer.ChainerBackend) and not backend.backends


def _reason(exc: Exception) -> str:
    """The first line of a keyring failure, for a message."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
