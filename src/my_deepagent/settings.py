"""Configuration: `MDA_*` environment variables, then `<config_dir>/config.toml`.

`MDA_HOME` puts every file mda writes under one folder (tests rely on it); without it
the platform's usual folders are used (platformdirs). The Temporal connection is not
configured here: it follows the SDK's own `temporalio.envconfig` (`TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, the Temporal config file), and when
none of that names an address mda runs in *embedded mode* (see `temporal_config.py`).
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from my_deepagent.domain.budget import DEFAULT_POLICY, DEFAULT_WARN_AT, Policy

APP_NAME = "my-deepagent"


class Paths(BaseModel):
    """Where mda keeps its files. Every path mda writes is derived from these."""

    model_config = ConfigDict(frozen=True)

    config_dir: Path
    data_dir: Path
    log_dir: Path
    run_dir: Path

    @classmethod
    def resolve(cls, home: Path | None) -> Paths:
        if home is not None:
            home = home.expanduser().resolve()
            return cls(
                config_dir=home / "config",
                data_dir=home / "data",
                log_dir=home / "logs",
                run_dir=home / "run",
            )
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME)),
            run_dir=Path(platformdirs.user_state_dir(APP_NAME)) / "run",
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "mda.db"

    @property
    def temporal_database_file(self) -> Path:
        return self.data_dir / "temporal.db"

    @property
    def worktrees_dir(self) -> Path:
        return self.data_dir / "worktrees"

    @property
    def projects_dir(self) -> Path:
        return self.data_dir / "projects"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def user_templates_dir(self) -> Path:
        return self.config_dir / "templates"

    @property
    def user_personas_dir(self) -> Path:
        return self.config_dir / "personas"

    @property
    def user_schemas_dir(self) -> Path:
        return self.config_dir / "schemas"


def _home_from_env() -> Path | None:
    """`MDA_HOME`, read here only, so the paths and the config file agree on it.

    An empty or blank value means unset (never the current directory).
    """
    raw = os.environ.get("MDA_HOME", "").strip()
    return Path(raw) if raw else None


class Settings(BaseSettings):
    """Every setting of mda. Read once per process with `get_settings()`."""

    model_config = SettingsConfigDict(env_prefix="MDA_", extra="ignore", frozen=True)

    # Embedded Temporal dev server (used only when no Temporal address is configured).
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    temporal_retention_days: int = Field(default=30, ge=1, le=3650)
    temporal_start_timeout_s: float = Field(default=20.0, gt=0)

    # Model providers. Keys are read on the worker side only, never sent to workflows.
    openrouter_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    openai_compatible_api_key: SecretStr | None = None
    openai_compatible_base_url: str | None = None
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    model_timeout_s: float = Field(default=600.0, gt=0)
    scripted_latency_ms: int = Field(default=0, ge=0)
    scripted_call_log: str | None = None

    # Sessions: compact when the context passes this share of the model's window (a
    # session may set its own), summarising with `summary_model` (unset: scripted
    # offline, otherwise the first persona that can summarize).
    compact_threshold: float = Field(default=0.7, gt=0, le=1)
    summary_model: str | None = None

    # The agent's shell runs in an OS sandbox; "off" runs it unconfined, on the user's
    # explicit word (recorded on each run and session, shown in reports and the REPL).
    sandbox: Literal["auto", "off"] = "auto"

    # Budget caps in US dollars (unset: no cap), each with a policy at the cap: "block",
    # "warn_continue" or "prompt" (pause until someone raises it). `budget_policy` is
    # the policy of every cap that names none of its own. Every cap warns once at
    # `budget_warn_at` of it.
    budget_run_usd: Decimal | None = Field(default=None, gt=0, le=1_000_000)
    budget_session_usd: Decimal | None = Field(default=None, gt=0, le=1_000_000)
    budget_day_usd: Decimal | None = Field(default=None, gt=0, le=1_000_000)
    budget_persona_day_usd: Decimal | None = Field(default=None, gt=0, le=1_000_000)
    budget_policy: Policy = DEFAULT_POLICY
    budget_run_policy: Policy | None = None
    budget_session_policy: Policy | None = None
    budget_day_policy: Policy | None = None
    budget_persona_day_policy: Policy | None = None
    budget_warn_at: float = Field(default=DEFAULT_WARN_AT, gt=0, le=1)

    # Seal every Temporal payload with AES-256-GCM (my_deepagent.payload_codec): the
    # current key (base64 of 32 bytes; unset: the OS keyring's) and older ones to read.
    encrypt_payloads: bool = False
    payload_key: SecretStr | None = None
    payload_old_keys: SecretStr | None = None

    # `mda serve`: the bearer token every API request must carry (required to listen
    # on anything but loopback).
    api_token: SecretStr | None = None

    # The Temporal task queue runs and sessions use (tests give each worker its own).
    task_queue: str = Field(default="mda", min_length=1)

    # mda's own tables. Unset: SQLite at `paths.database_file`. Production:
    # `postgresql+asyncpg://user:password@host/db`.
    database_url: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Paths.resolve(_home_from_env()).config_file
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @cached_property
    def paths(self) -> Paths:
        return Paths.resolve(_home_from_env())


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process's settings, read on first use."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def load_settings() -> Settings:
    """Read settings now; a malformed value or config file is a one-line `ConfigError`."""
    from pydantic import ValidationError

    from my_deepagent.catalogue import msg
    from my_deepagent.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            msg(
                "operations.setting_invalid",
                field=repr(field),
                problem=err["msg"],
                variable=f"MDA_{field.upper()}",
                config_file=Paths.resolve(_home_from_env()).config_file,
            )
        ) from None
    except ValueError as exc:  # malformed TOML
        config_file = Paths.resolve(_home_from_env()).config_file
        raise ConfigError(
            msg("operations.config_unreadable", config_file=config_file, problem=exc)
        ) from None


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    global _settings
    _settings = None
