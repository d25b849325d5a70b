"""Who may talk to `mda serve`: a real server process, real HTTP.

Loopback without a token; any other address only with one; a request without the
token is 401; a state-changing request from another origin is refused; a host name
other than loopback's is refused without a token (a rebound DNS name cannot read the
API); no CORS header ever lets another origin read an answer.
"""

from __future__ import annotations

import subprocess
import sys

from api_harness import ApiServer
from run_harness import RunEnv

TOKEN = "t0ken-" + "a" * 26


def test_another_address_without_a_token_refuses_to_start(run_env: RunEnv) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "serve", "--host", "0.0.0.0", "--port", "0"],
        env=run_env.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mda: error: listening on 0.0.0.0 ")
    assert "MDA_API_TOKEN" in result.stderr and result.stderr.count("\n") == 1
    short = subprocess.run(
        [sys.executable, "-m", "my_deepagent", "serve", "--port", "0"],
        env={**run_env.env, "MDA_API_TOKEN": "short"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert short.returncode == 2 and "shorter than 16" in short.stderr


def test_the_token_is_required_and_checked(run_env: RunEnv) -> None:
    server = ApiServer.start(run_env, token=TOKEN)
    try:
        anonymous = server.client(token="")
        refused = anonymous.get("/api/runs")
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "missing or wrong API token: send 'Authorization: Bearer <token>'"
        }
        assert server.client(token="t0ken-" + "b" * 26).get("/api/runs").status_code == 401
        assert anonymous.get("/api/health").status_code == 200  # for health checks
        assert anonymous.get("/runs").status_code == 200  # the page, which asks for it
        assert server.client().get("/api/runs").json() == {"runs": []}
        # With a token, other host names are allowed (a proxy, a phone on the LAN).
        named = server.client().get("/api/runs", headers={"Host": "mda.example"})
        assert named.status_code == 200
    finally:
        server.stop()


def test_other_origins_cannot_change_anything_or_read(run_env: RunEnv) -> None:
    server = ApiServer.start(run_env)
    try:
        client = server.client()
        evil = {"Origin": "http://evil.example", "content-type": "application/json"}
        posted = client.post("/api/runs/abcdef123456/abort", content=b"{}", headers=evil)
        assert posted.status_code == 403
        assert "own page" in posted.json()["error"]
        cross = client.post(
            "/api/sessions", content=b"{}", headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status_code == 403
        own = client.post(
            "/api/runs/abcdef123456/abort",
            content=b"{}",
            headers={"Origin": server.url, "content-type": "application/json"},
        )
        assert own.status_code == 404  # past the guard: the run does not exist
        read = client.get("/api/runs", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in read.headers
        assert (
            client.options("/api/runs", headers={"Origin": "http://evil.example"}).headers.get(
                "access-control-allow-origin"
            )
            is None
        )
        rebound = client.get("/api/runs", headers={"Host": "evil.example"})
        assert rebound.status_code == 403
        page = client.get("/runs")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
    finally:
        server.stop()
