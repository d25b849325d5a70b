"""Sessions through the `mda` command, as a script uses them: `mda chat -m`, then
`mda sessions list|show|end`, against a real worker, dev server and git repository.
Bad input gets one line and exit 2, and leaves nothing behind."""

from __future__ import annotations

import json
from typing import Any

from run_harness import RunEnv


def chat(env: RunEnv, *args: str) -> dict[str, Any]:
    result = env.mda("chat", "--repo", str(env.repo), "--offline", "--json", *args)
    assert result.returncode == 0, result.stderr
    reply: dict[str, Any] = json.loads(result.stdout)
    return reply


def one_line_error(env: RunEnv, *args: str) -> str:
    result = env.mda(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mda: error: "), result.stderr
    return lines[0]


def test_one_shot_messages_continue_one_session_and_are_mirrored(run_env: RunEnv) -> None:
    run_env.start_worker()
    first = chat(run_env, "-m", "We use tabs, never spaces. Read @README.md please.")
    session = first["session_id"]
    assert first["reply"].startswith("/README.md has ")
    assert first["usage"]["model_calls"] == 2
    second = chat(run_env, "-m", "What was my first message?", "--session", session[:6])
    assert second["session_id"] == session
    assert "message 2 of this conversation" in second["reply"]
    assert "We use tabs, never spaces." in second["reply"]

    shown = run_env.mda_json("sessions", "show", session[:8])
    assert shown["session_id"] == session and shown["state"] == "active"
    assert [(m["seq"], m["role"]) for m in shown["messages"]] == [
        (0, "user"), (1, "assistant"), (2, "user"), (3, "assistant"),
    ]  # fmt: skip
    assert shown["messages"][0]["content"].startswith("We use tabs, never spaces.")
    assert "--- @README.md ---" in shown["messages"][0]["content"]
    assert shown["messages"][3]["content"] == second["reply"]
    assert shown["title"] == "We use tabs, never spaces. Read @README.md please."
    assert shown["turns"] == 2 and shown["input_tokens"] > 0

    listed = run_env.mda_json("sessions", "list")
    assert [s["session_id"] for s in listed] == [session]


def test_an_ended_session_refuses_messages_in_one_line(run_env: RunEnv) -> None:
    run_env.start_worker()
    session = chat(run_env, "-m", "hello")["session_id"]
    ended = run_env.mda("sessions", "end", session[:7])
    assert ended.returncode == 0 and "ended" in ended.stdout
    again = run_env.mda("sessions", "end", session)
    assert again.returncode == 0 and "had already ended" in again.stdout
    error = one_line_error(run_env, "chat", "--offline", "--session", session, "-m", "more")
    assert "has ended" in error and "mda chat" in error
    shown = run_env.mda_json("sessions", "show", session)
    assert shown["state"] == "ended" and len(shown["messages"]) == 2


def test_bad_input_is_one_line_and_creates_nothing(run_env: RunEnv) -> None:
    run_env.start_worker()
    repo = str(run_env.repo)
    outside = run_env.repo.parent / "secret.txt"
    outside.write_text("the key\n")
    cases = {
        "outside the repository": ["-m", f"look at @../{outside.name}"],
        "empty": ["-m", "   "],
        "no such file": ["-m", "read @nope.py"],
        "6 characters": ["--session", "abc", "-m", "hi"],
        "no session matches": ["--session", "abcdef0", "-m", "hi"],
        "no persona": ["--agent", "nobody", "-m", "hi"],
    }
    for needle, args in cases.items():
        error = one_line_error(run_env, "chat", "--repo", repo, "--offline", *args)
        assert needle in error, (needle, error)
    not_a_repo = run_env.repo.parent / "plain"
    not_a_repo.mkdir()
    assert "not a git repository" in one_line_error(
        run_env, "chat", "--repo", str(not_a_repo), "--offline", "-m", "hi"
    )
    assert run_env.mda_json("sessions", "list") == []


def test_a_long_message_travels_by_reference_and_comes_back_whole(run_env: RunEnv) -> None:
    run_env.start_worker()
    body = "remember this line\n" * 2000  # 38 KB: over the 16 KiB inline limit
    reply = chat(run_env, "-m", body)
    shown = run_env.mda_json("sessions", "show", reply["session_id"])
    assert shown["messages"][0]["content"] == body
    assert "You said:" in reply["reply"]


def test_a_session_whose_workflow_is_gone_continues_from_the_database(run_env: RunEnv) -> None:
    """Terminated (or past retention): the next message starts a new execution from the
    session's row, on the same conversation; `end` then works from the database too."""
    run_env.start_worker()
    first = chat(run_env, "-m", "I am the first message.")
    session = first["session_id"]
    terminate(run_env, session)
    second = chat(run_env, "-m", "And now?", "--session", session)
    assert "message 2 of this conversation" in second["reply"]
    assert "I am the first message." in second["reply"]
    shown = run_env.mda_json("sessions", "show", session)
    assert [m["seq"] for m in shown["messages"]] == [0, 1, 2, 3]

    terminate(run_env, session)
    ended = run_env.mda("sessions", "end", session)
    assert ended.returncode == 0 and "ended" in ended.stdout
    assert run_env.mda_json("sessions", "show", session)["state"] == "ended"


def terminate(env: RunEnv, session_id: str) -> None:
    import asyncio

    from my_deepagent.temporal_config import connect_client

    async def go() -> None:
        client = await connect_client()
        await client.get_workflow_handle(f"session-{session_id}").terminate("test")

    asyncio.run(go())


def test_sessions_restore_brings_back_the_files_of_before_a_turn(run_env: RunEnv) -> None:
    run_env.start_worker()
    readme = run_env.repo / "README.md"
    readme.write_text("the user's uncommitted notes\n")
    session = chat(run_env, "-m", "hello")["session_id"]
    readme.unlink()
    run_env.git("stash", "-q", "--include-untracked")
    run_env.git("stash", "drop", "-q")

    listed = run_env.mda("sessions", "restore", session[:8])
    assert listed.returncode == 0 and "before turn" in listed.stdout, listed.stderr
    restored = run_env.mda("sessions", "restore", session[:8], "--turn", "1")
    assert restored.returncode == 0, restored.stderr
    assert "as they were before turn 1" in restored.stdout
    assert readme.read_text() == "the user's uncommitted notes\n"

    error = one_line_error(run_env, "sessions", "restore", session[:8], "--turn", "7")
    assert "before turn 7" in error and "recorded turns: 1" in error
    error = one_line_error(run_env, "sessions", "restore", "nosuchsession")
    assert "nosuchsession" in error
