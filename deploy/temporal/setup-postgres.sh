#!/bin/sh
# Create Temporal's two databases on the compose PostgreSQL and bring their schemas
# up to this admin-tools image's version. Safe to run again: `create` of an existing
# database fails and is ignored, `update-schema` at the current version changes nothing.
set -eu
schemas=/etc/temporal/schema/postgresql/v12
sql() {  # sql DATABASE COMMAND [ARGS...]
  db=$1
  shift
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" "$@"
}
sql temporal create || true
sql temporal setup-schema -v 0.0
sql temporal update-schema -d "$schemas/temporal/versioned"
sql temporal_visibility create || true
sql temporal_visibility setup-schema -v 0.0
sql temporal_visibility update-schema -d "$schemas/visibility/versioned"
echo "Temporal schemas are up to date"
