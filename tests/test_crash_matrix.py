"""The crash matrix (`benchmarks/crash_matrix.py`) in the suite: runs and session
turns whose worker is SIGKILLed at seeded points, and a run whose embedded server is
SIGKILLed and restarted mid-run. Each must finish with one ledger row per model call
served, no completed call served again, and no duplicate event, message or artifact.

Small by default (a fixed seed; a worker start a scenario is most of its time), the
full size (20 runs, 20 turns, 3 server kills) with `MDA_CRASH_MATRIX=full`.

It needs an embedded server of its own (the suite's shared one must not be killed).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from my_deepagent.settings import reset_settings

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SEED = 20261207
FULL = os.environ.get("MDA_CRASH_MATRIX") == "full"


@pytest.mark.embedded_database
async def test_crash_matrix(
    mda_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from crash_matrix import run_matrix, table

    from my_deepagent.embedded.server import EmbeddedServerConfig, start_server, stop_server

    home = tmp_path / "user-home"
    home.mkdir()
    for name, value in {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "MDA_TASK_QUEUE": "crash-matrix",
        "MDA_TEMPORAL_PORT": str(unused_tcp_port_factory()),
        "MDA_TEMPORAL_UI_PORT": str(unused_tcp_port_factory()),
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    config = EmbeddedServerConfig.from_settings()
    await start_server(config)
    try:
        sizes = (
            dict(runs=20, turns=20, server_kills=3)
            if FULL
            else dict(runs=2, turns=1, server_kills=1)
        )
        outcomes = await run_matrix(tmp_path, seed=SEED, **sizes)
    finally:
        stop_server(config)
    report = table(outcomes, SEED)
    print(report, file=sys.stderr)
    assert all(not outcome.problems for outcome in outcomes), report
    assert sum(outcome.hit != "not hit" for outcome in outcomes) >= len(outcomes) - 1, report
