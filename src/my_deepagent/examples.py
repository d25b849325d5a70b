"""The example repositories of the quick start, made into real git repositories.

The examples live in the project's `examples/` folder as plain files (a nested `.git`
cannot be committed), so this module copies one into a new folder and makes its first
commit on `main`. The identity and the dates are fixed: it works where no git identity
is configured, and the same example always gets the same commit id.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError
from my_deepagent.git.runner import GitIdentity, run_git

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
DEFAULT_EXAMPLE = "todo-app"
EXAMPLE_BRANCH = "main"
EXAMPLE_IDENTITY = GitIdentity(name="mda example", email="example@localhost")
_EXAMPLE_DATE = "2025-01-01T00:00:00+00:00"
_NOT_COPIED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc", ".git")


def example_names() -> list[str]:
    if not EXAMPLES_DIR.is_dir():
        return []
    return sorted(entry.name for entry in EXAMPLES_DIR.iterdir() if entry.is_dir())


def prepare_example_repo(dest: Path, name: str = DEFAULT_EXAMPLE) -> Path:
    """Copy the example `name` into `dest` (new or empty) and commit it on `main`.

    Returns the repository's realpath. On failure `dest` is left as it was found.
    """
    source = EXAMPLES_DIR / name
    if not source.is_dir():
        available = ", ".join(example_names()) or msg("assets.no_examples_here")
        raise MdaError(msg("assets.no_example", name=repr(name), available=available))
    dest = dest.expanduser()
    existed = dest.exists()
    if existed and (not dest.is_dir() or any(dest.iterdir())):
        raise MdaError(msg("assets.example_folder_not_empty", dest=dest))
    try:
        shutil.copytree(source, dest, ignore=_NOT_COPIED, dirs_exist_ok=True)
        _commit_first(dest, name)
    except BaseException:
        if existed:
            for entry in dest.iterdir():
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        else:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest.resolve()


def _commit_first(repo: Path, name: str) -> None:
    env = {
        **EXAMPLE_IDENTITY.env(),
        "GIT_AUTHOR_DATE": _EXAMPLE_DATE,
        "GIT_COMMITTER_DATE": _EXAMPLE_DATE,
    }
    run_git(["init", "-q"], cwd=repo)
    run_git(["symbolic-ref", "HEAD", f"refs/heads/{EXAMPLE_BRANCH}"], cwd=repo)
    run_git(["add", "-A"], cwd=repo)
    run_git(
        ["-c", "commit.gpgsign=false", "commit", "--no-verify", "-q", "-m", f"{name}: example"],
        cwd=repo,
        extra_env=env,
    )
