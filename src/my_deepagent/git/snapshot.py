"""Snapshots of a session's working tree, so that whatever an agent destroys can be
brought back.

Before each turn mda records the repository's working tree as a commit on a hidden
ref (`refs/mda/sessions/<session>/turn-<n>`): tracked files as they are on disk,
untracked files, and small ignored files such as `.env` (which `git clean -fdx` would
delete and git has no other copy of). The record is built in a temporary index, so
the user's index, branch and stash are never touched; the ref is never pushed by a
plain `git push`. Secret files git does not track (`.env`, keys) never enter git's
objects, where the agent's `git show` could read them: they are copied to a private
folder of mda's instead (`vault`), outside the agent's reach. `restore_working_tree`
writes a snapshot's files back over the working tree (files created since are kept),
after recording the present state on its own ref so that the restore itself can be
undone.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from my_deepagent.agents.safety_rules import secret_path
from my_deepagent.git.runner import LONG_TIMEOUT_S, MDA_IDENTITY, WorkspaceError, run_git

SNAPSHOT_NAMESPACE = "refs/mda/sessions"
MAX_IGNORED_FILE_BYTES = 256 * 1024
MAX_IGNORED_FILES = 200
MAX_IGNORED_TOTAL_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Snapshot:
    ref: str
    commit: str
    turn: int | None
    created: str
    """ISO 8601 commit time."""


def turn_ref(session_id: str, turn: int) -> str:
    return f"{SNAPSHOT_NAMESPACE}/{session_id}/turn-{turn}"


def vault_dir(data_dir: Path, ref: str) -> Path:
    """Where the secret files of the snapshot on `ref` are kept (in mda's data)."""
    return data_dir / "working-trees" / ref.removeprefix("refs/mda/")


def record_working_tree(repo: Path, ref: str, message: str, vault: Path) -> str:
    """Record the working tree on `ref`, its untracked secret files in `vault` (kept
    when the ref exists: retries are idempotent); the snapshot commit's sha."""
    existing = run_git(["rev-parse", "--verify", "-q", ref], cwd=repo, check=False)
    if existing.returncode == 0:
        return existing.stdout.strip()
    head = run_git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=repo, check=False)
    parent = head.stdout.strip() if head.returncode == 0 else None
    untracked = _listed(repo, ["--others", "--exclude-standard"])
    ignored = _small_ignored_files(repo)
    secrets = [name for name in (*untracked, *ignored) if secret_path(name)]
    _copy_files(repo, vault, secrets)
    with tempfile.TemporaryDirectory(prefix="mda-snapshot-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index"), **MDA_IDENTITY.env()}
        seed_index(repo, Path(env["GIT_INDEX_FILE"]))
        run_git(["add", "-A"], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
        if secrets:
            run_git(["rm", "-q", "--cached", "--ignore-unmatch", "--", *secrets], cwd=repo,
                    extra_env=env)  # fmt: skip
        kept = [name for name in ignored if not secret_path(name)]
        if kept:
            run_git(["add", "-f", "--", *kept], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
        tree = run_git(["write-tree"], cwd=repo, extra_env=env).stdout.strip()
    parents = ["-p", parent] if parent else []
    commit = run_git(
        ["commit-tree", tree, *parents, "-m", message], cwd=repo, extra_env=MDA_IDENTITY.env()
    ).stdout.strip()
    run_git(["update-ref", ref, commit, ""], cwd=repo)
    return commit


def list_snapshots(repo: Path, session_id: str) -> list[Snapshot]:
    """A session's snapshots, oldest turn first."""
    listed = run_git(
        [
            "for-each-ref",
            "--format=%(refname)%09%(objectname)%09%(committerdate:iso-strict)",
            f"{SNAPSHOT_NAMESPACE}/{session_id}/",
        ],
        cwd=repo,
    )
    found: list[Snapshot] = []
    for line in listed.stdout.splitlines():
        ref, commit, created = line.split("\t")
        name = ref.rsplit("/", 1)[-1]
        turn = int(name.removeprefix("turn-")) if name.startswith("turn-") else None
        found.append(Snapshot(ref=ref, commit=commit, turn=turn, created=created))
    return sorted(found, key=lambda s: (s.turn is None, s.turn or 0, s.created))


def restore_working_tree(repo: Path, snapshot: Snapshot, undo_ref: str, data_dir: Path) -> int:
    """Write `snapshot`'s files (and its kept secret files) over the working tree,
    after recording the present state on `undo_ref`; the number of files written."""
    message = f"mda: working tree before restoring {snapshot.ref}"
    record_working_tree(repo, undo_ref, message, vault_dir(data_dir, undo_ref))
    with tempfile.TemporaryDirectory(prefix="mda-restore-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        run_git(["read-tree", snapshot.commit], cwd=repo, extra_env=env)
        run_git(["checkout-index", "-a", "-f"], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
        files = run_git(["ls-files", "-z"], cwd=repo, extra_env=env).stdout
    vault = vault_dir(data_dir, snapshot.ref)
    kept = [p.relative_to(vault).as_posix() for p in vault.rglob("*") if p.is_file()]
    _copy_files(vault, repo, kept)
    return len([name for name in files.split("\0") if name]) + len(kept)


def _listed(repo: Path, options: list[str]) -> list[str]:
    done = run_git(["ls-files", "-z", *options], cwd=repo, timeout_s=LONG_TIMEOUT_S)
    return [name for name in done.stdout.split("\0") if name and not name.endswith("/")]


def _copy_files(source: Path, target: Path, names: list[str]) -> None:
    """Copy regular files (never through a link) from one folder to another, private."""
    for name in names:
        origin = source / name
        if origin.is_symlink() or not origin.is_file():
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if destination.is_symlink():
            destination.unlink()
        shutil.copyfile(origin, destination)
        destination.chmod(0o600)


def seed_index(repo: Path, index: Path) -> None:
    """Start from a copy of the user's index: its stat cache spares re-hashing every
    tracked file (the copy is what changes; the user's index is only read)."""
    found = run_git(["rev-parse", "--git-path", "index"], cwd=repo, check=False)
    source = repo / found.stdout.strip() if found.returncode == 0 else None
    if source is not None and source.is_file():
        shutil.copyfile(source, index)


def _small_ignored_files(repo: Path) -> list[str]:
    """Ignored files (not whole ignored folders such as `node_modules/`) small enough to
    keep, up to a count and a total size."""
    chosen: list[str] = []
    total = 0
    for name in _listed(repo, ["--others", "--ignored", "--exclude-standard", "--directory"]):
        path = repo / name
        try:
            if path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
        except OSError:
            continue
        if size > MAX_IGNORED_FILE_BYTES or total + size > MAX_IGNORED_TOTAL_BYTES:
            continue
        chosen.append(name)
        total += size
        if len(chosen) >= MAX_IGNORED_FILES:
            break
    return chosen


__all__ = [
    "SNAPSHOT_NAMESPACE",
    "Snapshot",
    "WorkspaceError",
    "list_snapshots",
    "record_working_tree",
    "restore_working_tree",
    "turn_ref",
    "vault_dir",
]
