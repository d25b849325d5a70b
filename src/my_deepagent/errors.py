"""The one exception type the CLI turns into a one-line message.

Raise `MdaError` for anything the user can fix (bad input, missing key, unknown id,
unreachable server). The message is a single line that names the fix; the CLI prints
it on stderr as `mda: error: <message>` and exits with `exit_code` (2 by default:
bad input or usage).

An error made on the worker, where everything is English, keeps its catalogue key and
fields too (`MdaError.english`): the worker's failure converter puts them into the
failure's details, so the client can say it in the person's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self


class MdaError(Exception):
    """A user-facing failure: one line, names the fix, no traceback."""

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = 2,
        key: str | None = None,
        fields: Mapping[str, str | int] | None = None,
    ) -> None:
        super().__init__(" ".join(message.split()))
        self.exit_code = exit_code
        self.key = key
        """The catalogue key `message` is the English of, when it is one."""
        self.fields: dict[str, str | int] = dict(fields or {})

    @classmethod
    def english(cls, key: str, /, **fields: str | int) -> Self:
        """The error saying catalogue message `key` in English, with its key and fields
        kept (worker code: a client says it again in the person's language)."""
        from my_deepagent.catalogue import english

        return cls(english(key, **fields), key=key, fields=fields)

    @property
    def message(self) -> str:
        return str(self)


class NotFoundError(MdaError):
    """The id or prefix names nothing mda has (the HTTP API answers it with 404)."""


class ConfigError(MdaError):
    """Configuration is missing or invalid (an API key, a config file, a setting)."""


class AssetError(MdaError):
    """A persona, template or schema file is invalid; the message names file and field."""


class ServerError(MdaError):
    """The embedded Temporal server cannot start, or a configured server is unreachable."""
