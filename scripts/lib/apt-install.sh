#!/usr/bin/env bash
# `apt-install.sh PURPOSE PACKAGE...`: install Debian packages with apt-get, as root or
# through sudo (which may ask for a password); one line naming the manual command
# when that cannot be done here. Callers decide what is missing.
set -euo pipefail
purpose=$1
shift
packages=("$@")

fail() {
  echo "mda: error: cannot install ${packages[*]} here ($1); install them with your" \
    "package manager (Debian/Ubuntu: sudo apt-get install ${packages[*]})" >&2
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
echo "Installing ${packages[*]} for $purpose..."
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null 2>&1; then
  "${as_root[@]}" apt-get update -q >/dev/null || fail "apt-get update failed"
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null \
    || fail "apt-get install failed"
fi
