#!/usr/bin/env bash
# Install what the agent's shell sandbox needs on Linux, when it is missing:
# bubblewrap (the sandbox) and slirp4netns (outbound network for personas that allow
# it). Uses apt-get as root, or through sudo (which may ask for your password).
# macOS needs nothing: sandbox-exec ships with the system. Idempotent.
set -euo pipefail

[ "$(uname -s)" = "Linux" ] || exit 0
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v slirp4netns >/dev/null 2>&1 || missing+=(slirp4netns)
[ ${#missing[@]} -eq 0 ] && exit 0

fail() {
  echo "mda: error: cannot install ${missing[*]} here ($1); install them with your" \
    "package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
  exit 2
}
command -v apt-get >/dev/null 2>&1 || fail "no apt-get"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  fail "not root and no sudo"
fi
echo "Installing ${missing[*]} for the agent's shell sandbox..."
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  "${as_root[@]}" apt-get update -q >/dev/null || fail "apt-get update failed"
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install failed"
fi
