"""Temporal activities: every piece of I/O a workflow asks for (git, files, the
database, model calls). Each takes and returns one small pydantic model from
`workflows/run_types.py`: ids and references, never bodies."""
