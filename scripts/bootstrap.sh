#!/usr/bin/env bash
# Create .venv with a Python >= 3.11 and install mda with its development tools,
# pinned by constraints.txt. Idempotent: skips the install when nothing changed.
# Python 3.11 comes first: constraints.txt was frozen with it.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
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
want=$(.venv/bin/python -c 'import hashlib, sys
files = (open(name, "rb").read() for name in ("pyproject.toml", "constraints.txt"))
print(hashlib.sha256(b"".join(files) + sys.version.encode()).hexdigest())')
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt -e '.[dev]'
  echo "$want" > "$stamp"
fi
