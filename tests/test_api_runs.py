"""The runs API as a browser or a script uses it: `mda serve` as a real process, a real
worker, the session's Temporal dev server and a real git repository, offline.

A run is started over HTTP, followed on its server-sent event stream to its gate,
approved over HTTP; a reconnect with `Last-Event-ID` receives only later events.
Rejecting and aborting end the run; bad input is one JSON line with the right status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from api_harness import ApiServer

REQUIREMENTS = "Add a due date to todo items and list the overdue ones."
DEADLINE_S = 120.0


def start_run(client: httpx.Client, repo: str) -> str:
    answer = client.post(
        "/api/runs",
        json={
            "template": "spec-and-review",
            "repo": repo,
            "requirements": REQUIREMENTS,
            "offline": True,
        },
    )
    assert answer.status_code == 201, answer.text
    run_id: str = answer.json()["run_id"]
    return run_id


def stream(
    client: httpx.Client, run_id: str, last_event_id: int | None = None
) -> Iterator[tuple[int | None, str, Any]]:
    """The run's SSE messages as (id, event, data), until the stream ends."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    with client.stream("GET", f"/api/runs/{run_id}/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event_id: int | None = None
        event, data = "message", ""
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                yield event_id, event, json.loads(data)
                event_id, event, data = None, "message", ""


def follow_until(
    client: httpx.Client, run_id: str, wanted: str, last_event_id: int | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """The run events streamed up to and including the first of type `wanted`."""
    seen: list[tuple[int, dict[str, Any]]] = []
    deadline = time.monotonic() + DEADLINE_S
    for event_id, event, data in stream(client, run_id, last_event_id):
        assert time.monotonic() < deadline, f"no {wanted} in {seen}"
        if event == "end":
            break
        assert event == "run_event" and event_id is not None and event_id == data["id"]
        seen.append((event_id, data))
        if data["type"] == wanted:
            return seen
    raise AssertionError(f"the stream ended without {wanted}: {[d['type'] for _, d in seen]}")


def wait_view(client: httpx.Client, run_id: str, done: Any, what: str) -> dict[str, Any]:
    """`GET /api/runs/{id}` until `done(view)`; fails naming `what` otherwise."""
    deadline = time.monotonic() + DEADLINE_S
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = client.get(f"/api/runs/{run_id}").json()
        if done(view):
            return view
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} never reached {what}: {view}")


def wait_state(client: httpx.Client, run_id: str, state: str) -> dict[str, Any]:
    return wait_view(client, run_id, lambda view: view["state"] == state, state)


def wait_gate(client: httpx.Client, run_id: str, gate: str) -> dict[str, Any]:
    def waiting(view: dict[str, Any]) -> bool:
        return bool((view.get("pending_gate") or {}).get("gate_id") == gate)

    return wait_view(client, run_id, waiting, f"gate {gate}")


def wait_report(client: httpx.Client, run_id: str) -> dict[str, Any]:
    """The report, which the run writes just after its last event (404 until then)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        answer = client.get(f"/api/runs/{run_id}/report")
        if answer.status_code != 404 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            found: dict[str, Any] = answer.json()
            return found
        assert "no report yet" in answer.json()["error"]
        time.sleep(0.2)


def test_a_run_started_followed_and_approved_over_http(api: ApiServer) -> None:
    client = api.client()
    run_id = start_run(client, str(api.env.repo))
    assert client.get("/api/runs").json()["runs"][0]["run_id"] == run_id

    first = follow_until(client, run_id, "approval.requested")
    assert first[0][1]["type"] == "run.started"
    view = client.get(f"/api/runs/{run_id}").json()
    assert view["state"] == "awaiting_approval"
    assert view["pending_gate"]["gate_id"] == "spec:1"
    assert client.get(f"/api/runs/{run_id}/artifacts").json()["artifacts"][0]["valid"] is True

    approved = client.post(f"/api/runs/{run_id}/approve", json={"comment": "looks right"})
    assert approved.status_code == 200, approved.text
    assert "spec:1" in approved.json()["message"]

    # A reconnect names the last event it saw and receives only the ones after it.
    last_seen = first[-1][0]
    later = follow_until(client, run_id, "approval.requested", last_event_id=last_seen)
    assert all(event_id > last_seen for event_id, _ in later)
    assert later[0][1]["type"] == "approval.granted"
    assert [d["type"] for _, d in later].count("approval.requested") == 1

    wait_gate(client, run_id, "review:1")
    assert client.post(f"/api/runs/{run_id}/approve", json={}).status_code == 200
    done = wait_state(client, run_id, "completed")
    assert [p["state"] for p in done["phases"]] == ["completed"] * 3

    every = [data for _, _, data in stream(client, run_id)]
    assert every[-1] == {"state": "completed"}  # the stream of an ended run ends
    ids = [d["id"] for d in every[:-1]]
    assert ids == sorted(set(ids)), "each event once, in order"
    report = wait_report(client, run_id)
    assert report["run"]["state"] == "completed"
    markdown = client.get(f"/api/runs/{run_id}/report", params={"format": "md"})
    assert markdown.text.startswith(f"# Run {run_id}")


def test_reject_and_abort_over_http_end_the_run(api: ApiServer) -> None:
    client = api.client()
    rejected = start_run(client, str(api.env.repo))
    wait_gate(client, rejected, "spec:1")
    answer = client.post(f"/api/runs/{rejected}/reject", json={"reason": "not this way"})
    assert answer.status_code == 200, answer.text
    assert wait_state(client, rejected, "rejected")["pending_gate"] is None

    aborted = start_run(client, str(api.env.repo))
    wait_gate(client, aborted, "spec:1")
    assert client.post(f"/api/runs/{aborted}/abort", json={"reason": "stop"}).status_code == 200
    wait_state(client, aborted, "aborted")

    # A decision for a run that has ended: one line saying so, and nothing changes.
    # (Its workflow may still be closing: "no gate is pending (it is aborted)" then.)
    late = client.post(f"/api/runs/{aborted}/approve", json={})
    assert late.status_code == 400
    error = late.json()["error"]
    assert ("ended" in error or "aborted" in error) and "\n" not in error, error
    assert client.get(f"/api/runs/{aborted}").json()["state"] == "aborted"


def test_bad_requests_are_one_json_line_with_the_right_status(api: ApiServer) -> None:
    client = api.client()
    unknown = client.get("/api/runs/abcdef123456")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no run 'abcdef123456' (see `mda runs list`)"}
    assert client.get("/api/sessions/abcdef123456").status_code == 404

    extra = client.post("/api/runs/abcdef123456/approve", json={"gate": "spec:1", "x": 1})
    assert extra.status_code == 422 and "x" in extra.json()["error"]
    broken = client.post(
        "/api/runs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422 and set(broken.json()) == {"error"}
    run = {"template": "spec-and-review", "repo": str(api.env.repo), "requirements": "x"}
    no_consent = client.post("/api/runs", json=run)
    assert no_consent.status_code == 400 and "mda init" in no_consent.json()["error"]
    no_repo = client.post("/api/runs", json={**run, "repo": "/nonexistent", "offline": True})
    assert no_repo.status_code == 400 and "/nonexistent" in no_repo.json()["error"]
    no_template = client.post(
        "/api/runs",
        json={"template": "nope", "repo": str(api.env.repo), "requirements": "x", "offline": True},
    )
    assert no_template.status_code == 400 and "nope" in no_template.json()["error"]
    assert client.get("/api/runs").json() == {"runs": []}  # nothing half-made

    huge = client.post("/api/sessions/abcdef123456/messages", content=b"x" * (2 * 1024 * 1024))
    assert huge.status_code == 413 and "larger than" in huge.json()["error"]
    assert client.get("/api/runs", params={"limit": 0}).status_code == 422
    assert client.get("/api/runs", params={"state": "sleeping"}).status_code == 422
