"""mda's own tables: the ledger of runs, phases, artifacts, events, approvals, LLM calls.

No imports here: `records` (pydantic only) is what workflows and the CLI may import
cheaply; every other module imports SQLAlchemy. Open the database with
`database.open_database()`, which applies pending migrations first.
"""
