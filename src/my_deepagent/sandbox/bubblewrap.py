"""The Linux sandbox: a bubblewrap (`bwrap`) command line built from a policy.

The sandbox starts from an empty root and mounts only what the policy allows:
system folders read-only, a short list of `/etc` files (not `shadow`, not the
system git or npm config), a fresh `/proc` of its own process namespace (no other
process's `environ`), a private `/tmp`, the scratch folder as `HOME`, and the root
read-write with its git metadata read-only. Every namespace is unshared, the network
included (a loopback of its own, none of the host's), capabilities are dropped, the
environment is cleared, and the sandbox dies with the process that started it.
"""

from __future__ import annotations

from pathlib import Path

from my_deepagent.sandbox.policy import SANDBOX_HOME, GitLayout, SandboxPolicy

BWRAP = "bwrap"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")
ETC_ENTRIES = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "debian_version",
    "gai.conf",
    "group",
    "host.conf",
    "hostname",
    "hosts",
    "inputrc",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "locale.alias",
    "localtime",
    "magic",
    "magic.mime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "pki",
    "profile",
    "protocols",
    "python3",
    "python3.11",
    "python3.12",
    "python3.13",
    "resolv.conf",
    "services",
    "ssl",
    "timezone",
)


def system_mounts() -> list[str]:
    """Read-only system folders (a merged-/usr symlink stays a symlink) and `/etc`."""
    args: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for entry in ETC_ENTRIES:
        path = Path("/etc") / entry
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def git_mounts(policy: SandboxPolicy, layout: GitLayout, redacted_config: Path | None) -> list[str]:
    """The git metadata: read-only, or writable without `hooks/` and `config`."""
    bind = "--bind" if policy.git_write else "--ro-bind"
    args = [bind, str(layout.common_dir), str(layout.common_dir)]
    if layout.git_dir != layout.common_dir:
        args += [bind, str(layout.git_dir), str(layout.git_dir)]
    if policy.git_write and not layout.hooks.exists():
        layout.hooks.mkdir()  # else the agent could create it, with hooks in it
    if layout.hooks.is_dir():
        args += ["--ro-bind", str(layout.hooks), str(layout.hooks)]
    if redacted_config is not None and layout.config.is_file():
        args += ["--ro-bind", str(redacted_config), str(layout.config)]
    worktree_config = layout.git_dir / "config.worktree"
    if worktree_config.is_file():
        args += ["--ro-bind", str(worktree_config), str(worktree_config)]
    dot_git = policy.root / ".git"
    if dot_git.is_file():
        # A linked worktree's `.git` file names its git dir: rewritten, it would point
        # mda's own git commands at a repository of the agent's making.
        args += ["--ro-bind", str(dot_git), str(dot_git)]
    return args


def bwrap_argv(
    policy: SandboxPolicy,
    command: str,
    *,
    layout: GitLayout | None,
    redacted_config: Path | None,
    resolv_conf: Path | None = None,
    info_fd: int | None = None,
    block_fd: int | None = None,
) -> list[str]:
    """The full `bwrap ... -- /bin/sh -c command` line for `policy`.

    `resolv_conf` replaces `/etc/resolv.conf` (the outbound network's resolver);
    `info_fd`/`block_fd` let the caller attach that network before the command runs.
    """
    root = str(policy.root)
    args = [BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += ["--bind", str(policy.scratch), SANDBOX_HOME]
    args += ["--bind", root, root]
    if layout is not None:
        args += git_mounts(policy, layout, redacted_config)
    if resolv_conf is not None:
        args += ["--ro-bind", str(resolv_conf), "/etc/resolv.conf"]
    args += ["--clearenv"]
    for name, value in sorted(policy.environment().items()):
        args += ["--setenv", name, value]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    if block_fd is not None:
        args += ["--block-fd", str(block_fd)]
    args += ["--chdir", root, "--", "/bin/sh", "-c", command]
    return args
