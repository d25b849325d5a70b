"""The one exception type the CLI turns into a one-line message.

Raise `MdaError` for anything the user can fix (bad input, missing key, unknown id,
unreachable server). The message is a single line that names the fix; the CLI prints
it on stderr as `mda: error: <message>` and exits with `exit_code` (2 by default:
bad input or usage).
"""


class MdaError(Exception):
    """A user-facing failure: one line, names the fix, no traceback."""

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(" ".join(message.split()))
        self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(MdaError):
    """Configuration is missing or invalid (an API key, a config file, a setting)."""


class AssetError(MdaError):
    """A persona, template or schema file is invalid; the message names file and field."""


class ServerError(MdaError):
    """The embedded Temporal server cannot start, or a configured server is unreachable."""
