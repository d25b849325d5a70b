#!/usr/bin/env bash
# Install what the agent's shell sandbox needs on Linux, when it is missing:
# bubblewrap (the sandbox) and slirp4netns (outbound network for personas that allow
# it). macOS needs nothing: sandbox-exec ships with the system. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

[ "$(uname -s)" = "Linux" ] || exit 0
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v slirp4netns >/dev/null 2>&1 || missing+=(slirp4netns)
[ ${#missing[@]} -eq 0 ] && exit 0
exec bash lib/apt-install.sh "the agent's shell sandbox" "${missing[@]}"
