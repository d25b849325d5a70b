#!/usr/bin/env bash
# Install Debian's Chromium (the `chromium` package) when no `chromium` is on PATH:
# the web GUI tests (tests/test_web_gui.py) drive it headless through Playwright,
# with Playwright's own browser downloads never used. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

command -v chromium >/dev/null 2>&1 && exit 0
[ "$(uname -s)" = "Linux" ] || {
  echo "mda: error: the web GUI tests need a Chromium binary named 'chromium' on PATH" \
    "(Debian/Ubuntu: apt-get install chromium)" >&2
  exit 2
}
exec bash lib/apt-install.sh "the web GUI tests" chromium
