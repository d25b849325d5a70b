"""`mda db status|upgrade` on each database: the revision, what is pending, and one line
when the database cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_configured_database_behind_is_refused_until_mda_db_upgrade(
    empty_store_url: str, mda_home: Path
) -> None:
    refused = mda("stats", MDA_DATABASE_URL=empty_store_url)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `mda db upgrade`" in lines[0], refused.stderr
    still_empty = json.loads(mda("db", "status", "--json", MDA_DATABASE_URL=empty_store_url).stdout)
    assert still_empty["revision"] is None

    assert mda("db", "upgrade", MDA_DATABASE_URL=empty_store_url).returncode == 0
    served = mda("stats", MDA_DATABASE_URL=empty_store_url)
    assert served.returncode == 0, served.stderr


@pytest.mark.embedded_database
def test_the_embedded_database_migrates_itself(mda_home: Path) -> None:
    result = mda("stats")
    assert result.returncode == 0, result.stderr
    state = json.loads(mda("db", "status", "--json").stdout)
    assert state["dialect"] == "sqlite" and state["pending"] == []


async def test_a_database_migrated_by_a_newer_mda_says_to_upgrade_mda(
    store_url: str, mda_home: Path
) -> None:
    from sqlalchemy import text

    from my_deepagent.store.database import connect

    db = connect(store_url)
    try:
        async with db.write() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        await db.close()
    result = mda("stats", MDA_DATABASE_URL=store_url)
    assert result.returncode == 1
    assert "9999, which this mda does not know" in result.stderr
    assert "upgrade mda" in result.stderr


def test_a_command_on_an_unreachable_database_is_one_line(mda_home: Path) -> None:
    result = mda("stats", MDA_DATABASE_URL="postgresql://mda@127.0.0.1:9/mda")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach mda's database" in lines[0], result.stderr
