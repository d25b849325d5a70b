"""What the HTTP API and web GUI tests share: `mda serve` as a real process beside a
real worker, on the test's own MDA_HOME and task queue, and an httpx client for it.

`api` starts both; `ApiServer.start` starts more servers (another token, another
address) on the same home.
"""

from __future__ import annotations

import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from run_harness import RunEnv

SERVING = re.compile(r"at (http://\S+) ")
START_S = 60.0


@dataclass
class ApiServer:
    env: RunEnv
    url: str
    process: subprocess.Popen[str]
    token: str | None = None
    clients: list[httpx.Client] = field(default_factory=list)

    @classmethod
    def start(cls, env: RunEnv, *, token: str | None = None, host: str = "127.0.0.1") -> ApiServer:
        extra = {"MDA_API_TOKEN": token} if token else {}
        process = subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", "serve", "--host", host, "--port", "0"],
            env={**env.env, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        url = _serving_url(process, env.home)
        return cls(env=env, url=url, process=process, token=token)

    def client(self, *, token: str | None = None, timeout: float = 120.0) -> httpx.Client:
        """A client of this server, with its token unless another is given."""
        chosen = token if token is not None else self.token
        headers = {"Authorization": f"Bearer {chosen}"} if chosen else {}
        made = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self.clients.append(made)
        return made

    def stop(self) -> None:
        for made in self.clients:
            made.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _serving_url(process: subprocess.Popen[str], home: Path) -> str:
    """The URL `mda serve` prints once it listens (it exits with its error otherwise)."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_S
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            seen.append(line)
            found = SERVING.search(line)
            if found:
                return found.group(1)
        elif process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"mda serve did not start; it said: {''.join(seen)!r} (home {home})")


@pytest.fixture
def api(run_env: RunEnv) -> Iterator[ApiServer]:
    """`mda serve` on loopback without a token, and a worker polling the test's queue."""
    run_env.start_worker()
    server = ApiServer.start(run_env)
    try:
        yield server
    finally:
        server.stop()
