"""`mda doctor` against the real thing: a fresh home, a configured server with and
without a worker, a server that is down, a database behind its migrations, keys
present and missing, a provider that cannot be reached. Nothing is started or
created by asking."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from my_deepagent.keys import key_fingerprint
from run_harness import RunEnv

KEY = "sk-or-v1-" + "9f8e7d6c5b4a" * 5


def doctor(env: dict[str, str], *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "doctor", "--json", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert KEY not in done.stdout + done.stderr
    return done.returncode, {check["name"]: check for check in json.loads(done.stdout)}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.embedded_database
def test_a_fresh_home_is_ready_offline_and_doctor_creates_nothing(mda_home: Path) -> None:
    env = {**os.environ, "MDA_SANDBOX": "off"}
    code, checks = doctor(env, "--offline")
    assert code == 0
    assert checks["python"]["status"] == checks["git"]["status"] == "ok"
    assert checks["temporal binary"]["status"] == "ok"
    assert checks["temporal server"]["status"] == "warn"
    assert "mda starts it when needed" in checks["temporal server"]["fix"]
    assert checks["database"]["detail"].endswith("created on first use")
    assert checks["key openrouter"]["status"] == "warn"
    assert "mda keys set openrouter" in checks["key openrouter"]["fix"]
    assert checks["sandbox"]["status"] == "warn"  # MDA_SANDBOX=off is said, not hidden
    assert not mda_home.exists() or not any(mda_home.rglob("*.db"))


def test_a_configured_server_without_and_with_a_worker(run_env: RunEnv) -> None:
    code, checks = doctor(run_env.env, "--offline")
    assert checks["temporal server"]["status"] == "ok"
    assert (
        checks["worker"]["status"] == "fail" and checks["worker"]["fix"] == "start one: mda worker"
    )
    assert code == 1
    worker = run_env.start_worker()
    code, checks = doctor(run_env.env, "--offline")
    assert checks["worker"]["status"] == "ok" and str(worker.pid) in checks["worker"]["detail"]
    assert "temporal binary" not in checks  # a configured server needs none here


def test_a_server_that_is_down_fails_with_the_fix(mda_home: Path) -> None:
    env = {**os.environ, "TEMPORAL_ADDRESS": f"127.0.0.1:{closed_port()}"}
    code, checks = doctor(env, "--offline")
    assert code == 1
    assert checks["temporal server"]["status"] == "fail"
    assert "fix TEMPORAL_ADDRESS" in checks["temporal server"]["fix"]


def test_a_configured_database_behind_its_migrations_fails(mda_home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    env = {**os.environ, "MDA_DATABASE_URL": f"sqlite+aiosqlite:///{empty}"}
    code, checks = doctor(env, "--offline")
    assert code == 1
    assert checks["database"]["status"] == "fail"
    assert "run `mda db upgrade`" in checks["database"]["fix"]


def test_a_stored_key_shows_its_fingerprint_and_an_unreachable_provider_fails(
    mda_home: Path,
) -> None:
    stored = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "keys", "set", "openrouter", "--stdin"],
        input=KEY, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    env = {**os.environ, "MDA_OPENROUTER_BASE_URL": f"http://127.0.0.1:{closed_port()}/api/v1"}
    code, checks = doctor(env, "--offline")
    assert checks["key openrouter"]["detail"] == f"from the keyring ({key_fingerprint(KEY)})"
    assert checks["reach openrouter"]["detail"] == "skipped: --offline"
    code, checks = doctor(env)
    assert code == 1
    assert checks["reach openrouter"]["status"] == "fail"
    assert "check the network or proxy" in checks["reach openrouter"]["fix"]
