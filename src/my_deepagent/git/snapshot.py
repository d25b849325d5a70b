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

After each turn the working tree is recorded again (`after-<n>`, replaced by a later
attempt of the same turn): the state the session left. `rewind_working_tree` makes the
working tree exactly a snapshot's: its files written back, and the files created
since removed unless ignored. Ignored means ignored by the rules the snapshot recorded
(its `.gitignore` files), not by the ones on disk, which the agent may have rewritten:
the user's ignored files are never deleted, and a file the agent made stays deleted
however it ignored it. Secret files are written back only inside the repository: a
folder on their way that became a link is refused (a warning says so; the copy stays in
mda's vault). Before it,
`outside_changes` names the files changed outside the session since a turn: between
one turn's end and the next one's start, and since the latest turn's end.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from my_deepagent.agents.safety_rules import secret_path
from my_deepagent.git.runner import (
    LONG_TIMEOUT_S,
    MDA_IDENTITY,
    WorkspaceError,
    git_message,
    run_git,
)

SNAPSHOT_NAMESPACE = "refs/mda/sessions"
MAX_IGNORED_FILE_BYTES = 256 * 1024
MAX_IGNORED_FILES = 200
MAX_IGNORED_TOTAL_BYTES = 5 * 1024 * 1024
_CHECK_IGNORE_BATCH = 200
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    ref: str
    commit: str
    turn: int | None
    created: str
    """ISO 8601 commit time."""


def turn_ref(session_id: str, turn: int) -> str:
    return f"{SNAPSHOT_NAMESPACE}/{session_id}/turn-{turn}"


def after_ref(session_id: str, turn: int) -> str:
    """The working tree as the session's turn `turn` left it."""
    return f"{SNAPSHOT_NAMESPACE}/{session_id}/after-{turn}"


def vault_dir(data_dir: Path, ref: str) -> Path:
    """Where the secret files of the snapshot on `ref` are kept (in mda's data)."""
    return data_dir / "working-trees" / ref.removeprefix("refs/mda/")


def record_working_tree(
    repo: Path, ref: str, message: str, vault: Path, *, replace: bool = False
) -> str:
    """Record the working tree on `ref`, its untracked secret files in `vault` (kept
    when the ref exists: retries are idempotent, unless `replace`); the snapshot
    commit's sha."""
    existing = run_git(["rev-parse", "--verify", "-q", ref], cwd=repo, check=False)
    if existing.returncode == 0 and not replace:
        return existing.stdout.strip()
    head = run_git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=repo, check=False)
    parent = head.stdout.strip() if head.returncode == 0 else None
    if replace and vault.exists():
        shutil.rmtree(vault)
    tree, secrets = _present_tree(repo)
    _copy_files(repo, vault, secrets)
    parents = ["-p", parent] if parent else []
    commit = run_git(
        ["commit-tree", tree, *parents, "-m", message], cwd=repo, extra_env=MDA_IDENTITY.env()
    ).stdout.strip()
    run_git(["update-ref", ref, commit, *([] if replace else [""])], cwd=repo)
    return commit


def _present_tree(repo: Path) -> tuple[str, list[str]]:
    """The working tree as a git tree (built in a temporary index), and its untracked
    secret files, which stay out of it."""
    untracked = _listed(repo, ["--others", "--exclude-standard"])
    ignored = _small_ignored_files(repo)
    secrets = [name for name in (*untracked, *ignored) if secret_path(name)]
    with tempfile.TemporaryDirectory(prefix="mda-snapshot-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index"), **MDA_IDENTITY.env(),
               "GIT_LITERAL_PATHSPECS": "1"}  # fmt: skip
        seed_index(repo, Path(env["GIT_INDEX_FILE"]))
        run_git(["add", "-A"], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
        if secrets:
            run_git(["rm", "-q", "--cached", "--ignore-unmatch", "--", *secrets], cwd=repo,
                    extra_env=env)  # fmt: skip
        kept = [name for name in ignored if not secret_path(name)]
        if kept:
            run_git(["add", "-f", "--", *kept], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
        tree = run_git(["write-tree"], cwd=repo, extra_env=env).stdout.strip()
    return tree, secrets


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


def ref_commit(repo: Path, ref: str) -> str | None:
    """The commit `ref` names, or None when there is no such ref."""
    found = run_git(["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], cwd=repo, check=False)
    return found.stdout.strip() if found.returncode == 0 else None


def changed_files(repo: Path, old: str, new: str) -> list[str]:
    """The paths that differ between two recorded trees (commits or trees)."""
    done = run_git(
        ["diff-tree", "-r", "-z", "--no-renames", "--name-only", old, new],
        cwd=repo,
        timeout_s=LONG_TIMEOUT_S,
    )
    return sorted(name for name in done.stdout.split("\0") if name)


def _vault_files(vault: Path) -> dict[str, bytes]:
    if not vault.is_dir():
        return {}
    return {
        p.relative_to(vault).as_posix(): p.read_bytes()
        for p in vault.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _secret_changes(repo: Path, secrets: list[str], vault: Path) -> list[str]:
    """The untracked secret files that differ from the ones kept in `vault`."""
    kept = _vault_files(vault)
    changed = {name for name in kept if name not in secrets}
    for name in secrets:
        path = repo / name
        with_content = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        if kept.get(name) != with_content:
            changed.add(name)
    return sorted(changed)


@dataclass(frozen=True)
class Baseline:
    """What a session recorded of the working tree: the ref of each turn's start, and
    of the state it left after each turn: the turn's end, or the latest rewind of the
    files made after it."""

    before: dict[int, str]
    after: dict[int, str]
    ends: dict[int, str]

    @property
    def latest(self) -> int | None:
        return max(self.before, default=None)


def rewound_ref(session_id: str, latest: int, stamp: str) -> str:
    """The working tree a rewind of the files left, after turn `latest`."""
    return f"{SNAPSHOT_NAMESPACE}/{session_id}/rewound-{latest}-{stamp}"


def session_baseline(repo: Path, session_id: str) -> Baseline:
    before: dict[int, str] = {}
    after: dict[int, str] = {}
    rewound: dict[int, list[str]] = {}
    listed = run_git(
        ["for-each-ref", "--format=%(refname)", f"{SNAPSHOT_NAMESPACE}/{session_id}/"], cwd=repo
    )
    for ref in listed.stdout.split():
        name = ref.rsplit("/", 1)[-1]
        for prefix, into in (("turn-", before), ("after-", after)):
            number = name.removeprefix(prefix)
            if name.startswith(prefix) and number.isdigit():
                into[int(number)] = ref
        turn, _, stamp = name.removeprefix("rewound-").partition("-")
        if name.startswith("rewound-") and turn.isdigit() and stamp:
            rewound.setdefault(int(turn), []).append(ref)
    ends = dict(after)
    ends.update({turn: max(refs) for turn, refs in rewound.items()})
    return Baseline(before=before, after=after, ends=ends)


def outside_changes(repo: Path, session_id: str, turn: int, data_dir: Path) -> list[str]:
    """The files changed outside the session since the start of `turn`: between the
    state one turn left (its end, or a rewind after it) and the start of the next (both
    recorded), and from the state the latest turn left to now. Without a record of the
    latest turn's end (a session recorded before there were any), its start stands in
    for it."""
    baseline = session_baseline(repo, session_id)
    changed: set[str] = set()
    latest = baseline.latest or turn
    for number in range(turn + 1, latest + 1):
        end, start = baseline.ends.get(number - 1), baseline.before.get(number)
        if end is not None and start is not None:
            changed.update(changed_files(repo, end, start))
            changed.update(_vault_changes(data_dir, end, start))
    last = baseline.ends.get(latest) or baseline.before.get(latest)
    if last is None:
        return sorted(changed)
    tree, secrets = _present_tree(repo)
    changed.update(changed_files(repo, last, tree))
    changed.update(_secret_changes(repo, secrets, vault_dir(data_dir, last)))
    return sorted(changed)


def _vault_changes(data_dir: Path, old_ref: str, new_ref: str) -> list[str]:
    old = _vault_files(vault_dir(data_dir, old_ref))
    new = _vault_files(vault_dir(data_dir, new_ref))
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


@dataclass(frozen=True)
class Rewound:
    written: int
    deleted: list[str]


def rewind_working_tree(
    repo: Path, ref: str, undo_ref: str, data_dir: Path, *, done_ref: str | None = None
) -> Rewound:
    """Make the working tree exactly the snapshot on `ref`, after recording the present
    state on `undo_ref` (kept when it exists: a retry does not record the half-rewound
    tree), and the result on `done_ref` (the state the session now stands on). Its
    files are written back, its secret files copied back from its vault, and
    the files it does not have removed, unless git ignores them. The user's index,
    branch and stash are only read."""
    commit = ref_commit(repo, ref)
    if commit is None:
        raise WorkspaceError(f"no working-tree record {ref}")
    message = f"mda: working tree before rewinding to {ref}"
    record_working_tree(repo, undo_ref, message, vault_dir(data_dir, undo_ref))
    vault = vault_dir(data_dir, ref)
    kept = sorted(_vault_files(vault))
    # Each step can be made again: a retry after a failure anywhere completes the rewind
    # (the files written back, then the ones created since removed, then the secrets).
    with tempfile.TemporaryDirectory(prefix="mda-rewind-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        run_git(["read-tree", commit], cwd=repo, extra_env=env)
        wanted = set(_listed_with(repo, env, []))
        run_git(["checkout-index", "-a", "-f"], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
    present = _listed(repo, ["--cached", "--others", "--exclude-standard"], folders=True)
    present += _listed(repo, ["--others", "--ignored", "--exclude-standard", "--directory"],
                       folders=True)  # fmt: skip
    extra = sorted({name for name in present if name not in wanted and name not in kept})
    deleted = _delete_files(repo, _not_ignored_by(repo, commit, extra))
    _copy_files(vault, repo, kept)
    if done_ref is not None:
        message = f"mda: working tree rewound to {ref}"
        record_working_tree(repo, done_ref, message, vault_dir(data_dir, done_ref), replace=True)
    return Rewound(written=len(wanted) + len(kept), deleted=deleted)


def _listed_with(repo: Path, env: dict[str, str], options: list[str]) -> list[str]:
    done = run_git(["ls-files", "-z", *options], cwd=repo, extra_env=env, timeout_s=LONG_TIMEOUT_S)
    return [name for name in done.stdout.split("\0") if name]


def _not_ignored_by(repo: Path, commit: str, names: list[str]) -> list[str]:
    """The files among `names` (a name ending in `/` stands for the files in that
    folder) that the snapshot `commit`'s ignore rules do not match, tracked or not.

    The rules are the `.gitignore` files the snapshot recorded, not the ones on disk:
    whatever the agent made of them, the user's ignored files stay, and the agent
    cannot keep its new files by ignoring them. Those rules are evaluated in an empty
    folder holding only the snapshot's `.gitignore` files (and the folders of the
    names), with the repository's `info/exclude` and excludes file as they are now:
    they are not part of the working tree, so no snapshot holds them."""
    if not names:
        return []
    git_dir = run_git(["rev-parse", "--absolute-git-dir"], cwd=repo).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="mda-rules-") as folder:
        rules = Path(folder)
        env = {"GIT_DIR": git_dir, "GIT_WORK_TREE": folder}
        listed = run_git(["ls-tree", "-r", "-z", "--full-tree", commit], cwd=repo,
                         timeout_s=LONG_TIMEOUT_S).stdout  # fmt: skip
        for entry in listed.split("\0"):
            meta, _, name = entry.partition("\t")
            if name.rsplit("/", 1)[-1] == ".gitignore" and meta.split(" ")[1:2] == ["blob"]:
                blob = run_git(["cat-file", "blob", meta.split(" ")[2]], cwd=repo).stdout
                _write_inside(rules, name, blob.encode())
        files = [name for name in names if not name.endswith("/")]
        folders = [name for name in names if name.endswith("/")]
        chosen = _unmatched(rules, env, files)
        for inside in _unmatched(rules, env, folders):
            found = _listed(repo, ["--others", "--", inside])
            chosen += _unmatched(rules, env, [name for name in found if name not in names])
    return sorted(chosen)


def _unmatched(rules: Path, env: dict[str, str], names: list[str]) -> list[str]:
    """`names` without those the ignore rules in the folder `rules` match; a name whose
    folders cannot be laid out there counts as matched (it is kept)."""
    placed: list[str] = []
    for name in names:
        try:
            (rules / name).parent.mkdir(parents=True, exist_ok=True)
            if name.endswith("/"):
                (rules / name).mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        placed.append(name)
    ignored: set[str] = set()
    for start in range(0, len(placed), _CHECK_IGNORE_BATCH):
        batch = placed[start : start + _CHECK_IGNORE_BATCH]
        paths = [f"./{name}" if name.startswith(":") else name for name in batch]  # no magic
        done = run_git(["-c", "core.quotePath=false", "check-ignore", "--no-index", "--",
                        *paths], cwd=rules, extra_env=env, check=False)  # fmt: skip
        if done.returncode not in (0, 1):  # 1: none matched; anything else is an error
            raise WorkspaceError(f"git check-ignore failed: {git_message(done.stderr)}")
        for line in done.stdout.splitlines():
            path = _unquoted(line)
            ignored.add((path[2:] if path.startswith("./:") else path).rstrip("/"))
    return [name for name in placed if name.rstrip("/") not in ignored]


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquoted(line: str) -> str:
    """A path as git prints it (in double quotes, C escapes, when it has a control
    character, a quote or a backslash; `-z` works only with `--stdin`)."""
    if not (len(line) >= 2 and line[0] == line[-1] == '"'):
        return line
    body, out, index = line[1:-1], bytearray(), 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out += char.encode("utf-8", "surrogateescape")
            index += 1
        elif body[index + 1 : index + 2] in _ESCAPES:
            out.append(_ESCAPES[body[index + 1]])
            index += 2
        else:
            out.append(int(body[index + 1 : index + 4], 8))
            index += 4
    return out.decode("utf-8", "surrogateescape")


def _delete_files(repo: Path, names: list[str]) -> list[str]:
    """Remove files and links (never a folder's contents through a link), then the
    folders that became empty; the paths removed."""
    root = repo.resolve()
    removed: list[str] = []
    for name in names:
        path = repo / name
        try:
            if path.parent.resolve() != (root / name).parent or not (
                path.is_symlink() or path.is_file()
            ):
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(name)
        parent = path.parent
        while parent != repo and parent.is_relative_to(repo):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    return removed


def _listed(repo: Path, options: list[str], *, folders: bool = False) -> list[str]:
    """The paths `git ls-files` prints; a folder (ending in `/`: a whole ignored one, or
    another repository) only with `folders`."""
    done = run_git(["ls-files", "-z", *options], cwd=repo, timeout_s=LONG_TIMEOUT_S,
                   extra_env={"GIT_LITERAL_PATHSPECS": "1"})  # fmt: skip
    return [name for name in done.stdout.split("\0") if name and (folders or name[-1] != "/")]


def _copy_files(source: Path, target: Path, names: list[str]) -> list[str]:
    """Copy regular files (never through a link) from one folder to another, private;
    the names not written because something in the way is not a plain folder (a link:
    then nothing is written, and a warning says so)."""
    refused: list[str] = []
    for name in names:
        origin = source / name
        if origin.is_symlink() or not origin.is_file():
            continue
        try:
            _write_inside(target, name, origin.read_bytes())
        except OSError as exc:
            logger.warning("not written: %s in %s (%s); it is kept in %s", name, target, exc,
                           source)  # fmt: skip
            refused.append(name)
    return refused


def _write_inside(root: Path, name: str, data: bytes) -> None:
    """Write `data` to the file `name` under `root`, private, never through a link or
    out of `root`: each folder is opened without following links (a missing one is
    made), and whatever stands at the file's place is removed (a hard link to another
    file is not written through), then the file created anew."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or {".", ".."} & set(parts):
        raise OSError(errno.EINVAL, "not a relative path", name)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o700, dir_fd=folder)
            inner = os.open(part, _FOLDER_FLAGS, dir_fd=folder)
            os.close(folder)
            folder = inner
        with contextlib.suppress(FileNotFoundError):
            os.unlink(parts[-1], dir_fd=folder)
        out = os.open(parts[-1], _NEW_FILE_FLAGS, 0o600, dir_fd=folder)
        try:
            os.fchmod(out, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(out, view) :]
        finally:
            os.close(out)
    finally:
        os.close(folder)


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
    "Baseline",
    "Rewound",
    "Snapshot",
    "WorkspaceError",
    "after_ref",
    "changed_files",
    "list_snapshots",
    "outside_changes",
    "record_working_tree",
    "ref_commit",
    "restore_working_tree",
    "rewind_working_tree",
    "rewound_ref",
    "session_baseline",
    "turn_ref",
    "vault_dir",
]
