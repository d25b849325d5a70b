#!/usr/bin/env bash
# The test command of the README's Quick start (and of CI): set up, then run pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k server -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/install-sandbox.sh  # bubblewrap: the tests run the agent's real sandbox
exec .venv/bin/python -m pytest "$@"
