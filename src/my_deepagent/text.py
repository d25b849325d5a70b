"""Shortening text for one line of output: a quote, a title, a list item."""

from __future__ import annotations


def clip(text: str, limit: int, *, ellipsis: str = "...") -> str:
    """`text` on one line (whitespace runs become one space), cut to at most `limit`
    characters, the cut marked with `ellipsis`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - len(ellipsis)].rstrip() + ellipsis
