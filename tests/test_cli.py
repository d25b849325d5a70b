"""The CLI contract every later command relies on: help, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MDA = [sys.executable, "-m", "my_deepagent"]

HEAVY_MODULES = (
    "deepagents",
    "langchain",
    "langchain_core",
    "langgraph",
    "openai",
    "anthropic",
    "temporalio",
    "tiktoken",
    "jsonschema",
)


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment with no MDA_* or TEMPORAL_* leaking in, like the `mda_home` fixture."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDA_", "TEMPORAL_"))}
    env.update(MDA_HOME=str(home), TEMPORAL_CONFIG_FILE=str(home / "no-temporal.toml"))
    env.update(extra)
    return env


def run_mda(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MDA, *args],
        capture_output=True,
        text=True,
        env=isolated_env(home, **extra_env),
        timeout=60,
        check=False,
    )


def test_help_lists_command_groups(tmp_path: Path) -> None:
    result = run_mda(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for group in ("server", "templates", "personas"):
        assert group in result.stdout


def test_help_does_not_import_the_agent_stack_or_the_worker() -> None:
    probe = (
        "import sys\n"
        "from my_deepagent.cli.main import main\n"
        "code = main(['--help'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY_MODULES!r} or m.startswith('temporalio.worker'))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    heavy_line = [line for line in result.stdout.splitlines() if line.startswith("HEAVY=")]
    assert heavy_line == ["HEAVY="], heavy_line


def test_version(tmp_path: Path) -> None:
    from my_deepagent import __version__

    result = run_mda(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mda {__version__}"


@pytest.mark.parametrize(
    "args",
    [
        ("--no-such-flag",),
        ("no-such-command",),
        ("templates", "list", "--no-such-flag"),
        ("server", "logs", "-n", "not-a-number"),
        ("worker", "--concurrency", "0"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = run_mda(tmp_path, *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mda: error: ")
    assert "Traceback" not in result.stderr


def test_bad_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run_mda(tmp_path, "server", "status", MDA_TEMPORAL_PORT="not-a-port")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "MDA_TEMPORAL_PORT" in result.stderr


def test_malformed_config_file_is_one_line_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("temporal_port = [unclosed\n")
    result = run_mda(tmp_path, "server", "status")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert str(config) in result.stderr


def test_unexpected_failure_is_one_line_exit_1_with_a_debug_switch(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    result = run_mda(not_a_folder, "server", "start")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("mda: error: NotADirectoryError: ")
    assert "MDA_DEBUG=1" in result.stderr

    debug = run_mda(not_a_folder, "server", "start", MDA_DEBUG="1")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_piped_tables_are_tab_separated_and_whole(tmp_path: Path) -> None:
    result = run_mda(tmp_path, "personas", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["ref", "model"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert rows["openrouter-claude-sonnet-reviewer@1"][1] == (
        "openrouter:anthropic/claude-sonnet-4.5"
    )
    assert "…" not in result.stdout
