"""Alembic migrations of mda's tables, applied by `database.ensure_schema()`."""
