"""Outbound network for a sandbox that may use it, without the host's loopback.

Sharing the host's network namespace would also share its loopback: the Temporal
server, the database, every local service. Instead the sandbox keeps a namespace of
its own and `slirp4netns` gives it a user-mode route out, started with
`--disable-host-loopback` so that the gateway never forwards to the host's
127.0.0.1. bubblewrap reports the sandbox's pid on `--info-fd` and waits on
`--block-fd` until the route is up, so the command never runs without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

SLIRP4NETNS = "slirp4netns"
RESOLVER = "nameserver 10.0.2.3\n"
"""slirp4netns's built-in DNS forwarder (the host's resolver may be on its loopback)."""


class NetworkUnavailable(Exception):
    """The outbound network could not be attached; the message is one line."""


class Pipes:
    """The two pipes between mda and bubblewrap: sandbox info out, go-ahead in.
    Each end is closed once (a file descriptor number closed twice may by then
    belong to another thread's file)."""

    def __init__(self) -> None:
        self.info_read, self.info_write = os.pipe()
        self.block_read, self.block_write = os.pipe()
        self._open = {self.info_read, self.info_write, self.block_read, self.block_write}

    def child_fds(self) -> tuple[int, int]:
        return self.info_write, self.block_read

    def close_child_ends(self) -> None:
        for fd in self.child_fds():
            self._close(fd)

    def close(self) -> None:
        for fd in list(self._open):
            self._close(fd)

    def _close(self, fd: int) -> None:
        if fd in self._open:
            self._open.discard(fd)
            os.close(fd)


def network_problem() -> str | None:
    """Why outbound network cannot be given here, or None."""
    if shutil.which(SLIRP4NETNS) is None:
        return (
            "this persona allows network, which needs slirp4netns "
            "(install it: apt install slirp4netns)"
        )
    return None


def write_resolver(folder: Path) -> Path:
    path = folder / "resolv.conf"
    if not path.is_file() or path.read_text() != RESOLVER:
        path.write_text(RESOLVER)
    return path


def attach(pipes: Pipes) -> subprocess.Popen[bytes]:
    """Read the sandbox's pid, route it out, then let its command start (blocking)."""
    pid = _sandbox_pid(pipes.info_read)
    ready_read, ready_write = os.pipe()
    try:
        slirp = subprocess.Popen(
            [
                SLIRP4NETNS,
                "--configure",
                "--mtu=65520",
                "--disable-host-loopback",
                f"--ready-fd={ready_write}",
                str(pid),
                "tap0",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(ready_write,),
            start_new_session=True,
        )
    finally:
        os.close(ready_write)
    try:
        ready = os.read(ready_read, 1)
    finally:
        os.close(ready_read)
    if ready != b"1":
        slirp.kill()
        _, stderr = slirp.communicate()
        lines = stderr.decode(errors="replace").strip().splitlines()
        last = lines[-1] if lines else "no message"
        raise NetworkUnavailable(f"slirp4netns could not route the sandbox ({last})")
    try:
        os.write(pipes.block_write, b"1")
    except BrokenPipeError:
        slirp.kill()
        slirp.wait()
        raise NetworkUnavailable("the sandbox ended before its network was attached") from None
    return slirp


def _sandbox_pid(fd: int) -> int:
    data = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            raise NetworkUnavailable("the sandbox ended before its network was attached")
        data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except ValueError:
            continue
