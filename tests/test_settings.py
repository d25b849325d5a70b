"""Settings: MDA_HOME holds every file, env beats config.toml, platformdirs otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from my_deepagent.errors import ConfigError
from my_deepagent.settings import get_settings, load_settings, reset_settings


def test_mda_home_puts_every_path_under_one_folder(mda_home: Path) -> None:
    paths = get_settings().paths
    every = [
        paths.config_dir,
        paths.data_dir,
        paths.log_dir,
        paths.run_dir,
        paths.config_file,
        paths.database_file,
        paths.temporal_database_file,
        paths.worktrees_dir,
        paths.projects_dir,
        paths.reports_dir,
        paths.user_templates_dir,
        paths.user_personas_dir,
        paths.user_schemas_dir,
    ]
    for path in every:
        assert path.is_relative_to(mda_home.resolve()), path
    assert len(set(every)) == len(every)


def test_without_mda_home_platform_folders_are_used(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MDA_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    reset_settings()
    paths = get_settings().paths
    assert paths.data_dir == tmp_path / "xdg-data" / "my-deepagent"
    assert paths.config_dir == tmp_path / "xdg-config" / "my-deepagent"


def test_config_file_is_read_and_environment_wins(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = get_settings().paths.config_file
    config.parent.mkdir(parents=True)
    config.write_text("temporal_port = 17233\ntemporal_retention_days = 7\n")
    reset_settings()
    assert get_settings().temporal_port == 17233
    assert get_settings().temporal_retention_days == 7
    monkeypatch.setenv("MDA_TEMPORAL_PORT", "27233")
    reset_settings()
    assert get_settings().temporal_port == 27233


def test_api_keys_are_secret_in_reprs(mda_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDA_OPENROUTER_API_KEY", "sk-or-test-value")
    settings = load_settings()
    assert settings.openrouter_api_key is not None
    assert settings.openrouter_api_key.get_secret_value() == "sk-or-test-value"
    assert "sk-or-test-value" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MDA_TEMPORAL_PORT", "70000"),
        ("MDA_TEMPORAL_RETENTION_DAYS", "0"),
        ("MDA_SCRIPTED_LATENCY_MS", "-1"),
    ],
)
def test_invalid_value_is_one_line_naming_the_variable(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert name in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_mda_home_means_unset_not_the_current_directory(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("MDA_HOME", value)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.chdir(tmp_path)
    reset_settings()
    paths = get_settings().paths
    assert paths.data_dir == tmp_path / "xdg-data" / "my-deepagent"
    assert paths.config_file == tmp_path / "xdg-config" / "my-deepagent" / "config.toml"
