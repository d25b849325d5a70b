#!/usr/bin/env bash
# The test command of the README's Quick start (and of CI): set up, then run pytest.
#
# With no arguments: the whole suite twice, side by side, on SQLite and on a throwaway
# PostgreSQL 15 cluster (the second pass runs the tests that can touch mda's
# database; installing postgresql-15 when missing). Each output line is prefixed
# with its pass; the exit code is non-zero when either fails. Without the
# PostgreSQL binaries (and outside CI) only the SQLite pass runs, and says so.
#
# With arguments, one pass, the arguments going to pytest, e.g.
# `bash scripts/test.sh -k server -x`; MDA_TEST_DATABASE=postgresql picks that pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/install-sandbox.sh  # bubblewrap: the tests run the agent's real sandbox
if ! bash scripts/install-chromium.sh; then  # the web GUI tests drive a real Chromium
  [ "${CI:-}" = "true" ] && exit 2
  echo "mda: Chromium is not installed here: the web GUI tests will be skipped" >&2
fi
if [ $# -gt 0 ] || [ -n "${MDA_TEST_DATABASE:-}" ]; then
  exec .venv/bin/python -m pytest "$@"
fi
if ! bash scripts/install-postgres.sh; then
  [ "${CI:-}" = "true" ] && exit 2
  echo "mda: PostgreSQL is not installed here: running the SQLite pass only" >&2
  exec env MDA_TEST_DATABASE=sqlite .venv/bin/python -m pytest
fi

pass() {  # pass NAME: one pytest run on database NAME, its lines prefixed
  set -o pipefail
  MDA_TEST_DATABASE=$1 .venv/bin/python -m pytest -p no:cacheprovider 2>&1 \
    | sed -u "s/^/[$1] /"
}
pass sqlite & sqlite_pid=$!
pass postgresql & postgresql_pid=$!
status=0
wait "$sqlite_pid" || status=1
wait "$postgresql_pid" || status=1
exit "$status"
