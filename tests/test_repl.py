"""The REPL driven as a person drives it: `mda chat` in a real pseudo-terminal, typing
messages and every slash command, against a real worker and dev server.

Each test waits for what the REPL prints (with a deadline), never for a time.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import subprocess
import sys
import termios
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from run_harness import RunEnv
from test_run_prompt import Terminal
from test_session_durability import add_chat_explorer

SESSION_LINE = re.compile(r"(?:New session|Session) ([0-9a-f]{8}) ·")


def _controlling_terminal() -> None:
    """In the child, after `setsid`: the pty becomes its terminal, so Ctrl-C typed into
    it is a SIGINT to the REPL, as in a real terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@contextmanager
def repl(
    env: RunEnv, *args: str, **extra_env: str
) -> Iterator[tuple[Terminal, subprocess.Popen[bytes]]]:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "my_deepagent", *args],
        stdin=slave, stdout=slave, stderr=slave, cwd=env.repo,
        env={**env.env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", **extra_env},
        start_new_session=True, preexec_fn=_controlling_terminal,
    )  # fmt: skip
    os.close(slave)
    try:
        yield Terminal(master), process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def step(terminal: Terminal, line: str, expect: str) -> str:
    """Type `line`, wait for `expect` after it; the output since the line was typed."""
    start = len(terminal.text)
    terminal.type(line)
    terminal.wait_for_after(expect, start)
    return terminal.text[start:]


def test_every_slash_command_and_file_references(run_env: RunEnv) -> None:
    run_env.start_worker()
    (run_env.repo.parent / "secret.txt").write_text("the key\n")
    with repl(run_env, "chat", "--offline") as (terminal, process):
        terminal.wait_for("Type a message, /help for commands")
        step(terminal, "/help", "/remember <text>")
        assert "/forget <slug>" in terminal.text and "/compact" in terminal.text
        step(terminal, "Show me @README.md please", "/README.md has 28 lines")
        step(terminal, "and @../secret.txt", "error: @../secret.txt is outside the repository")
        step(terminal, "/agent", "agent: scripted-chat@1 (on scripted:chat)")
        step(terminal, "/model", "model: scripted:chat")
        step(terminal, "/model scripted:quiet", "now talking to scripted-chat@1 on scripted:quiet")
        step(terminal, "/agent scripted-chat@1", "now talking to scripted-chat@1 on scripted:chat")
        step(terminal, "/agent nobody", "error: ")
        step(
            terminal,
            "/remember We deploy on Fridays only.",
            "remembered as we-deploy-on-fridays-only",
        )
        step(terminal, "/memory", "we-deploy-on-fridays-only: We deploy on Fridays only.")
        step(terminal, "What do you remember?", "We deploy on Fridays only.")
        step(terminal, "/forget we-deploy-on-fridays-only", "forgot we-deploy-on-fridays-only")
        step(terminal, "/memory", "no memory notes yet")
        step(terminal, "/forget nothing-here", "error: no memory note 'nothing-here'")
        step(terminal, "/forget MEMORY.md", "error: MEMORY.md is the index")
        step(terminal, "/remember", "error: nothing to remember")
        out = step(terminal, "/stats", "tokens (")
        assert re.search(r"\d+ turns · 4 visible messages", out), out
        out = step(terminal, "/budget", "no caps are set (`/budget raise 2`")
        assert "UTC): $0.00 spent (no cap)" in out and "session " in out
        step(terminal, "/runs", "no runs in this repository yet")
        step(terminal, "/compact", "nothing compacted: the session has only 4 messages")
        step(terminal, "/clear", "cleared: the visible messages are archived")
        step(terminal, "hello again", "That is message 1 of this conversation")
        step(terminal, "/bogus", "error: unknown command /bogus")
        step(terminal, "/quit", "kept. Resume it: mda sessions resume")
        assert process.wait(timeout=60) == 0


def test_exit_and_end_of_input_leave_the_repl(run_env: RunEnv) -> None:
    run_env.start_worker()
    with repl(run_env, "chat", "--offline") as (terminal, process):
        terminal.wait_for("Type a message")
        step(terminal, "/exit", "kept. Resume it")
        assert process.wait(timeout=60) == 0
    with repl(run_env, "chat", "--offline") as (terminal, process):
        terminal.wait_for("Type a message")
        terminal.wait_for("›")  # the prompt reads keys now
        os.write(terminal.master, b"\x04")  # Ctrl-D at an empty prompt
        terminal.wait_for("kept. Resume it")
        assert process.wait(timeout=60) == 0


def test_resume_after_the_repl_is_killed_continues_the_conversation(run_env: RunEnv) -> None:
    run_env.start_worker()
    with repl(run_env, "chat", "--offline") as (terminal, process):
        found = SESSION_LINE.search(terminal.wait_for("Type a message"))
        assert found is not None
        step(terminal, "My name is Ada.", "That is message 1 of this conversation")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    session = found.group(1)
    with repl(run_env, "sessions", "resume", session) as (terminal, process):
        shown = terminal.wait_for("Type a message")
        assert "you: My name is Ada." in shown
        assert "agent: You said: “My name is Ada.”" in shown
        step(terminal, "What did I say first?", "Your first message was: “My name is Ada.”")
        assert "That is message 2 of this conversation" in terminal.text
        step(terminal, "/quit", "kept.")
    listed = run_env.mda_json("sessions", "list")
    assert len(listed) == 1 and listed[0]["turns"] == 2


def test_ctrl_c_cancels_the_turn_not_the_session(run_env: RunEnv) -> None:
    persona = add_chat_explorer()
    run_env.start_worker(MDA_SCRIPTED_LATENCY_MS="700")
    with repl(run_env, "chat", "--agent", persona) as (terminal, process):
        terminal.wait_for("Type a message")
        start = len(terminal.text)
        terminal.type("Look around slowly.")
        # The live progress line once a model call is done (its token counts show):
        # "0 model calls" is drawn before the worker has even picked the turn up.
        terminal.wait_for_after(" out tokens", start)
        os.write(terminal.master, b"\x03")
        terminal.wait_for_after("(turn cancelled; the session goes on)", start)
        assert process.poll() is None
        step(terminal, "/stats", "tokens (")
        step(terminal, "/quit", "kept.")
        assert process.wait(timeout=60) == 0
    shown = run_env.mda_json(
        "sessions", "show", run_env.mda_json("sessions", "list")[0]["session_id"]
    )
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
    assert shown["messages"][1]["content"] == "(the turn was cancelled)"


def test_mda_alone_opens_a_working_repl_without_any_key(
    run_env: RunEnv, unused_tcp_port_factory: Callable[[], int]
) -> None:
    """A fresh machine: no key, no Temporal configured. `mda` starts its embedded server
    and worker, says it runs offline and why, and answers."""
    embedded = {k: v for k, v in run_env.env.items() if not k.startswith("TEMPORAL_")}
    ports = [str(unused_tcp_port_factory()) for _ in range(2)]
    embedded.update(MDA_TEMPORAL_PORT=ports[0], MDA_TEMPORAL_UI_PORT=ports[1])
    fresh = RunEnv(home=run_env.home, repo=run_env.repo, env=embedded)
    try:
        with repl(fresh) as (terminal, process):
            shown = terminal.wait_for("Type a message")
            assert "New session" in shown and "scripted-chat@1 on scripted:chat" in shown
            assert "note: no key for openrouter: run `mda keys set openrouter`" in shown
            step(terminal, "Read @README.md", "/README.md has 28 lines")
            step(terminal, "/quit", "kept.")
            assert process.wait(timeout=60) == 0
    finally:
        fresh.mda("worker", "stop")
        fresh.mda("server", "stop")
