"""The audit trail: a real agent's tool calls (its subagent's too) land in the file, one
line each, with how they ended; the file is private and append-only, rotates, hides
secrets, and `mda audit tail` reads it. End to end: an offline run's calls, by run,
and a session's, by turn. Across a worker kill: `test_run_durability.py`."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from my_deepagent.agents.audit_recorder import AuditMiddleware, AuditWhere
from my_deepagent.agents.backends import worktree_backend
from my_deepagent.audit import KEPT, append, audit_file, entry, read_entries
from my_deepagent.cli.main import main
from my_deepagent.settings import get_settings
from run_harness import RunEnv
from test_agent_safety import PlannedChatModel, run
from test_session_cli import chat

PLANTED_KEY = "sk-or-v1-" + "0a1b2c3d4e5f" * 5


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    root = tmp_path / "wt"
    root.mkdir()
    (root / ".env").write_text("API_KEY=do-not-read\n")
    (root / "README.md").write_text("# demo\n")
    return root


async def test_every_call_of_the_agent_and_its_subagent_is_written_with_its_outcome(
    worktree: Path, tmp_path: Path
) -> None:
    model = PlannedChatModel(
        plans={
            "go": [
                ("read_file", {"file_path": "/README.md"}),
                ("write_file", {"file_path": "/notes.md", "content": f"key {PLANTED_KEY}"}),
                ("task", {"description": "read the env", "subagent_type": "general-purpose"}),
            ],
            "read the env": [("read_file", {"file_path": "/.env"})],
        }
    )
    path = tmp_path / "logs" / "audit.jsonl"
    audit = AuditMiddleware(path, AuditWhere(run_id="run-audit-1", phase="spec"))
    await run(model, worktree, "go", audit=audit, backend=worktree_backend(worktree, timeout_s=30))

    lines = path.read_text().splitlines()
    written = [json.loads(line) for line in lines]
    assert [(e["tool"], e["outcome"]) for e in written] == [
        ("read_file", "ok"),
        ("write_file", "ok"),
        ("read_file", "refused"),  # the subagent's, finished before its `task` call
        ("task", "ok"),
    ]
    assert all(e["run_id"] == "run-audit-1" and e["phase"] == "spec" for e in written)
    assert ".env" in written[2]["reason"]
    assert '"/README.md"' in written[0]["args"]
    assert PLANTED_KEY not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_concurrent_writers_never_interleave_and_old_files_rotate(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"

    def write(worker: int) -> None:
        for n in range(50):
            record = entry(
                tool="execute",
                args={"command": "x" * 150, "n": n},
                duration_ms=1,
                outcome="ok",
                session_id=f"s{worker}",
                turn=n,
            )
            append(path, record, max_bytes=40_000)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = sorted(tmp_path.glob("audit.jsonl*"))
    assert path.with_name("audit.jsonl.1") in files and len(files) <= KEPT + 1
    for file in files:
        assert all(json.loads(line)["tool"] == "execute" for line in file.read_text().splitlines())
    kept = list(read_entries(path))
    assert 0 < len(kept) <= 200
    for worker in range(4):  # each writer's lines in order, the oldest ones rotated away
        turns = [e.turn for e in kept if e.session_id == f"s{worker}" and e.turn is not None]
        assert turns == sorted(turns) and turns[-1] == 49


def test_tail_filters_by_run_and_session_and_prints_json(
    mda_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = audit_file(get_settings().paths.log_dir)
    for where in ({"run_id": "1b4e28ba0000", "phase": "spec"}, {"session_id": "c0ffee", "turn": 3}):
        append(path, entry(tool="ls", args={"path": "/"}, duration_ms=2, outcome="ok", **where))
    assert main(["audit", "tail", "--run", "run-1b4e"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 1 and "run 1b4e28ba spec  ls  ok  2 ms" in shown[0]
    assert main(["audit", "tail", "--session", "c0f", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["turn"] == 3
    assert main(["audit", "tail", "--run", "x", "--session", "y"]) == 2
    assert "pass --run or --session, not both" in capsys.readouterr().err


def test_an_offline_run_leaves_its_tool_calls_in_the_trail(run_env: RunEnv) -> None:
    run_env.start_worker()
    started = run_env.mda("start", "spec-and-review@1", "--repo", str(run_env.repo),
                          "-r", "add due dates", "--offline", "--yes", "--json")  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    result = run_env.mda("audit", "tail", "--run", run_id[:8], "--json", "-n", "100")
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    assert {c["phase"] for c in calls} == {"spec", "review", "verify"}
    assert all(c["run_id"] == run_id and c["tool"] == "write_file" for c in calls)
    assert all(c["outcome"] == "ok" for c in calls)
    log = run_env.home / "logs" / "audit.jsonl"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_sessions_calls_are_written_under_its_turns(run_env: RunEnv) -> None:
    run_env.start_worker()
    first = chat(run_env, "-m", "Read @README.md please.")
    session = first["session_id"]
    chat(run_env, "-m", "Read README.md again.", "--session", session)
    result = run_env.mda("audit", "tail", "--session", session[:8], "--json")
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(c["tool"], c["turn"], c["outcome"]) for c in calls] == [
        ("read_file", 1, "ok"),
        ("read_file", 2, "ok"),
    ]
    assert all(c["session_id"] == session and "run_id" not in c for c in calls)
