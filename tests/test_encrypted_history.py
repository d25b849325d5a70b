"""Sealed payloads end to end: with sealing on, the raw history the `temporal` CLI reads
holds none of the requirements or messages, mda's own commands work as before, and
the `temporal` CLI pointed at `mda codec-server` reads them again. With sealing off
(the default) the same read shows them, which is what makes the first check mean
something."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator

import pytest

from my_deepagent.codec_server import CodecServer
from my_deepagent.embedded.processes import find_temporal_binary
from my_deepagent.payload_codec import EncryptionCodec, encode_key, new_key, payload_keys
from my_deepagent.settings import get_settings, reset_settings
from my_deepagent.workflows.run_types import run_workflow_id
from my_deepagent.workflows.session_types import session_workflow_id
from run_harness import RunEnv

REQUIREMENTS = "Add a REQUIREMENT-MARKER-71c2 command to the todo app."
COMMENT = "COMMENT-MARKER-a93f: the spec reads well"
MESSAGE = "MESSAGE-MARKER-5d8e: what does the app do?"
MARKERS = ("COMMENT-MARKER-a93f", "MESSAGE-MARKER-5d8e")
"""A gate's comment (a signal: the run's history) and a chat message (an update: the
session's). The requirements never enter history at all: they stay in the database."""


def raw_history(env: RunEnv, workflow_id: str, *extra: str) -> str:
    """`temporal workflow show --output json`, as an operator of the server reads it."""
    shown = subprocess.run(
        [
            str(find_temporal_binary()), "workflow", "show", "--workflow-id", workflow_id,
            "--address", env.env["TEMPORAL_ADDRESS"],
            "--namespace", env.env["TEMPORAL_NAMESPACE"],
            "--output", "json", *extra,
        ],
        capture_output=True, text=True, env=env.env, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    return readable(json.loads(shown.stdout))


def readable(value: object) -> str:
    """Every string in the CLI's JSON, each payload's data decoded from base64 as text:
    all that an operator reading the history can read."""
    if isinstance(value, dict):
        found = [readable(item) for item in value.values()]
        data = value.get("data")
        if "metadata" in value and isinstance(data, str):
            found.append(base64.b64decode(data).decode("utf-8", "replace"))
        return "\n".join(found)
    if isinstance(value, list):
        return "\n".join(readable(item) for item in value)
    return str(value)


def run_and_chat(env: RunEnv) -> tuple[str, str]:
    """An offline run, its gates approved with a comment, and one session turn;
    (run id, session id)."""
    env.start_worker()
    started = env.mda(
        "start", "spec-and-review@1", "--repo", str(env.repo), "-r", REQUIREMENTS,
        "--offline", "--detach", "--json",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id: str = json.loads(started.stdout)["run_id"]
    for _ in range(2):
        env.wait_for(run_id, lambda v: v.get("pending_gate") is not None, "a gate")
        approved = env.mda("approve", run_id, "--comment", COMMENT)
        assert approved.returncode == 0, approved.stderr
    env.wait_for(run_id, lambda v: v["state"] == "completed", "its end")
    chat = env.mda("chat", "--repo", str(env.repo), "--offline", "--json", "-m", MESSAGE)
    assert chat.returncode == 0, chat.stderr
    return run_id, json.loads(chat.stdout)["session_id"]


@pytest.fixture
def sealed_env(run_env: RunEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunEnv]:
    key = encode_key(new_key())
    for name, value in (("MDA_ENCRYPT_PAYLOADS", "1"), ("MDA_PAYLOAD_KEY", key)):
        monkeypatch.setenv(name, value)
        run_env.env[name] = value
    reset_settings()
    yield run_env


def test_sealed_histories_hold_no_plaintext_and_mda_works_unchanged(sealed_env: RunEnv) -> None:
    env = sealed_env
    run_id, session_id = run_and_chat(env)
    run_history = raw_history(env, run_workflow_id(run_id))
    session_history = raw_history(env, session_workflow_id(session_id))
    for history in (run_history, session_history):
        assert [m for m in (*MARKERS, REQUIREMENTS) if m in history] == []
        assert "YmluYXJ5L2VuY3J5cHRlZA==" in history  # base64 of binary/encrypted

    report = env.mda("report", run_id)
    assert report.returncode == 0 and "completed" in report.stdout.lower(), report.stderr
    shown = env.mda("sessions", "show", session_id)
    assert shown.returncode == 0 and MARKERS[1] in shown.stdout, shown.stderr
    again = env.mda("chat", "--session", session_id, "--offline", "--json", "-m", "and then?")
    assert again.returncode == 0, again.stderr

    server = CodecServer(
        EncryptionCodec(payload_keys(get_settings())), host="127.0.0.1", port=0, origins=()
    ).start()
    try:
        decoded = raw_history(env, run_workflow_id(run_id), "--codec-endpoint", server.url)
    finally:
        server.stop()
    assert MARKERS[0] in decoded


def test_unsealed_histories_show_what_sealing_hides(run_env: RunEnv) -> None:
    run_id, session_id = run_and_chat(run_env)
    run_history = raw_history(run_env, run_workflow_id(run_id))
    assert MARKERS[0] in run_history and REQUIREMENTS not in run_history
    assert MARKERS[1] in raw_history(run_env, session_workflow_id(session_id))
