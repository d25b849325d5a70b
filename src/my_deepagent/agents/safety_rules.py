"""What an agent may not do to the machine it runs on: the pattern guard, in one place.

An agent works in a git worktree with a real shell. The file tools are confined to the
worktree by the backend (`virtual_mode=True`); the shell runs in an OS sandbox
(`my_deepagent.sandbox`) with no key in its environment. These rules refuse, before
anything runs, the commands that would do damage a `git checkout` cannot undo or that
reach for credentials: deleting or writing outside the worktree, pushing, moving
branches mda did not create, discarding the user's uncommitted work, wrecking disks or
permissions, running a downloaded script, raising privileges, killing by name, and
reading or writing secret files.

They are patterns, the first line before the sandbox: a script the agent writes and
then runs is not read. They exist so that an honest model's mistake is stopped and
explained; each `Refusal` carries one line that tells the model what to do instead,
and the run goes on.

Both checks are pure functions of their arguments (paths are normalised with
`os.path.realpath`, which reads symlinks but changes nothing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import PurePosixPath

from my_deepagent.agents.shell_words import (
    PLACEHOLDER_PATTERN,
    ParsedShell,
    ShellParseError,
    SimpleCommand,
    parse,
)

MAX_NESTING = 8
REFUSED_PREFIX = "Refused by mda's safety rules: "
"""How every refusal starts, whichever guard made it (rules, file checks, sandbox)."""


@dataclass(frozen=True)
class Refusal:
    """Why a call was refused (`rule` names the pattern) and what to do instead."""

    rule: str
    reason: str

    def __str__(self) -> str:
        return self.reason


# --- secret paths -------------------------------------------------------------------

ENV_TEMPLATE_SUFFIXES = frozenset({"example", "sample", "template", "dist", "defaults"})
SECRET_NAMES = frozenset(
    {
        ".envrc",
        ".netrc",
        "_netrc",
        ".npmrc",
        ".pypirc",
        ".pgpass",
        ".git-credentials",
        ".gitconfig",
        ".dockercfg",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        "id_ecdsa_sk",
        "id_ed25519_sk",
        "credentials",
        "credentials.json",
        "service-account.json",
        "client_secret.json",
        "terraform.tfstate",
        "terraform.tfstate.backup",
        ".terraformrc",
        ".vault-token",
        "secrets.yaml",
        "secrets.yml",
        "secrets.json",
        "secrets.toml",
        ".htpasswd",
        ".my.cnf",
        ".boto",
        ".s3cfg",
        "environ",
    }
)
SSH_KEY_STEMS = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
SECRET_NAME_SUFFIXES = (".tfstate", ".env", "-credentials.json", "service-account.json")
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".ppk", ".jks", ".keystore")
SECRET_DIRECTORIES = frozenset({".ssh", ".aws", ".azure", ".gnupg"})
SECRET_TAILS = (
    (".git", "config"),
    (".config", "gcloud"),
    (".config", "gh"),
    (".kube", "config"),
    (".docker", "config.json"),
    (".cargo", "credentials"),
    (".cargo", "credentials.toml"),
    (".gem", "credentials"),
)
SECRET_REASON = (
    "{path} may hold credentials and is off limits; work without it (ask for a "
    "placeholder value in the requirements if you need one)"
)


def secret_path(path: str) -> bool:
    """Whether `path` names a file that may hold credentials (by name, not content)."""
    parts = [
        part for part in PurePosixPath(path.replace("\\", "/")).parts if part not in ("/", ".")
    ]
    if not parts:
        return False
    name = parts[-1]
    if name == ".env" or (name.startswith(".env.") and _not_template(name)):
        return True
    if name in SECRET_NAMES or (name.endswith(SECRET_SUFFIXES) and name not in SECRET_SUFFIXES):
        return True
    if name.startswith(SSH_KEY_STEMS) and not name.endswith(".pub"):
        return True  # id_rsa.bak, id_ed25519.old, ...
    if name.endswith(SECRET_NAME_SUFFIXES) and name not in SECRET_NAME_SUFFIXES:
        return True  # prod.env, app.tfstate, ...
    if any(part in SECRET_DIRECTORIES for part in parts) and not name.endswith(".pub"):
        return True
    return any(_contains_run(parts, tail) for tail in SECRET_TAILS)


def _not_template(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() not in ENV_TEMPLATE_SUFFIXES


def _contains_run(parts: list[str], tail: tuple[str, ...]) -> bool:
    width = len(tail)
    return any(tuple(parts[i : i + width]) == tail for i in range(len(parts) - width + 1))


# --- file tools -----------------------------------------------------------------------


def check_path(path: str) -> Refusal | None:
    """Judge a path given to a file tool, where `/` is the worktree's root (file-tool
    paths are virtual: the backend maps them under the worktree)."""
    if path.startswith("~") or ".." in PurePosixPath(path).parts:
        return Refusal(
            "path-escape",
            f"{path} leaves the worktree; use a path inside it, written from its root "
            "(for example /src/app.py)",
        )
    if secret_path(path):
        return Refusal("secret-path", SECRET_REASON.format(path=path))
    return None


# --- shell commands -------------------------------------------------------------------

PRIVILEGE = frozenset({"sudo", "su", "doas", "pkexec", "runuser"})
DISK_TOOLS = frozenset(
    {"fdisk", "sfdisk", "gdisk", "parted", "wipefs", "mkswap", "swapon", "swapoff"}
    | {"blkdiscard", "mount", "umount", "losetup", "cryptsetup"}
)
POWER = frozenset({"shutdown", "reboot", "halt", "poweroff", "init", "telinit"})
OWNERSHIP = frozenset({"chown", "chgrp"})
KILL_BY_NAME = frozenset({"pkill", "killall", "skill", "slay"})
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "csh", "tcsh"})
INTERPRETERS = SHELLS | frozenset({"python", "perl", "ruby", "node", "php", "source", ".", "eval"})
WRAPPERS = frozenset(
    {"env", "command", "builtin", "exec", "nohup", "time", "nice", "ionice", "timeout"}
    | {"stdbuf", "xargs", "unbuffer", "setsid"}
)
WRAPPER_OPTIONS_WITH_VALUE = frozenset(
    {"-u", "-n", "-c", "-I", "-i", "-P", "-L", "-s", "-d", "-E", "-k", "-o", "-e"}
)
KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"}
    | {"case", "esac", "in", "function", "select", "coproc"}
)
WRITERS_ALL_ARGS = frozenset(
    {"mv", "rm", "rmdir", "unlink", "touch", "mkdir", "truncate", "shred", "tee"}
)
WRITERS_LAST_ARG = frozenset({"cp", "install", "ln", "rsync", "scp"})
HARMLESS_DEVICES = frozenset(
    {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/random"}
    | {"/dev/urandom"}
)
GIT_OPTIONS_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--exec-path"}
)
GIT_CREDENTIAL_KEY = re.compile(r"credential|url|token|password|extraheader|auth", re.I)
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_FORK_BOMB = re.compile(r"([\w:.]+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*&?\s*\1")
_FORK_BOMB_REASON = "that is a fork bomb; run the command you need once"


@dataclass(frozen=True)
class _Scope:
    worktree: str
    own_branches: frozenset[str]
    current_branch: str | None


Rule = Callable[[list[str], _Scope, "str | None"], "Refusal | None"]


def check_command(
    command: str,
    *,
    worktree: str | os.PathLike[str],
    own_branches: Collection[str] = (),
    current_branch: str | None = None,
) -> Refusal | None:
    """Judge a shell command line run with the worktree as its working directory.

    `own_branches` are the branches mda created (force-moving them is allowed);
    `current_branch` is the branch checked out in the worktree, when known.
    """
    scope = _Scope(os.path.realpath(worktree), frozenset(own_branches), current_branch)
    return _check_text(command, scope, depth=0)


def _check_text(text: str, scope: _Scope, depth: int) -> Refusal | None:
    if depth > MAX_NESTING:
        return Refusal("unparseable", "the command nests too deeply; split it into steps")
    if _FORK_BOMB.search(text):
        return Refusal("fork-bomb", _FORK_BOMB_REASON)
    try:
        parsed = parse(text)
    except ShellParseError as exc:
        return Refusal(
            "unparseable",
            f"mda could not parse this command ({exc}); balance its quotes or split it into steps",
        )
    for body in parsed.substitutions:
        refusal = _check_text(body, scope, depth + 1)
        if refusal is not None:
            return refusal
    refusal = _check_pipelines(parsed)
    if refusal is not None:
        return refusal
    cwd: str | None = scope.worktree
    for simple in parsed.commands:
        refusal = _check_simple(simple, parsed, scope, cwd, depth)
        if refusal is not None:
            return refusal
        cwd = _next_cwd(simple.argv, cwd)
    return None


def _check_simple(
    simple: SimpleCommand, parsed: ParsedShell, scope: _Scope, cwd: str | None, depth: int
) -> Refusal | None:
    for target in simple.writes:
        refusal = _check_shell_path(target, cwd, scope, writing=True)
        if refusal is not None:
            return refusal
    for source in simple.reads:
        refusal = _check_shell_path(source, cwd, scope, writing=False)
        if refusal is not None:
            return refusal
    printing = simple.argv[:1] in (("echo",), ("printf",))
    for word in () if printing else simple.argv:
        for candidate in (word, word.partition("=")[2]):
            if candidate and secret_path(candidate):
                return Refusal("secret-path", SECRET_REASON.format(path=candidate))
    argv = _unwrap(list(simple.argv))
    if not argv:
        return None
    program = _program(argv[0])
    if PLACEHOLDER_PATTERN.fullmatch(argv[0]) and _downloads(parsed, argv[0]):
        return _download_refusal()
    rule = _rule_for(program)
    if rule is not None:
        refusal = rule(argv, scope, cwd)
        if refusal is not None:
            return refusal
    if program in INTERPRETERS:
        return _check_interpreter(argv, parsed, scope, depth)
    return None


def _check_interpreter(
    argv: list[str], parsed: ParsedShell, scope: _Scope, depth: int
) -> Refusal | None:
    if any(_downloads(parsed, word) for word in argv[1:]):
        return _download_refusal()
    program = _program(argv[0])
    if program == "eval":
        return _check_text(" ".join(argv[1:]), scope, depth + 1)
    if program in SHELLS:
        script = _shell_script(argv[1:])
        if script is not None:
            return _check_text(script, scope, depth + 1)
    return None


def _shell_script(args: list[str]) -> str | None:
    """The string after `-c` (also in `-lc`, `-ec`, ...), if the shell was given one."""
    for index, word in enumerate(args):
        if word.startswith("-") and not word.startswith("--") and "c" in word[1:]:
            return args[index + 1] if index + 1 < len(args) else None
        if not word.startswith("-"):
            return None
    return None


def _downloads(parsed: ParsedShell, word: str) -> bool:
    """Whether `word` stands for a substitution whose body runs a downloader."""
    for match in PLACEHOLDER_PATTERN.finditer(word):
        body = parsed.substitutions[int(match.group(1))]
        try:
            inner = parse(body)
        except ShellParseError:
            return True
        if any(_program(c.argv[0]) in DOWNLOADERS for c in inner.commands if c.argv):
            return True
    return False


def _download_refusal() -> Refusal:
    return Refusal(
        "download-to-shell",
        "running a downloaded script is refused; download it to a file in the worktree, "
        "read it, and run only what you need",
    )


def _check_pipelines(parsed: ParsedShell) -> Refusal | None:
    downloading = False
    for simple in parsed.commands:
        argv = _unwrap(list(simple.argv))
        program = _program(argv[0]) if argv else ""
        if not simple.piped:
            downloading = False
        if downloading and program in INTERPRETERS | PRIVILEGE:
            return _download_refusal()
        downloading = downloading or program in DOWNLOADERS
    return None


def _program(word: str) -> str:
    name = word.rsplit("/", 1)[-1]
    return re.sub(r"(\d+(\.\d+)*)$", "", name) if name.startswith("python") else name


def _unwrap(argv: list[str]) -> list[str]:
    """The command a wrapper (`env`, `nohup`, `xargs`, `timeout`, ...) would run."""
    while argv:
        first = argv[0]
        if _ASSIGNMENT.match(first) or first in KEYWORDS:
            argv = argv[1:]
        elif _program(first) in WRAPPERS:
            argv = _skip_wrapper_options(_program(first), argv[1:])
        else:
            return argv
    return argv


def _skip_wrapper_options(wrapper: str, args: list[str]) -> list[str]:
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return args[index + 1 :]
        if word.startswith("-"):
            index += 2 if word in WRAPPER_OPTIONS_WITH_VALUE else 1
        elif wrapper == "env" and re.match(r"^\w+=", word):
            index += 1
        elif wrapper == "timeout" and re.match(r"^[\d.]+[smhd]?$", word):
            return args[index + 1 :]
        elif wrapper in ("nice", "ionice") and word.lstrip("-").isdigit():
            index += 1
        else:
            return args[index:]
    return []


def _next_cwd(argv: tuple[str, ...], cwd: str | None) -> str | None:
    """Follow `cd`, so that `cd .. && rm -rf x` is judged from the right place."""
    words = _unwrap(list(argv))
    if not words or words[0] not in ("cd", "pushd"):
        return cwd
    args = [w for w in words[1:] if not w.startswith("-")]
    if not args or cwd is None:
        return None
    return _resolve(args[0], cwd)


def _resolve(word: str, cwd: str | None) -> str | None:
    """The real path `word` names, or None when the shell decides (`~`, `$X`, `cd -`)."""
    if cwd is None or word.startswith("~") or "$" in word or PLACEHOLDER_PATTERN.search(word):
        return None
    return os.path.realpath(os.path.join(cwd, word))  # noqa: PTH118 - str paths, no Path objects


def _inside(path: str | None, scope: _Scope) -> bool:
    if path is None:
        return False
    return path == scope.worktree or path.startswith(scope.worktree.rstrip("/") + "/")


def _write_outside(word: str, rule: str = "write-outside") -> Refusal:
    if _resolve(word, "/") is None:
        return Refusal(
            rule,
            f"{word} depends on what the shell expands; spell out a path inside the worktree",
        )
    return Refusal(
        rule,
        f"writing or deleting {word} outside the worktree is refused; work under the "
        "worktree instead (for example ./tmp/)",
    )


def _check_shell_path(
    word: str, cwd: str | None, scope: _Scope, *, writing: bool
) -> Refusal | None:
    if secret_path(word):
        return Refusal("secret-path", SECRET_REASON.format(path=word))
    if not writing or word in HARMLESS_DEVICES or word.startswith("/dev/fd/"):
        return None
    if not _inside(_resolve(word, cwd), scope):
        return _write_outside(word)
    return None


def _operands(args: list[str]) -> list[str]:
    """Arguments that are not options (everything after `--` counts)."""
    operands: list[str] = []
    options_done = False
    for word in args:
        if word == "--" and not options_done:
            options_done = True
        elif options_done or not word.startswith("-") or word == "-":
            operands.append(word)
    return operands


# --- rules per program ------------------------------------------------------------------


def _privilege(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal:
    return Refusal(
        "privilege",
        f"{_program(argv[0])} is refused: you run without extra privileges; do the work "
        "as the current user inside the worktree",
    )


def _disk(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal:
    return Refusal(
        "disk-wreck",
        f"{_program(argv[0])} changes disks or mounts and is refused; it is never needed "
        "to work on the repository",
    )


def _ownership(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal:
    return Refusal(
        "ownership",
        f"{_program(argv[0])} is refused: file ownership stays as it is; use chmod on "
        "files inside the worktree if a file must be executable",
    )


def _power(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal:
    return Refusal(
        "power",
        f"{_program(argv[0])} is refused; never stop or restart the machine, finish the "
        "task instead",
    )


def _kill_by_name(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal:
    return Refusal(
        "kill-broad",
        f"{_program(argv[0])} kills by name and may hit processes that are not yours; "
        "kill the process id you started",
    )


def _kill(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    args = argv[1:]
    if args[:1] in (["-s"], ["-n"]):
        args = args[2:]
    elif args and args[0].startswith("-") and args[0] != "--":
        args = args[1:]
    if any(target in ("-1", "0") for target in _operands(args) + args):
        return Refusal(
            "kill-broad",
            "kill -1 / kill 0 signal every process you own; kill the process id you started",
        )
    return None


def _dd(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    for word in argv[1:]:
        if word.startswith("of="):
            target = word[3:]
            if target.startswith("/dev/") and target not in HARMLESS_DEVICES:
                return Refusal(
                    "disk-wreck",
                    f"dd onto the device {target} is refused; write to a file in the worktree",
                )
            return _check_shell_path(target, cwd, scope, writing=True)
    return None


def _chmod(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    operands = _operands(argv[1:])
    for target in operands[1:]:
        if not _inside(_resolve(target, cwd), scope):
            return Refusal(
                "permission-wreck",
                f"changing permissions of {target}, outside the worktree, is refused; "
                "chmod only files inside the worktree",
            )
    return None


def _rm(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    options = [w for w in argv[1:] if w.startswith("-") and w != "--"]
    recursive = any(
        w in ("--recursive", "-R") or (w[1:2] != "-" and "r" in w.lower()) for w in options
    )
    rule = "recursive-delete" if recursive else "write-outside"
    for target in _operands(argv[1:]):
        path = _resolve(target, cwd)
        if not _inside(path, scope):
            return _write_outside(target, rule)
        if recursive and path == scope.worktree:
            return Refusal(
                rule,
                "deleting the whole worktree is refused; delete the specific files or "
                "directories you mean",
            )
    return None


def _writer(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    program = _program(argv[0])
    if program in ("rm", "rmdir", "unlink"):
        return _rm(argv, scope, cwd)
    operands = _operands(argv[1:])
    if program in WRITERS_LAST_ARG:
        targets = operands[-1:] if len(operands) > 1 else []
        targets += [w.split("=", 1)[1] for w in argv if w.startswith("--target-directory=")]
        targets += [argv[i + 1] for i, w in enumerate(argv[:-1]) if w == "-t"]
    else:
        targets = operands
    for target in targets:
        if not _inside(_resolve(target, cwd), scope) and target not in HARMLESS_DEVICES:
            return _write_outside(target)
    return None


def _sed(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    if not any(w.startswith("-i") or w.startswith("--in-place") for w in argv[1:]):
        return None
    has_script_option = any(w in ("-e", "-f") or w.startswith("--expression") for w in argv)
    operands = _operands(argv[1:])
    files = operands if has_script_option else operands[1:]
    for target in files:
        if not _inside(_resolve(target, cwd), scope):
            return _write_outside(target)
    return None


def _find(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    args = argv[1:]
    roots: list[str] = []
    for word in args:
        if word.startswith("-") or word in ("(", "!", ")"):
            break
        roots.append(word)
    destructive = any(w in ("-delete", "-exec", "-execdir", "-ok", "-okdir") for w in args)
    if not destructive:
        return None
    for root in roots or ["."]:
        if not _inside(_resolve(root, cwd), scope):
            return Refusal(
                "recursive-delete",
                f"find {root} with -delete/-exec reaches outside the worktree; search "
                "inside the worktree",
            )
    for index, word in enumerate(args):
        if word in ("-exec", "-execdir", "-ok", "-okdir"):
            inner = [w for w in args[index + 1 :]]
            end = next((i for i, w in enumerate(inner) if w in (";", "+")), len(inner))
            inner_argv = [(roots or ["."])[0] if w == "{}" else w for w in inner[:end]]
            if inner_argv:
                command = SimpleCommand(tuple(inner_argv))
                refusal = _check_simple(command, ParsedShell((), ()), scope, cwd, 1)
                if refusal is not None:
                    return refusal
    return None


def _git_parts(argv: list[str]) -> tuple[list[str], str, list[str]]:
    """git's global options, its subcommand, and the subcommand's arguments."""
    index = 1
    globals_: list[str] = []
    while index < len(argv):
        word = argv[index]
        if word in GIT_OPTIONS_WITH_VALUE:
            globals_ += argv[index : index + 2]
            index += 2
        elif word.startswith("-"):
            globals_.append(word)
            index += 1
        else:
            return globals_, word, argv[index + 1 :]
    return globals_, "", []


def _git(argv: list[str], scope: _Scope, cwd: str | None) -> Refusal | None:
    globals_, sub, args = _git_parts(argv)
    rules = (_git_globals, _git_push, _git_branch_moves, _git_discards, _git_worktree)
    for rule in (*rules, _git_credentials):
        refusal = rule(globals_, sub, args, scope, cwd)
        if refusal is not None:
            return refusal
    return None


def _git_globals(
    globals_: list[str], sub: str, args: list[str], scope: _Scope, cwd: str | None
) -> Refusal | None:
    for index, word in enumerate(globals_):
        value = globals_[index + 1] if index + 1 < len(globals_) else ""
        if word == "-c" and value.lower().startswith("alias."):
            return Refusal(
                "git-push",
                "defining git aliases on the command line is refused; run the git command itself",
            )
        directory = value if word in ("-C", "--git-dir", "--work-tree") else ""
        if "=" in word and word.split("=", 1)[0] in ("--git-dir", "--work-tree"):
            directory = word.split("=", 1)[1]
        if directory and not _inside(_resolve(directory, cwd), scope):
            return Refusal(
                "git-outside",
                f"git on {directory}, outside the worktree, is refused; run git in the worktree",
            )
    return None


def _git_push(
    globals_: list[str], sub: str, args: list[str], scope: _Scope, cwd: str | None
) -> Refusal | None:
    if sub in ("push", "send-pack"):
        return Refusal(
            "git-push",
            "git push is refused: commit your work on the current branch; mda publishes "
            "the branch after review",
        )
    return None


def _git_branch_moves(
    globals_: list[str], sub: str, args: list[str], scope: _Scope, cwd: str | None
) -> Refusal | None:
    named: list[str] = []
    if sub == "reset" and "--hard" in args:
        named.append(
            f"branch {scope.current_branch}" if scope.current_branch else "the checked-out branch"
        )
    elif sub == "branch" and any(
        w in ("-D", "-f", "--force", "-m", "-M", "-C") or (w.startswith("-") and "D" in w)
        for w in args
    ):
        named += [f"branch {w}" for w in _operands(args)]
    elif sub == "checkout" or sub == "switch":
        for index, word in enumerate(args[:-1]):
            if word in ("-B", "-C", "--force-create"):
                named.append(f"branch {args[index + 1]}")
    elif sub == "update-ref":
        named += [f"branch {w.removeprefix('refs/heads/')}" for w in _operands(args)[:1]]
    own = {f"branch {name}" for name in scope.own_branches}
    foreign = [name for name in named if name not in own]
    if foreign:
        return Refusal(
            "git-foreign-branch",
            f"force-moving {foreign[0]} is refused: it is not a branch mda created; make "
            "changes with new commits on your own branch",
        )
    return None


_EVERYTHING = frozenset({".", "./", ":/", ":/.", "*", ":(top)", ":(top).", "-A", "--all"})


def _git_discards(
    globals_: list[str], sub: str, args: list[str], scope: _Scope, cwd: str | None
) -> Refusal | None:
    """Commands that throw away uncommitted work git keeps no copy of (allowed on a
    branch mda created: a run's worktree holds nothing of the user's)."""
    if scope.current_branch is not None and scope.current_branch in scope.own_branches:
        return None
    what = ""
    if sub == "stash" and args[:1] in (["drop"], ["clear"]):
        what = f"git stash {args[0]} destroys stashed work"
    elif sub == "clean" and any(
        w in ("--ignored",) or (w.startswith("-") and not w.startswith("--") and "x" in w.lower())
        for w in args
    ):
        what = "git clean -x deletes ignored files (.env, local settings) git has no copy of"
    elif sub in ("checkout", "restore") and any(w in _EVERYTHING for w in _operands(args)):
        staged_only = sub == "restore" and "--staged" in args and "--worktree" not in args
        if not staged_only:
            what = f"git {sub} of everything discards every uncommitted change"
    if not what:
        return None
    return Refusal(
        "git-discard",
        f"{what}; it is refused. Undo your own change file by file "
        "(git restore path/to/file), or leave the user's work as it is",
    )


def _git_worktree(
    globals_: list[str], sub: str, args: list[str], scope: _Scope, cwd: str | None
) -> Refusal | None:
    if sub == "worktree" and args[:1] and args[0] not in ("list",):
        return Refusal(
            "git-worktree-admin",
            f"git worktree {args[0]} is refused: worktrees belong to mda; work in this one",
        )
    return None


def _git_credentials(
    globals_: list[str], sub: str, args: list[str], scope: _Scope, cwd: str | None
) -> Refusal | None:
    reason = (
        "git credentials and remote URLs are off limits (they may hold tokens); you do "
        "not need the remote to do the work"
    )
    if sub.startswith("credential"):
        return Refusal("git-credentials", reason)
    if sub == "config":
        listing = any(
            w in ("-l", "--list", "--get-regexp", "--show-origin", "--get-urlmatch") for w in args
        )
        keys = [w for w in _operands(args)[:1]]
        if listing or any(GIT_CREDENTIAL_KEY.search(key) for key in keys):
            return Refusal("git-credentials", reason)
    if sub == "remote" and any(w in ("-v", "--verbose", "get-url", "show") for w in args):
        return Refusal("git-credentials", reason)
    if sub == "var" and any(w in ("-l", "--list") for w in args):
        return Refusal("git-credentials", reason)
    if sub == "ls-remote" and any(w.startswith("--get-url") for w in args):
        return Refusal("git-credentials", reason)
    return None


_PROGRAM_RULES: dict[str, Rule] = {
    **{name: _privilege for name in PRIVILEGE},
    **{name: _disk for name in DISK_TOOLS},
    **{name: _power for name in POWER},
    **{name: _ownership for name in OWNERSHIP},
    **{name: _kill_by_name for name in KILL_BY_NAME},
    **{name: _writer for name in WRITERS_ALL_ARGS | WRITERS_LAST_ARG | {"rmdir", "unlink"}},
    "kill": _kill,
    "dd": _dd,
    "chmod": _chmod,
    "sed": _sed,
    "find": _find,
    "git": _git,
}


def _rule_for(program: str) -> Rule | None:
    if program.startswith(("mkfs", "mke2fs")):
        return _disk
    return _PROGRAM_RULES.get(program)
