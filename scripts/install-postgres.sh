#!/usr/bin/env bash
# Install the PostgreSQL 15 server binaries (Debian's postgresql-15) when no
# /usr/lib/postgresql/*/bin/initdb exists: the tests start their own throwaway
# cluster with them (initdb and pg_ctl on a free loopback port), nothing is
# started here. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && exit 0
[ "$(uname -s)" = "Linux" ] || {
  echo "mda: error: the PostgreSQL tests need the server binaries under /usr/lib/postgresql" \
    "(Debian/Ubuntu: apt-get install postgresql-15)" >&2
  exit 2
}
exec bash lib/apt-install.sh "the PostgreSQL tests" postgresql-15
