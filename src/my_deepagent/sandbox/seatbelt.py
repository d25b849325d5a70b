"""The macOS sandbox: a `sandbox-exec` (Seatbelt) profile built from a policy.

Deny by default; read the system, the root and its git metadata; write only the root
(minus its git metadata, or minus `hooks/` and `config` with `git: write`), the
scratch `HOME` and a private temporary folder; no network, or outbound network
without loopback when the persona allows it. The profile takes its paths as
parameters (`-D NAME=value`), so no path is ever spliced into the profile's text.
"""

from __future__ import annotations

from pathlib import Path

from my_deepagent.sandbox.policy import GitLayout, SandboxPolicy

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

_BASE = """(version 1)
(deny default)
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow sysctl-read)
(allow mach-lookup)
(allow ipc-posix-shm)
(allow pseudo-tty)
(allow file-ioctl (literal "/dev/tty"))
(allow file-read-metadata)
(allow file-read*
  (literal "/")
  (subpath "/usr") (subpath "/bin") (subpath "/sbin") (subpath "/opt")
  (subpath "/System") (subpath "/Library") (subpath "/Applications")
  (subpath "/private/var/db/dyld") (subpath "/private/var/db/timezone")
  (literal "/private/etc/hosts") (literal "/private/etc/resolv.conf")
  (literal "/private/etc/passwd") (literal "/private/etc/group")
  (subpath "/private/etc/ssl") (literal "/private/etc/localtime")
  (subpath "/dev"))
(allow file-write* (literal "/dev/null") (literal "/dev/tty") (regex #"^/dev/fd/"))
(allow file-read* file-write* (subpath (param "ROOT")) (subpath (param "HOME"))
  (subpath (param "TMP")))
"""


def seatbelt_profile(policy: SandboxPolicy, layout: GitLayout | None) -> str:
    """The profile text; its `param`s come from `seatbelt_parameters`."""
    rules = [_BASE]
    if layout is not None:
        rules.append(
            '(allow file-read* (subpath (param "GIT_COMMON")) (subpath (param "GIT_DIR")))'
        )
        if policy.git_write:
            rules.append(
                '(allow file-write* (subpath (param "GIT_COMMON")) (subpath (param "GIT_DIR")))'
            )
            rules.append(
                '(deny file-write* (subpath (param "GIT_HOOKS")) (literal (param "GIT_CONFIG")))'
            )
        else:
            rules.append(
                '(deny file-write* (subpath (param "GIT_COMMON")) (subpath (param "GIT_DIR"))'
                ' (literal (param "DOT_GIT")))'
            )
    if policy.network:
        rules.append('(allow network-outbound (remote ip "*:*"))')
        rules.append('(deny network-outbound (remote ip "localhost:*"))')
        rules.append("(allow system-socket)")
    return "\n".join(rules) + "\n"


def seatbelt_parameters(
    policy: SandboxPolicy, layout: GitLayout | None, tmp: Path
) -> dict[str, str]:
    params = {"ROOT": str(policy.root), "HOME": str(policy.scratch), "TMP": str(tmp)}
    if layout is not None:
        params |= {
            "GIT_COMMON": str(layout.common_dir),
            "GIT_DIR": str(layout.git_dir),
            "GIT_HOOKS": str(layout.hooks),
            "GIT_CONFIG": str(layout.config),
            "DOT_GIT": str(policy.root / ".git"),
        }
    return params


def seatbelt_argv(
    policy: SandboxPolicy, layout: GitLayout | None, command: str, tmp: Path
) -> list[str]:
    argv = [SANDBOX_EXEC, "-p", seatbelt_profile(policy, layout)]
    for name, value in seatbelt_parameters(policy, layout, tmp).items():
        argv += ["-D", f"{name}={value}"]
    return [*argv, "/bin/sh", "-c", command]
