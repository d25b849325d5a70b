"""Temporal workflows: they decide, activities do the I/O.

Modules here import only what Temporal's workflow sandbox allows; pydantic models
they share with activities come from `run_types.py` (pure pydantic).
"""
