"""The sessions API as a browser uses it: `mda serve` and a worker as real processes,
an offline session, messages sent as the REPL's own update.

Two messages sent at the same moment are answered in order, once each; the stream
shows each message as it is written, then its end when the session ends; an ended
session refuses messages in one line.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from api_harness import ApiServer


def new_session(client: httpx.Client, repo: str) -> str:
    made = client.post("/api/sessions", json={"repo": repo, "offline": True})
    assert made.status_code == 201, made.text
    session_id: str = made.json()["session_id"]
    return session_id


def test_two_messages_at_once_are_answered_in_order_once_each(api: ApiServer) -> None:
    client = api.client()
    session = new_session(client, str(api.env.repo))
    answers: dict[str, dict[str, Any]] = {}

    def send(text: str) -> None:
        reply = client.post(f"/api/sessions/{session}/messages", json={"text": text})
        assert reply.status_code == 200, reply.text
        answers[text] = reply.json()

    threads = [threading.Thread(target=send, args=(text,)) for text in ("first one", "second one")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(a["turn"] for a in answers.values()) == [1, 2]
    for text, answer in answers.items():
        assert f"“{text}”" in answer["reply"]
        assert f"That is message {answer['turn']} of this conversation" in answer["reply"]

    shown = client.get(f"/api/sessions/{session}").json()
    assert shown["turns"] == 2
    roles = [(m["seq"], m["role"]) for m in shown["messages"]]
    assert roles == [(0, "user"), (1, "assistant"), (2, "user"), (3, "assistant")]
    assert [s["session_id"] for s in client.get("/api/sessions").json()["sessions"]] == [session]

    # The same client id again: the first answer, not a third turn.
    again = client.post(
        f"/api/sessions/{session}/messages", json={"text": "third", "client_id": "c-1"}
    ).json()
    repeat = client.post(
        f"/api/sessions/{session}/messages", json={"text": "third", "client_id": "c-1"}
    ).json()
    assert repeat["turn"] == again["turn"] == 3 and repeat["reply"] == again["reply"]
    assert client.get(f"/api/sessions/{session}").json()["turns"] == 3


def test_the_stream_shows_messages_and_progress_then_the_end(api: ApiServer) -> None:
    client = api.client()
    session = new_session(client, str(api.env.repo))
    events: list[tuple[str, str | None, Any]] = []
    opened = threading.Event()

    def follow() -> None:
        with client.stream("GET", f"/api/sessions/{session}/stream") as response:
            opened.set()
            event, event_id = "message", None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: "):
                    events.append((event, event_id, json.loads(line[6:])))
                    event_id = None
                    if event == "end":
                        return

    follower = threading.Thread(target=follow)
    follower.start()
    assert opened.wait(30)
    sent = client.post(f"/api/sessions/{session}/messages", json={"text": "hello there"})
    assert sent.status_code == 200, sent.text
    ended = client.post(f"/api/sessions/{session}/end")
    assert ended.json() == {"session_id": session, "ended": True}
    follower.join(timeout=60)

    messages = [(i, data["role"]) for kind, i, data in events if kind == "message"]
    assert messages == [("0", "user"), ("1", "assistant")]
    assert events[-1] == ("end", None, {"state": "ended"})

    refused = client.post(f"/api/sessions/{session}/messages", json={"text": "more"})
    assert refused.status_code == 400 and "ended" in refused.json()["error"]
    resumed = [d for k, i, d in events if k == "message" and i == "1"]
    assert resumed and "hello there" in resumed[0]["content"]
