"""Which database the suite runs on, read once from MDA_TEST_DATABASE (before any
fixture clears the MDA_* variables)."""

from __future__ import annotations

import os

import pytest

SUITE_DATABASE = os.environ.get("MDA_TEST_DATABASE", "")
"""The database the suite runs on. `postgresql`: every test that uses `mda_home` gets
its own PostgreSQL database through MDA_DATABASE_URL (mda code and the `mda`
processes a test starts all use it), and the others, which never open a database,
are not collected twice. `sqlite`: SQLite only. Unset: SQLite, with the store tests
on both."""
if SUITE_DATABASE not in ("", "sqlite", "postgresql"):
    raise pytest.UsageError(
        f"MDA_TEST_DATABASE={SUITE_DATABASE!r} is not sqlite or postgresql (or unset)"
    )
