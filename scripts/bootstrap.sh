#!/usr/bin/env bash
# Create .venv with a Python >= 3.11 and install mda with its development tools,
# pinned by constraints.txt. Idempotent: skips the install when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "mda: error: Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2
  return 2
}

if [ ! -x .venv/bin/python ]; then
  py=$(pick_python)
  "$py" -m venv .venv
fi

stamp=.venv/.mda-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt -e '.[dev]'
  echo "$want" > "$stamp"
fi
