"""`mda keys` and `mda login|logout` on a real keyring backend (the tests' own file
keyring, `file_keyring.py`), and on a machine with no keyring at all: where a key is
found, that no command ever prints one, and bad input that saves nothing."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from file_keyring import no_keyring_env
from my_deepagent.cli.main import main
from my_deepagent.domain.model_spec import ModelSpec
from my_deepagent.errors import ConfigError
from my_deepagent.keys import key_fingerprint
from my_deepagent.settings import get_settings, reset_settings

OPENAI_KEY = "sk-test-" + "0123456789abcdefghijklmnop"  # built, so scanners see no key
OTHER_KEY = "sk-test-" + "zyxwvutsrqponmlkjihgfedcba"


def mda(*args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
    reset_settings()
    return main(list(args))


def connection_key(provider_model: str) -> str:
    from my_deepagent.agents.models import connection

    reset_settings()
    return connection(ModelSpec.parse(provider_model), get_settings())[1]


def test_a_stored_key_is_what_the_worker_uses_and_is_never_printed(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        mda("keys", "set", "openai", "--stdin", stdin=OPENAI_KEY + "\n", monkeypatch=monkeypatch)
        == 0
    )
    assert mda("keys", "list", monkeypatch=monkeypatch) == 0
    shown = capsys.readouterr()
    assert OPENAI_KEY not in shown.out + shown.err
    assert f"openai\tkeyring\t{key_fingerprint(OPENAI_KEY)}" in shown.out
    assert "anthropic\t-\t-" in shown.out
    assert connection_key("openai:gpt-4.1") == OPENAI_KEY

    monkeypatch.setenv("MDA_OPENAI_API_KEY", OTHER_KEY)  # the environment wins
    assert connection_key("openai:gpt-4.1") == OTHER_KEY
    assert mda("keys", "list", "--json", monkeypatch=monkeypatch) == 0
    listed = capsys.readouterr().out
    assert OTHER_KEY not in listed and OPENAI_KEY not in listed
    assert '"source": "environment"' in listed and key_fingerprint(OTHER_KEY) in listed
    monkeypatch.delenv("MDA_OPENAI_API_KEY")

    assert mda("logout", "openai", monkeypatch=monkeypatch) == 0
    assert "deleted from the OS keyring: openai" in capsys.readouterr().out
    with pytest.raises(ConfigError, match=r"no key for openai: run `mda keys set openai`"):
        connection_key("openai:gpt-4.1")


def test_login_stores_the_key_a_later_process_finds(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mda("login", "anthropic", "--stdin", stdin=OPENAI_KEY, monkeypatch=monkeypatch) == 0
    assert "saved the anthropic key in the OS keyring" in capsys.readouterr().out
    listed = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "keys", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"anthropic\tkeyring\t{key_fingerprint(OPENAI_KEY)}" in listed
    assert OPENAI_KEY not in listed


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (("keys", "set", "opena1", "--stdin"), OPENAI_KEY, "unknown provider 'opena1': use one of"),
        (("keys", "set", "openai", "--stdin"), "  \n", "the key is empty"),
        (("keys", "set", "openai", "--stdin"), "sk-one two", "the key has whitespace inside it"),
        (("keys", "delete", "nobody"), "", "unknown provider 'nobody'"),
        (("login", "--stdin"), OPENAI_KEY, "name the provider: mda login PROVIDER"),
    ],
)
def test_bad_input_is_one_line_and_saves_nothing(
    mda_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    stdin: str,
    needle: str,
) -> None:
    assert mda(*args, stdin=stdin, monkeypatch=monkeypatch) == 2  # a configuration error
    error = capsys.readouterr().err
    assert needle in error and error.count("\n") == 1
    assert OPENAI_KEY not in error
    assert mda("keys", "list", "--json", monkeypatch=monkeypatch) == 0
    assert '"source": null' in capsys.readouterr().out
    assert '"source": "keyring"' not in capsys.readouterr().out


def test_without_any_keyring_the_environment_route_still_works(
    mda_home: Path, tmp_path: Path
) -> None:
    """No backend configured and no D-Bus session: keyring finds nothing to use."""
    env = no_keyring_env(tmp_path)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "my_deepagent", *args]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, env=env)

    refused = run("keys", "set", "openai", "--stdin", stdin=OPENAI_KEY)
    assert refused.returncode == 2
    assert refused.stderr.startswith("mda: error: no OS keyring is available here")
    assert "export MDA_<PROVIDER>_API_KEY" in refused.stderr
    listed = run("keys", "list")
    assert listed.returncode == 0
    assert "no OS keyring here: keys come from the environment or the config file" in listed.stdout
    env["MDA_OPENAI_API_KEY"] = OPENAI_KEY
    listed = run("keys", "list")
    assert f"openai\tenvironment\t{key_fingerprint(OPENAI_KEY)}" in listed.stdout
    assert OPENAI_KEY not in listed.stdout + listed.stderr
