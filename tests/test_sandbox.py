"""The agent's shell, run by the real sandbox (bubblewrap), against real files and sockets.

Each test runs commands the way a hostile model would, through `worktree_backend` (the
backend the agent gets), then looks at what a user would care about: what came back,
what changed on disk, whether a local server was reached.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from my_deepagent.agents.backends import worktree_backend
from my_deepagent.agents.safety_rules import REFUSED_PREFIX
from my_deepagent.domain.persona import SandboxSettings
from my_deepagent.sandbox.launcher import choose_sandbox

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="bubblewrap is the Linux sandbox"
)
TOKEN = "ghp_" + "t" * 36
HOST_SECRET = "HOST-SECRET-5e2a"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    git(root, "remote", "add", "origin", f"https://dev:{TOKEN}@github.com/acme/app.git")
    (root / "app.py").write_text("print('hi')\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the repository, as ~/.ssh or mda's own database would be."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "id_ed25519").write_text(HOST_SECRET)
    return folder


def shell(root: Path, command: str, **allowed: object) -> tuple[str, int]:
    backend = worktree_backend(root, timeout_s=30, sandbox=SandboxSettings(**allowed))
    result = backend.execute(command)
    return result.output, result.exit_code or 0


@pytest.fixture(autouse=True)
def _needs_bubblewrap() -> None:
    choice = choose_sandbox("auto")
    if choice.kind != "bubblewrap":
        pytest.fail(f"these tests need the sandbox: {choice.problem}")


def test_files_outside_the_repository_are_not_there(repo: Path, outside: Path) -> None:
    out, code = shell(repo, f"cat {outside}/id_ed25519; ls {outside}; ls -A {Path.home()}")
    assert HOST_SECRET not in out
    assert code != 0
    shell(repo, f"echo planted > {outside}/persona.yaml")
    assert not (outside / "persona.yaml").exists()
    out, code = shell(repo, "cat /etc/shadow")
    assert code != 0 and "root:" not in out


def test_the_repository_is_writable_and_nothing_else_persists(repo: Path) -> None:
    out, code = shell(repo, "echo new > notes.txt && echo scratch > /tmp/x && echo c > ~/cache")
    assert code == 0, out
    assert (repo / "notes.txt").read_text() == "new\n"
    assert not (Path.home() / "cache").exists()  # HOME is the sandbox's own
    out, _ = shell(repo, "cat /tmp/x ~/cache")
    assert "scratch" not in out  # every command gets a fresh /tmp
    assert "c" in out.split()  # while its HOME stays, for caches


def test_no_process_of_the_host_and_no_key_of_the_worker_is_visible(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "w" * 40)
    out, _ = shell(repo, "cat /proc/1/environ /proc/$PPID/environ | tr '\\0' '\\n'; ls /proc")
    assert "sk-" + "w" * 40 not in out
    pids = [name for name in out.split() if name.isdigit()]
    assert len(pids) < 10, out  # the sandbox's own few processes, not the machine's
    assert str(os.getpid()) not in pids


def test_git_metadata_is_read_only(repo: Path) -> None:
    hooks = repo / ".git" / "hooks"
    _, code = shell(
        repo,
        "echo 'touch /tmp/pwned' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; "
        "git config core.fsmonitor 'touch /tmp/pwned'; "
        "git add -A && git commit -qm planted",
    )
    assert code != 0
    assert not (hooks / "pre-commit").exists()
    assert "fsmonitor" not in (repo / ".git" / "config").read_text()
    assert git(repo, "log", "--oneline").count("\n") == 1


def test_git_write_lets_the_agent_commit_but_never_plant_hooks_or_config(repo: Path) -> None:
    out, code = shell(
        repo,
        "echo more >> app.py && git add -A && git commit -qm 'agent commit' && echo ok",
        git="write",
    )
    assert code == 0 and "ok" in out, out
    assert "agent commit" in git(repo, "log", "--oneline")
    out, code = shell(
        repo,
        "echo x > .git/hooks/pre-commit; git config core.fsmonitor 'touch /tmp/pwned'",
        git="write",
    )
    assert code != 0
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    assert "fsmonitor" not in (repo / ".git" / "config").read_text()


def test_the_remote_url_token_is_not_in_the_sandbox(repo: Path) -> None:
    out, code = shell(repo, "git remote get-url origin; cat .git/config; git config -l")
    assert code == 0, out
    assert "github.com/acme/app.git" in out
    assert TOKEN not in out
    assert TOKEN in (repo / ".git" / "config").read_text()  # the user's config is intact


@pytest.fixture
def loopback_server() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on the host's loopback (as the Temporal server is), recording what
    reaches it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    received.append(conn.recv(100))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


def test_the_hosts_loopback_is_unreachable(
    repo: Path, loopback_server: tuple[int, list[bytes]]
) -> None:
    port, received = loopback_server
    probe = f"bash -c 'echo hello > /dev/tcp/127.0.0.1/{port}' && echo reached"
    out, _ = shell(repo, probe)
    assert "reached" not in out
    assert received == []


def test_a_persona_with_network_still_cannot_reach_the_hosts_loopback(
    repo: Path, loopback_server: tuple[int, list[bytes]]
) -> None:
    port, received = loopback_server
    out, code = shell(repo, "cat /proc/net/dev", network=True)
    assert code == 0 and "tap0" in out, out  # the sandbox got its own route out
    for host in ("127.0.0.1", "10.0.2.2"):  # its own loopback, slirp's gateway
        probe = f"timeout 5 bash -c 'echo hello > /dev/tcp/{host}/{port}' && echo reached"
        out, _ = shell(repo, probe, network=True)
        assert "reached" not in out, host
    assert received == []


def test_sandbox_off_runs_unconfined_on_the_users_word(repo: Path, outside: Path) -> None:
    backend = worktree_backend(repo, timeout_s=30, mode="off")
    result = backend.execute(f"cat {outside}/id_ed25519")
    assert result.output.strip() == HOST_SECRET


def test_without_bubblewrap_the_shell_is_refused_in_one_line(repo: Path) -> None:
    script = (
        "from my_deepagent.agents.backends import worktree_backend\n"
        f"b = worktree_backend({str(repo)!r}, timeout_s=10)\n"
        "r = b.execute('touch ran.txt')\n"
        "print(r.exit_code); print(r.output)\n"
    )
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    code, message = done.stdout.split("\n", 1)
    assert code == "126"
    assert message.startswith(REFUSED_PREFIX)
    assert "apt install bubblewrap" in message and "MDA_SANDBOX=off" in message
    assert len(message.strip().splitlines()) == 1
    assert not (repo / "ran.txt").exists()


def test_git_write_cannot_create_a_missing_hooks_folder(repo: Path) -> None:
    hooks = repo / ".git" / "hooks"
    for sample in hooks.iterdir():
        sample.unlink()
    hooks.rmdir()
    _, code = shell(
        repo, "mkdir -p .git/hooks; echo 'touch /tmp/x' > .git/hooks/pre-commit", git="write"
    )
    assert code != 0
    assert not (hooks / "pre-commit").exists()
