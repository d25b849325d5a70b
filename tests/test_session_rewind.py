"""Rewinding a session to before a turn, against a real worker, dev server and git.

The offline scripted model does not run shell commands or write files in a chat, so
the agent's own changes are made by the test *while its turn runs*: the persona lists
the repository twice before it answers, each model call slowed down, and the test
changes the files once the turn's first model call was served (after the turn's
"before" record, before its "after" record). That is exactly where a shell command of
the agent would change them. Changes made between turns stand for the person's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle

from my_deepagent.errors import MdaError
from my_deepagent.sessions.client import send, update
from my_deepagent.sessions.rewind import rewind, rewind_request
from my_deepagent.settings import get_settings
from my_deepagent.store.database import Database, open_database
from my_deepagent.store.messages import live_messages, session_messages
from my_deepagent.workflows.session_types import SessionStatus, TurnResult
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import DEADLINE_S, served, start_worker, wait_until, write_explorer_persona

LATENCY_MS = "400"
EXPLORE = 2

Handle = WorkflowHandle[Any, SessionStatus]


def slow_persona() -> str:
    return write_explorer_persona(
        f"scripted-chat-explorer-{EXPLORE}", f"scripted:chat-explore-{EXPLORE}", "[chat]", EXPLORE
    )


async def slow_worker(env: RunEnv, client: Client, call_log: Path) -> None:
    await start_worker(
        env, client, MDA_SCRIPTED_LATENCY_MS=LATENCY_MS, MDA_SCRIPTED_CALL_LOG=str(call_log)
    )


async def agent_turn(
    handle: Handle,
    db: Database,
    text: str,
    client_id: str,
    call_log: Path,
    change: Callable[[], object] | None = None,
) -> TurnResult:
    """A turn during which `change` runs, as the agent's shell would run it."""
    before = len(served(call_log))
    task = asyncio.create_task(send(handle, db, message(text, client_id)))
    await wait_until(lambda: len(served(call_log)) > before, "the turn's first model call")
    assert not task.done()
    if change is not None:
        change()
    return await asyncio.wait_for(task, DEADLINE_S)


IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def user_state(repo: Path) -> tuple[str, str, str, bytes]:
    """The user's branch, HEAD, stash and index: a rewind never changes them."""
    index = (repo / ".git" / "index").read_bytes()
    return (
        git(repo, "symbolic-ref", "HEAD"),
        git(repo, "rev-parse", "HEAD"),
        git(repo, "stash", "list"),
        index,
    )


def mda_rewind(env: RunEnv, session: str, *args: str) -> subprocess.CompletedProcess[str]:
    return env.mda("sessions", "rewind", session, *args)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mda: error: "), result.stderr
    return lines[0]


async def run_mda(env: RunEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(env.mda, *args)


async def test_rewinding_the_files_makes_the_tree_exactly_what_it_was(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    repo, call_log = run_env.repo, tmp_path / "calls.log"
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "kept.log").write_text("the user's ignored file\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore logs")
    readme = repo / "README.md"
    original = readme.read_text()
    (repo / "notes.txt").write_text("the user's untracked notes\n")
    persona = slow_persona()
    await slow_worker(run_env, temporal_client, call_log)

    def first_changes() -> None:  # what the agent's shell did in turn 1
        readme.write_text("rewritten by a shell command\n")
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / "generated.py").write_text("print('made by the agent')\n")
        (repo / "build.log").write_text("an ignored file the agent made\n")
        (repo / "notes.txt").unlink()

    def second_changes() -> None:
        (repo / "scratch" / "deep").mkdir(parents=True)
        (repo / "scratch" / "deep" / "tmp.txt").write_text("scratch\n")

    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        session = record.id
        await agent_turn(handle, db, "tidy the README", "t1", call_log, first_changes)
        await agent_turn(handle, db, "and make a scratch folder", "t2", call_log, second_changes)
        user_before = user_state(repo)

        listed = await run_mda(run_env, "sessions", "rewind", session[:8])
        assert listed.returncode == 0, listed.stderr
        assert "tidy the README" in listed.stdout and "--to N" in listed.stdout
        turns = json.loads((await run_mda(run_env, "sessions", "rewind", session, "--json")).stdout)
        # turn 1 changed README.md, src/generated.py, notes.txt (and the ignored
        # build.log, small enough to be recorded); turn 2 one file
        assert [(t["turn"], t["files_changed"]) for t in turns] == [(1, 4), (2, 1)]
        assert turns[0]["words"] == "tidy the README"

        done = await run_mda(
            run_env, "sessions", "rewind", session, "--to", "1", "--files", "--json"
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["conversation"] is None and result["files"]["deleted"] == 2
        undo = result["files"]["undo_ref"]
        assert undo.startswith(f"refs/mda/sessions/{session}/before-rewind-")

        assert readme.read_text() == original
        assert (repo / "notes.txt").read_text() == "the user's untracked notes\n"
        assert not (repo / "src" / "generated.py").exists()
        assert not (repo / "scratch").exists()  # the emptied folders go too
        assert (repo / "build.log").exists(), "an ignored file is never deleted"
        assert (repo / "kept.log").read_text() == "the user's ignored file\n"
        assert user_state(repo) == user_before
        # the undo record holds the tree as it was just before
        assert git(repo, "show", f"{undo}:README.md") == "rewritten by a shell command\n"
        assert git(repo, "show", f"{undo}:scratch/deep/tmp.txt") == "scratch\n"
        # the conversation was not touched
        assert len(await live_messages(db, session)) == 4

        # the session stands on the rewound tree: a second rewind sees no outside change
        again = await run_mda(run_env, "sessions", "rewind", session, "--to", "2", "--files")
        assert again.returncode == 0, again.stderr
        assert "files rewound to before turn 2" in again.stdout
        assert readme.read_text() == "rewritten by a shell command\n"
        assert (repo / "src" / "generated.py").exists()


async def test_changes_made_outside_the_session_refuse_unless_forced(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    repo, call_log = run_env.repo, tmp_path / "calls.log"
    persona = slow_persona()
    await slow_worker(run_env, temporal_client, call_log)

    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        session = record.id
        await agent_turn(
            handle, db, "first", "t1", call_log, lambda: (repo / "agent.txt").write_text("a\n")
        )
        (repo / "between.txt").write_text("the person wrote this between turns\n")
        await agent_turn(handle, db, "second", "t2", call_log)
        (repo / "README.md").write_text("the person edited this after the last turn\n")

        refused = one_line_error(await run_mda(run_env, "sessions", "rewind", session, "--to", "1"))
        assert "2 files changed outside session" in refused
        assert "README.md" in refused and "between.txt" in refused
        assert "agent.txt" not in refused, "the agent's own change is not an outside change"
        assert "--force" in refused
        assert (repo / "agent.txt").exists() and len(await live_messages(db, session)) == 4

        # since turn 2 only the README changed outside
        refused = one_line_error(await run_mda(run_env, "sessions", "rewind", session, "--to", "2"))
        assert "1 files changed outside" in refused and "between.txt" not in refused

        forced = await run_mda(run_env, "sessions", "rewind", session, "--to", "1", "--force")
        assert forced.returncode == 0, forced.stderr
        assert not (repo / "agent.txt").exists() and not (repo / "between.txt").exists()
        assert "conversation rewound to before turn 1" in forced.stdout
        assert "files rewound to before turn 1" in forced.stdout
        assert len(await live_messages(db, session)) == 0


def test_a_conversation_rewind_archives_the_turns_and_the_agent_sees_what_came_before(
    run_env: RunEnv,
) -> None:
    run_env.start_worker()

    def chat(*args: str) -> dict[str, Any]:
        done = run_env.mda("chat", "--repo", str(run_env.repo), "--offline", "--json", *args)
        assert done.returncode == 0, done.stderr
        reply: dict[str, Any] = json.loads(done.stdout)
        return reply

    session = chat("-m", "We use tabs.")["session_id"]
    for text in ("Second thing.", "Third thing."):
        chat("-m", text, "--session", session)
    (run_env.repo / "README.md").write_text("changed outside\n")  # files are not asked for

    done = run_env.mda("sessions", "rewind", session, "--to", "2", "--conversation")
    assert done.returncode == 0, done.stderr
    assert "conversation rewound to before turn 2: 4 messages archived" in done.stdout
    assert "files rewound" not in done.stdout
    assert (run_env.repo / "README.md").read_text() == "changed outside\n"

    visible = run_env.mda_json("sessions", "show", session)["messages"]
    assert len(visible) == 2 and visible[0]["content"] == "We use tabs."
    after = chat("-m", "What now?", "--session", session)
    assert "message 2 of this conversation" in after["reply"]  # the user's messages
    assert "We use tabs." in after["reply"]
    assert "Second thing" not in after["reply"]

    everything = run_env.mda_json("sessions", "show", session, "--all")["messages"]
    archived = [m["content"] for m in everything if m["archived"] and m["role"] != "system"]
    assert archived[0] == "Second thing." and "Third thing." in archived
    assert len(archived) == 4
    shown = run_env.mda("sessions", "show", session, "--all")
    line = next(x for x in shown.stdout.splitlines() if x.startswith("#2 user"))
    assert "archived" in line, shown.stdout
    assert run_env.mda_json("sessions", "show", session)["turns"] == 4


async def test_rewind_after_continue_as_new_keeps_the_counters(
    run_env: RunEnv, temporal_client: Client
) -> None:
    await start_worker(run_env, temporal_client)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, turns_per_execution=2)
        for turn in range(1, 5):
            await send(handle, db, message(f"message of turn {turn}", f"t{turn}"))
        first_run = (await handle.describe()).run_id
        result = await rewind(handle, rewind_request(3, "conversation", force=False))
        assert result.conversation is not None and result.conversation.visible == 4
        status = await handle.query("status", result_type=SessionStatus)
        assert status.turns == 4 and status.context == result.context == 1
        after = await send(handle, db, message("which turn is this?", "t5"))
        assert after.turn == 5 and "message 3 of this conversation" in after.reply
        assert "message of turn 1" in after.reply
        rows = await session_messages(db, record.id, include_archived=True)
        seqs = [r.seq for r in rows]
        assert seqs == sorted(set(seqs)) and seqs == list(range(len(seqs)))
        # another rewind, after another continue-as-new, goes back before the first one
        await send(handle, db, message("one more", "t6"))
        again = await rewind(handle, rewind_request(2, "conversation", force=False))
        assert again.conversation is not None and again.conversation.visible == 2
        last = await send(handle, db, message("and now?", "t7"))
        assert last.turn == 7 and "message 2 of this conversation" in last.reply
        assert (await handle.describe()).run_id != first_run


async def test_a_summary_covering_archived_turns_does_not_survive_a_rewind(
    run_env: RunEnv, temporal_client: Client
) -> None:
    """On a 2,000-token window, turns compact automatically: the summary replaces the
    oldest turns. Rewinding to a turn the summary covers archives the summary and
    brings back the messages it replaced; rewinding to one after keeps it."""
    await start_worker(run_env, temporal_client)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(
            run_env, temporal_client, db, model="scripted:chat-window-2000"
        )
        compacted_at = 0
        for turn in range(1, 13):
            text = f"turn {turn}: remember that file src/mod_{turn}.py matters. " * 12
            result = await send(handle, db, message(text, f"t{turn}"))
            if result.compaction is not None and result.compaction.compacted:
                compacted_at = turn
                break
        assert compacted_at
        after_it = compacted_at + 1
        result = await send(handle, db, message("a short one", f"t{after_it}"))
        assert result.compaction is None or not result.compaction.compacted
        live = await live_messages(db, record.id)
        assert live[0].is_summary
        summary_seq = live[0].seq

        # before the turn after the compaction the summary was there: it stays
        kept = await rewind(handle, rewind_request(after_it, "conversation", force=False))
        live = await live_messages(db, record.id)
        assert live[0].seq == summary_seq and live[0].is_summary
        assert all(r.turn is not None and r.turn < after_it for r in live[1:])
        assert kept.conversation is not None and kept.conversation.restored == 0
        assert kept.conversation.archived == 2

        # turn 2 is covered by the summary: the summary goes, turn 1 comes back
        back = await rewind(handle, rewind_request(2, "conversation", force=False))
        live = await live_messages(db, record.id)
        assert not any(r.is_summary for r in live)
        assert [(r.seq, r.role, r.turn) for r in live] == [(0, "user", 1), (1, "assistant", 1)]
        assert back.conversation is not None and back.conversation.restored == 2
        summary = next(r for r in await session_messages(db, record.id, include_archived=True)
                       if r.seq == summary_seq)  # fmt: skip
        assert summary.archived
        after = await send(handle, db, message("and so?", "t-after"))
        assert "message 2 of this conversation" in after.reply
        assert "turn 1: remember" in after.reply
        session = await handle.query("status", result_type=SessionStatus)
        assert session.context >= 3


async def test_refusals_are_one_line(
    run_env: RunEnv, temporal_client: Client, tmp_path: Path
) -> None:
    call_log = tmp_path / "calls.log"
    persona = slow_persona()
    await slow_worker(run_env, temporal_client, call_log)
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db, persona=persona)
        session = record.id
        await agent_turn(handle, db, "first", "t1", call_log)

        # while a turn runs (or waits) a rewind is refused, not queued
        running = asyncio.create_task(send(handle, db, message("second", "t2")))
        await wait_until(lambda: len(served(call_log)) > EXPLORE + 1, "turn 2 runs")
        with pytest.raises(MdaError, match="is busy") as busy:
            await rewind(handle, rewind_request(1, "both", force=False))
        assert "cancel the turn" in str(busy.value)
        await asyncio.wait_for(running, DEADLINE_S)

        unknown = one_line_error(await run_mda(run_env, "sessions", "rewind", session, "--to", "9"))
        assert "has no turn 9: its turns are 1 to 2" in unknown
        both = one_line_error(
            await run_mda(run_env, "sessions", "rewind", session, "--to", "1", "--files", "--both")
        )
        assert "at most one of" in both
        assert len(await live_messages(db, session)) == 4

        await update(handle, "end", None, SessionStatus)
        ended = one_line_error(await run_mda(run_env, "sessions", "rewind", session, "--to", "1"))
        assert "has ended and cannot be rewound" in ended and "mda sessions restore" in ended


def test_the_korean_help_names_every_rewind_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "sessions", "rewind", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "MDA_LANG": "ko"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "되돌립니다" in done.stdout and "--force" in done.stdout
    # each option's help in Korean (the rows wrap: only words that fit on one line)
    for words in ("이 턴 이전으로 되돌립니다", "파일만 되돌립니다", "대화만 되돌립니다",
                  "세션 밖에서 바뀐 파일이 있어도", "JSON으로 출력합니다"):  # fmt: skip
        assert words in done.stdout, words


def test_the_rewind_words_of_the_repl() -> None:
    from my_deepagent.sessions.rewind import parse_rewind_words

    files = parse_rewind_words("3 --files")
    assert (files.turn, files.files, files.conversation, files.force) == (3, True, False, False)
    both = parse_rewind_words("--force 2")
    assert (both.turn, both.files, both.conversation, both.force) == (2, True, True, True)
    for bad, needle in {
        "": "usage: /rewind",
        "x": "usage: /rewind",
        "0": "usage: /rewind",
        "2 3": "usage: /rewind",
        "2 --all": "usage: /rewind",
        "2 --files --both": "at most one of",
    }.items():
        with pytest.raises(MdaError, match=needle):
            parse_rewind_words(bad)


def test_the_replay_follows_clears_and_earlier_rewinds() -> None:
    from datetime import UTC, datetime

    from my_deepagent.sessions.rewind import visible_before
    from my_deepagent.store.records import MessageRecord

    def row(seq: int, role: str, turn: int | None, archived: bool) -> MessageRecord:
        return MessageRecord.model_validate(
            {
                "id": seq + 1, "session_id": "s", "seq": seq, "role": role, "content": "x",
                "tool_calls": None, "token_count": 1, "is_summary": False,
                "archived": archived, "client_id": None, "turn": turn,
                "created_at": datetime.now(UTC),
            }
        )  # fmt: skip

    rows = [
        row(0, "user", 1, True), row(1, "assistant", 1, True),
        row(2, "system", None, True),  # a /clear
        row(3, "user", 2, False), row(4, "assistant", 2, False),
        row(5, "user", 3, True), row(6, "assistant", 3, True),
        row(7, "system", 3, True),  # rewound to before turn 3
        row(8, "user", 4, False), row(9, "assistant", 4, False),
    ]  # fmt: skip
    assert visible_before(rows, 4) == visible_before(rows, 3)
    plan = visible_before(rows, 4)
    assert plan is not None and plan.exact and plan.seqs == (3, 4)
    assert visible_before(rows, 2) is not None and visible_before(rows, 2).seqs == ()  # type: ignore[union-attr]
    assert visible_before(rows, 9) is None


async def test_the_record_after_a_turn_keeps_heartbeating(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Recording the tree after the turn (a `git add -A` of a large repository) can
    take longer than the heartbeat timeout: the turn's activity keeps heartbeating
    through it, so Temporal does not time it out and run the turn again."""
    import threading
    import time
    from types import SimpleNamespace

    from temporalio.testing import ActivityEnvironment

    from my_deepagent.activities import session_turn
    from my_deepagent.workflows.session_types import ChatMessage, TurnInput

    beats: list[float] = []
    recording: dict[str, float] = {}
    lock = threading.Lock()

    def slow_record(input: TurnInput, data_dir: Path, *, after: bool = False) -> None:
        if after:
            recording["start"] = time.monotonic()
            time.sleep(0.6)
            recording["end"] = time.monotonic()

    async def nothing(*args: Any, **kwargs: Any) -> Any:
        return True

    monkeypatch.setattr(session_turn, "_record_working_tree", slow_record)
    monkeypatch.setattr(session_turn, "append_message", nothing)
    monkeypatch.setattr(session_turn, "mark_unconfined", nothing)
    monkeypatch.setattr(session_turn, "release_thread", nothing)
    monkeypatch.setattr(session_turn, "connection", lambda *args: None)
    settings = SimpleNamespace(
        paths=SimpleNamespace(data_dir=tmp_path), sandbox="on", compact_threshold=0.8
    )
    deps = SimpleNamespace(db=None, settings=settings, catalog=SimpleNamespace(persona=id))
    activities = session_turn.SessionTurnActivities(deps, heartbeat_interval_s=0.05)  # type: ignore[arg-type]
    progress = SimpleNamespace(
        reset=lambda: None,
        progress=SimpleNamespace(
            model_calls=1, input_tokens=1, output_tokens=1, model_dump=lambda **kw: {}
        ),
    )
    cached = SimpleNamespace(
        agent=None, progress=progress, guard=SimpleNamespace(refresh=lambda: None),
        warnings=[], audit=SimpleNamespace(begin_turn=lambda turn: None),
    )  # fmt: skip

    async def agent(*args: Any) -> Any:
        return cached

    async def drive(*args: Any) -> list[Any]:
        return []

    async def record_reply(*args: Any, **kwargs: Any) -> Any:
        return SimpleNamespace(compact_threshold=None, context_tokens=0)

    monkeypatch.setattr(activities, "_agent", agent)
    monkeypatch.setattr(activities, "_drive", drive)
    monkeypatch.setattr(activities, "_record_reply", record_reply)
    env = ActivityEnvironment()

    def beat(*details: Any) -> None:
        with lock:
            beats.append(time.monotonic())

    env.on_heartbeat = beat
    turn = TurnInput(
        session_id="s" * 8, repo_path=str(tmp_path), project_key="p", persona_ref="x",
        model="scripted:chat", context=0, turn=1, user_seq=0,
        message=ChatMessage(client_id="c1", text="hello", size=5),
    )  # fmt: skip
    await env.run(activities.session_turn, turn)
    during = [t for t in beats if recording["start"] < t < recording["end"]]
    assert len(during) >= 5, "heartbeats while the tree was recorded after the turn"


def test_a_git_error_during_a_rewind_of_the_files_is_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A timeout or a stale `index.lock` passes: the activity's attempts but the last
    let Temporal retry (the retry finds the undo record and completes the rewind);
    the last one says the refusal."""
    import dataclasses
    from types import SimpleNamespace

    from temporalio.exceptions import ApplicationError
    from temporalio.testing import ActivityEnvironment

    from my_deepagent.activities import session_rewind
    from my_deepagent.git.runner import WorkspaceError
    from my_deepagent.git.snapshot import Baseline, Rewound
    from my_deepagent.workflows.policies import IO_RETRY
    from my_deepagent.workflows.session_types import RewindFilesInput

    calls: list[str] = []

    def flaky(repo: Path, ref: str, undo: str, data_dir: Path, **kwargs: Any) -> Rewound:
        calls.append(undo)
        if len(calls) == 1:
            raise WorkspaceError("git checkout-index did not finish within 600 s")
        return Rewound(written=3, deleted=["made.py"])

    monkeypatch.setattr(session_rewind, "ref_commit", lambda repo, ref: "abc")
    monkeypatch.setattr(session_rewind, "outside_changes", lambda *args: [])
    monkeypatch.setattr(
        session_rewind,
        "session_baseline",
        lambda *args: Baseline(before={1: "r"}, after={}, ends={}),
    )
    monkeypatch.setattr(session_rewind, "rewind_working_tree", flaky)
    settings = SimpleNamespace(paths=SimpleNamespace(data_dir=tmp_path))
    activities = session_rewind.SessionRewindActivities(SimpleNamespace(settings=settings))  # type: ignore[arg-type]
    request = RewindFilesInput(
        session_id="s" * 8, repo_path=str(tmp_path), turn=1, force=False, stamp="1"
    )

    def attempt(number: int) -> Any:
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=number)
        return asyncio.run(env.run(activities.session_rewind_files, request))

    with pytest.raises(Exception) as first:
        attempt(1)
    assert not (isinstance(first.value, ApplicationError) and first.value.non_retryable)
    done = attempt(2)
    assert done.written == 3 and done.deleted == 1 and calls[0] == calls[1]

    def locked(*args: Any, **kwargs: Any) -> Rewound:
        raise WorkspaceError("still locked")

    monkeypatch.setattr(session_rewind, "rewind_working_tree", locked)
    with pytest.raises(ApplicationError) as last:
        attempt(IO_RETRY.maximum_attempts or 1)
    assert last.value.non_retryable and "still locked" in str(last.value)


async def test_a_retried_conversation_rewind_says_the_same_counts(
    db: Database, tmp_path: Path
) -> None:
    """A retry (the first attempt committed, then the worker died) finds its marker and
    reports what the rewind did, not 0 and 0; a seq taken by another row is an error,
    never a rewind silently skipped."""
    from types import SimpleNamespace

    from temporalio.exceptions import ApplicationError
    from temporalio.testing import ActivityEnvironment

    from my_deepagent.activities.session_rewind import SessionRewindActivities
    from my_deepagent.store.messages import append_message
    from my_deepagent.store.sessions import create_session, new_session_id
    from my_deepagent.workflows.session_types import RewindConversationInput

    created = await create_session(
        db, session_id=new_session_id(), repo_path=str(tmp_path), project_key="0" * 16,
        persona_ref="scripted-chat@1", model="scripted:chat",
    )  # fmt: skip
    for seq in range(6):
        await append_message(
            db, session_id=created.id, seq=seq, role="assistant" if seq % 2 else "user",
            content=f"message {seq}", token_count=1, client_id=None if seq % 2 else f"c{seq}",
            turn=seq // 2 + 1,
        )  # fmt: skip
    activities = SessionRewindActivities(SimpleNamespace(db=db))  # type: ignore[arg-type]

    async def rewind_to(turn: int, marker_seq: int) -> Any:
        request = RewindConversationInput(
            session_id=created.id, turn=turn, context=1, marker_seq=marker_seq
        )
        return await ActivityEnvironment().run(activities.session_rewind_conversation, request)

    first = await rewind_to(2, 6)
    assert (first.visible, first.archived, first.restored) == (2, 4, 0)
    again = await rewind_to(2, 6)
    assert (again.visible, again.archived, again.restored) == (2, 4, 0)

    with pytest.raises(ApplicationError, match="seq 5 is not the marker"):
        await rewind_to(1, 5)  # seq 5 is turn 3's reply
    assert len(await live_messages(db, created.id)) == 2


def test_the_refusal_over_outside_changes_says_what_works() -> None:
    """The check compares contents, so committing the changes does not make it pass:
    the refusal says to commit or copy them, then rewind with --force."""
    from my_deepagent.catalogue import english
    from my_deepagent.catalogue.chat import MESSAGES

    said = english(
        "chat.rewind_outside_changes", session="abcd1234", turn=1, count=1, files="a.txt"
    )
    assert "save them first" not in said
    assert "commit or copy them, then rewind with --force" in said
    korean = MESSAGES["chat.rewind_outside_changes"].ko
    assert "복사" in korean and "--force" in korean and "보관하거나, --force" not in korean


def test_the_rewind_lines_pass_only_the_fields_their_messages_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import string

    from my_deepagent.catalogue.chat import MESSAGES
    from my_deepagent.sessions import rewind as rewinding
    from my_deepagent.workflows.session_types import (
        RewindConversationOutput,
        RewindFilesOutput,
        RewindResult,
    )

    def checked(key: str, /, **fields: object) -> str:
        used = {name for _, name, _, _ in string.Formatter().parse(MESSAGES[key].en) if name}
        assert set(fields) == used, key
        return key

    monkeypatch.setattr(rewinding, "msg", checked)
    result = RewindResult(
        turn=2, context=3,
        files=RewindFilesOutput(undo_ref="refs/mda/x", written=3, deleted=1),
        conversation=RewindConversationOutput(visible=2, archived=4, restored=0),
    )  # fmt: skip
    assert rewinding.rewind_lines(result) == [
        "chat.rewound_conversation", "chat.rewound_files",
    ]  # fmt: skip
