"""`python -m my_deepagent` is `mda`."""

from my_deepagent.cli.main import run

run()
