"""Planted keys never land in a sink: a run and a session on a real worker, the model a
real OpenAI-compatible server on loopback, with real-looking keys in the user's message,
the run's requirements, a file the agent reads, a command's output, a command's error
and the provider's error (which quotes the key the worker holds).

Afterwards every sink is searched for every planted key: what the provider was sent,
every file mda wrote (its databases with their checkpoints and WAL files, the logs,
the audit trail, the report, project memory), every row of the PostgreSQL database
when the suite runs on one, the worker's own output, and the Temporal history of the
run and of every execution of the session.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from my_deepagent.consent import grant
from my_deepagent.scrub import REDACTED
from my_deepagent.settings import get_settings
from my_deepagent.workflows.run_types import run_workflow_id
from my_deepagent.workflows.session_types import session_workflow_id
from openai_stub import ErrorReply, OpenAIStub, Reply, StubToolCall, stub_persona_yaml
from run_harness import RunEnv

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux sandbox")

# Built from parts, so no scanner finds a key in this file.
IN_MESSAGE = "xoxb-" + "1234567890-" + "abcdefghijklmnop"  # Slack
IN_REQUIREMENTS = "AKIA" + "QWERTYUIOPASDFGH"  # AWS key id
IN_FILE = "ghp_" + "F" * 36  # GitHub
IN_OUTPUT = "sk-proj-" + "O" * 40  # OpenAI
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"
KEY_BLOCK = (
    "-----BEGIN OPENSSH " + f"PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----"
)
IN_ERROR = "sk-ant-" + "E" * 32  # Anthropic
HELD = "held-worker-" + "secret-5e1d9c7a"
"""The worker's own provider key: no known shape, only mda's knowing it hides it."""
PLANTED = (IN_MESSAGE, IN_REQUIREMENTS, IN_FILE, IN_OUTPUT, KEY_BODY, IN_ERROR, HELD)
RUN_CUE = "SWEEP-RUN-CUE"
SESSION_CUE = "SWEEP-SESSION-CUE"
SECOND_CUE = "SWEEP-SECOND-TURN"


def tool_calls(prefix: str) -> Reply:
    calls = (
        StubToolCall("read_file", json.dumps({"file_path": "/deploy.md"}), f"{prefix}-read"),
        StubToolCall("execute", json.dumps({"command": "cat ops.txt"}), f"{prefix}-cat"),
        StubToolCall(
            "execute", json.dumps({"command": "cat ops.txt >&2; exit 3"}), f"{prefix}-fail"
        ),
    )
    return Reply(tool_calls=calls)


def provider_error() -> ErrorReply:
    return ErrorReply(401, f"Incorrect API key provided: {HELD} (also tried {IN_ERROR})")


@pytest.fixture
def sweep(openai_stub: OpenAIStub, run_env: RunEnv) -> RunEnv:
    settings = get_settings()
    grant(settings, ["openrouter"])  # the bugfix template's other roles (never run here)
    settings.paths.user_personas_dir.mkdir(parents=True, exist_ok=True)
    (settings.paths.user_personas_dir / "stub-sweeper@1.yaml").write_text(
        stub_persona_yaml("stub-sweeper", "A model that reads what it is shown back.")
    )
    (run_env.repo / "deploy.md").write_text(f"# deploy\ntoken: {IN_FILE}\nthen run make\n")
    (run_env.repo / "ops.txt").write_text(f"OPENAI={IN_OUTPUT}\n{KEY_BLOCK}\n")
    run_env.git("add", "-A")
    identity = ("-c", "user.name=Dev", "-c", "user.email=dev@example.com")
    run_env.git(*identity, "commit", "-q", "-m", "deploy notes, with keys as repos have them")
    run_env.env["MDA_OPENAI_COMPATIBLE_API_KEY"] = HELD
    run_env.start_worker()
    return run_env


def play_session(env: RunEnv, stub: OpenAIStub) -> str:
    stub.script(tool_calls("session"), Reply(content="I was shown:\n", echo=True), when=SESSION_CUE)
    first = env.mda(
        "chat", "--repo", str(env.repo), "--agent", "stub-sweeper@1", "--json",
        "-m", f"{SESSION_CUE}: my slack token is {IN_MESSAGE}, deploy please",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "a secret in your message was replaced" in first.stderr
    turn = json.loads(first.stdout)
    assert REDACTED in turn["reply"], "the model read the files and shows what it saw"
    stub.script(provider_error(), when=SECOND_CUE)
    second = env.mda("chat", "--session", turn["session_id"], "-m", f"{SECOND_CUE}: again")
    assert second.returncode != 0
    assert "auth" in second.stderr.lower() or "key" in second.stderr.lower(), second.stderr
    return str(turn["session_id"])


def play_run(env: RunEnv, stub: OpenAIStub) -> str:
    stub.script(tool_calls("run"), provider_error(), when=RUN_CUE)
    started = env.mda_json(
        "start", "bugfix", "--repo", str(env.repo), "--persona", "reproducer=stub-sweeper@1",
        "-r", f"{RUN_CUE}: the deploy fails with key {IN_REQUIREMENTS}", "--detach",
    )  # fmt: skip
    run_id = str(started["run_id"])
    view = env.wait_for(run_id, lambda v: v["state"] in ("failed", "aborted"), "its failure")
    assert view["state"] == "failed"
    report = env.mda("report", run_id)
    assert report.returncode == 0, report.stderr
    return run_id


async def histories(workflow_ids: list[str]) -> bytes:
    """The raw history (every event, payloads and failures as stored) of every
    execution of each workflow."""
    from my_deepagent.temporal_config import connect_client

    client = await connect_client()
    raw = b""
    for workflow_id in workflow_ids:
        executions = [e async for e in client.list_workflows(f'WorkflowId = "{workflow_id}"')]
        assert executions, f"no execution of {workflow_id}"
        for execution in executions:
            handle = client.get_workflow_handle(workflow_id, run_id=execution.run_id)
            history = await handle.fetch_history()
            raw += b"".join(event.SerializeToString() for event in history.events)
    return raw


async def every_row(url: str) -> bytes:
    """Every row of every table of mda's PostgreSQL database (checkpoints included),
    text as text and binary columns as their bytes."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    dumped = b""
    try:
        async with engine.connect() as connection:
            tables = await connection.execute(
                text(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_type = 'BASE TABLE' "
                    "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
            for schema, table in tables.all():
                rows = await connection.execute(text(f'SELECT * FROM "{schema}"."{table}"'))
                for row in rows.all():
                    for value in row:
                        data = value if isinstance(value, bytes) else str(value).encode()
                        dumped += data + b"\n"
    finally:
        await engine.dispose()
    return dumped


def files_mda_wrote(env: RunEnv) -> dict[Path, bytes]:
    """Every file under mda's home (the worktrees, copies of the user's repository, left
    out) and the worker's output."""
    worktrees = get_settings().paths.worktrees_dir
    return {
        path: path.read_bytes()
        for path in env.home.parent.rglob("*")
        if path.is_file()
        and (path.is_relative_to(env.home) or path.name.startswith("worker-"))
        and not path.is_relative_to(worktrees)
    }


def test_no_planted_key_reaches_any_sink(sweep: RunEnv, openai_stub: OpenAIStub) -> None:
    session_id = play_session(sweep, openai_stub)
    run_id = play_run(sweep, openai_stub)
    sweep.stop_workers()  # logs flushed, databases checkpointed as a stopped worker leaves them

    sent = json.dumps(openai_stub.requests)
    assert REDACTED in sent, "the model was shown the files, scrubbed"
    assert [key for key in PLANTED if key in sent] == [], "the provider was sent a key"

    written = files_mda_wrote(sweep)
    names = {path.name for path in written}
    assert "audit.jsonl" in names, sorted(names)
    url = get_settings().database_url
    if url is None:
        assert {"mda.db", "checkpoints.db"} <= names, sorted(names)
    else:  # PostgreSQL: mda's tables and the checkpoints are rows on the server
        rows = asyncio.run(every_row(url))
        assert b"deploy please" in rows, "the session's message is among the rows read"
        written[Path(sweep.home / "postgresql-rows")] = rows
    assert any(path.parent.name == "reports" or "report" in path.name for path in written)
    leaks = [
        f"{path.relative_to(sweep.home.parent)} holds {key[:8]}..."
        for path, data in written.items()
        for key in PLANTED
        if key.encode() in data
    ]
    assert leaks == []

    history = asyncio.run(histories([run_workflow_id(run_id), session_workflow_id(session_id)]))
    assert REDACTED.encode() in history, "the session's reply came back scrubbed"
    assert [key for key in PLANTED if key.encode() in history] == []
