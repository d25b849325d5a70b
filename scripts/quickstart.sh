#!/usr/bin/env bash
# The first command of the README's Quick start: set up .venv, then run the
# spec-and-review workflow offline (no API key, no network) on a fresh copy of the
# example repository, approving every gate. Prints the report and the Web UI link.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

repo=$(mktemp -d "${TMPDIR:-/tmp}/mda-quickstart.XXXXXX")/todo-app
.venv/bin/python -c 'import sys
from pathlib import Path
from my_deepagent.examples import prepare_example_repo
print("Example repository:", prepare_example_repo(Path(sys.argv[1])))' "$repo"

.venv/bin/mda start spec-and-review --repo "$repo" --offline --yes \
  -r "Implement the feature request 'due dates' in README.md."

run=$(.venv/bin/mda runs list --limit 1 --json | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')
echo
.venv/bin/mda report "$run" | head -n 16
cat <<TXT

The run's branch is in $repo (git log --oneline mda/run-${run:0:8}).
Next:
  .venv/bin/mda runs show ${run:0:8}       the run, with its Web UI link
  .venv/bin/mda start spec-and-review --repo $repo --offline -r "..."
                                           the same, approving each gate yourself
  (cd $repo && $PWD/.venv/bin/mda chat --offline)
                                           talk to an agent in that repository
  .venv/bin/mda worker stop && .venv/bin/mda server stop
TXT
