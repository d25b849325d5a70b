"""`mda db status|upgrade` on each database: the revision, what is pending, and one line
when the database cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from my_deepagent.store.database import alembic_config


def mda(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "my_deepagent", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip


def all_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_status_reports_pending_migrations_and_upgrade_applies_them(
    empty_store_url: str, mda_home: Path
) -> None:
    revisions = all_revisions()
    before = mda("db", "status", "--json", MDA_DATABASE_URL=empty_store_url)
    assert before.returncode == 0, before.stderr
    state = json.loads(before.stdout)
    assert (state["revision"], state["pending"]) == (None, revisions)
    assert state["head"] == revisions[-1]
    assert "run `mda db upgrade`" in mda("db", "status", MDA_DATABASE_URL=empty_store_url).stdout

    upgraded = mda("db", "upgrade", "--json", MDA_DATABASE_URL=empty_store_url)
    assert upgraded.returncode == 0, upgraded.stderr
    state = json.loads(upgraded.stdout)
    assert (state["revision"], state["pending"], state["applied"]) == (
        revisions[-1], [], revisions,
    )  # fmt: skip
    again = mda("db", "upgrade", MDA_DATABASE_URL=empty_store_url)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_an_unreachable_database_is_one_line_without_its_password(mda_home: Path) -> None:
    password = "pw-" + "not-shown"
    url = f"postgresql://mda:{password}@127.0.0.1:9/mda"
    result = mda("db", "status", MDA_DATABASE_URL=url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach mda's database" in lines[0]
    assert "fix MDA_DATABASE_URL" in lines[0] and password not in result.stderr
