"""The `mda` command line: one module per command group.

Modules here import only typer at import time; anything heavy (temporalio's client,
deepagents, langchain) is imported inside the command that needs it, so that
`mda --help` stays instant.
"""
