#!/usr/bin/env bash
# The first command of the README's Quick start: set up .venv and start the embedded
# Temporal server, offline, with no API key. Prints where the Web UI is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/mda server start
.venv/bin/mda templates list
cat <<'TXT'

Next:
  .venv/bin/mda server status      address, Web UI, pid, database, uptime
  .venv/bin/mda personas list      the shipped personas and their models
  .venv/bin/mda server stop        stop the embedded Temporal server
TXT
