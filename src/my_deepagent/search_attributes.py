"""The search attributes mda puts on its workflows, so the Temporal Web UI and
`temporal workflow list --query` can filter runs and sessions by repository,
template and kind.

They are Keyword attributes (exact match; SQLite visibility allows 10 of them). The
embedded server registers them at every start (`embedded/namespace.py`): the dev
server's `--search-attribute` flag only applies when its database file is created.
A configured server needs them registered once by its operator (`temporal operator
search-attribute create --name MdaRepo --type Keyword`, and so on).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MDA_REPO = SearchAttributeKey.for_keyword("MdaRepo")
"""The repository a run works on (its absolute path)."""

MDA_TEMPLATE = SearchAttributeKey.for_keyword("MdaTemplate")
"""The workflow template of a run (its id)."""

MDA_KIND = SearchAttributeKey.for_keyword("MdaKind")
"""`run`, `phase` or `session`."""

ALL_KEYS: tuple[SearchAttributeKey[str], ...] = (MDA_REPO, MDA_TEMPLATE, MDA_KIND)
