"""A keyring backend that keeps passwords in a JSON file (`FILE_KEYRING_PATH`), for
the tests: CI machines have no OS keyring. keyring loads it by name
(`PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring`) in the test process and in every
process a test starts; it is never picked on its own (it registers no entry point)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    @property
    def _file(self) -> Path:
        return Path(os.environ["FILE_KEYRING_PATH"])

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            loaded: dict[str, dict[str, str]] = json.loads(self._file.read_text())
        except FileNotFoundError:
            return {}
        return loaded

    def _save(self, entries: dict[str, dict[str, str]]) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True)
        self._file.write_text(json.dumps(entries))
        self._file.chmod(0o600)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries.setdefault(service, {})[username] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if username not in entries.get(service, {}):
            raise PasswordDeleteError(f"no password for {username} in {service}")
        del entries[service][username]
        self._save(entries)


def no_keyring_env(scratch: Path) -> dict[str, str]:
    """This process's environment for a child that finds no keyring at all: no backend
    named, no D-Bus session, and empty XDG folders under `scratch`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS"}
    }
    env.update(XDG_CONFIG_HOME=str(scratch / "xdg-config"), XDG_RUNTIME_DIR=str(scratch))
    return env
