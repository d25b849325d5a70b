"""The CLI contract every later command relies on: help, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MDA = [sys.executable, "-m", "my_deepagent"]

HEAVY_MODULES = ("deepagents", "langchain", "langchain_core", "langgraph", "openai")


def run_mda(*args: str, env_home: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if env_home is not None:
        env["MDA_HOME"] = str(env_home)
    return subprocess.run(
        [*MDA, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_help_lists_command_groups() -> None:
    result = run_mda("--help")
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


def test_version() -> None:
    from my_deepagent import __version__

    result = run_mda("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mda {__version__}"


@pytest.mark.parametrize(
    "args",
    [
        ("--no-such-flag",),
        ("no-such-command",),
        ("templates", "list", "--no-such-flag"),
        ("server", "logs", "-n", "not-a-number"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = run_mda(*args, env_home=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mda: error: ")
    assert "Traceback" not in result.stderr


def test_bad_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, MDA_HOME=str(tmp_path), MDA_TEMPORAL_PORT="not-a-port")
    result = subprocess.run(
        [*MDA, "server", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "MDA_TEMPORAL_PORT" in result.stderr


def test_malformed_config_file_is_one_line_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("temporal_port = [unclosed\n")
    result = run_mda("server", "status", env_home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert str(config) in result.stderr
