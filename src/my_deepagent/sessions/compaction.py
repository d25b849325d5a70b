"""When a session's context is compacted, and which messages a compaction replaces.

A session's context grows with every turn; past `threshold x window` tokens of the
session model's window the oldest live messages are summarised into one summary row
and archived, while the `KEEP_RECENT` most recent messages stay as they are, so the
turn in progress keeps its exact wording. An earlier summary is older than every kept
message by construction, so it is summarised again with the rest: a session has at
most one live summary, and what it carried survives. The summary's format is
`summary_format.py`, the summariser `summary.py`. The default threshold is the
`compact_threshold` setting.

The planning here is pure arithmetic over `TranscriptMessage` values, which the caller
builds from database rows: the workflow decides when, an activity applies the plan.
A plan that would archive fewer than `MIN_COMPACTABLE` messages is refused with one
line the user reads after `/compact`, since summarising two messages saves nothing;
it is English, as the worker's activity records it, and keeps its catalogue key and
fields so the client says it in the person's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from my_deepagent.catalogue import english
from my_deepagent.errors import ConfigError
from my_deepagent.sessions.summary_format import TranscriptMessage

__all__ = [
    "KEEP_RECENT",
    "MIN_COMPACTABLE",
    "CompactionPlan",
    "CompactionRefusal",
    "TranscriptMessage",
    "compaction_threshold_tokens",
    "plan_compaction",
    "should_compact",
    "tokens_after",
]

KEEP_RECENT = 10
MIN_COMPACTABLE = 4


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:
        raise ConfigError(english("chat.compaction_threshold_range", threshold=threshold))


def compaction_threshold_tokens(window: int, threshold: float) -> int:
    """The context size (tokens) above which a session with this window is compacted."""
    _check_threshold(threshold)
    if window <= 0:
        raise ValueError(f"a context window must be positive, not {window}")
    return int(window * threshold)


def should_compact(context_tokens: int, window: int, threshold: float) -> bool:
    """True when the context holds strictly more than `threshold x window` tokens.

    Comparing with the floor is exact: an integer count exceeds `window x threshold`
    exactly when it exceeds that product's integer part.
    """
    return context_tokens > compaction_threshold_tokens(window, threshold)


@dataclass(frozen=True)
class CompactionPlan:
    """What one compaction does: summarise `to_summarise`, archive their seqs."""

    to_summarise: tuple[TranscriptMessage, ...]
    archive_seqs: tuple[int, ...]
    kept_seqs: tuple[int, ...]
    tokens_before: int
    tokens_archived: int


@dataclass(frozen=True)
class CompactionRefusal:
    """Why nothing is compacted: `reason` is one sentence for the user (English), `key`
    and `fields` the catalogue message it is; `older` counts the non-summary messages
    older than the kept ones."""

    reason: str
    older: int
    key: str | None = None
    fields: Mapping[str, str | int] = field(default_factory=dict)

    @classmethod
    def english(cls, key: str, /, *, older: int, **fields: int) -> CompactionRefusal:
        """The refusal saying catalogue message `key` in English, key and fields kept."""
        return cls(reason=english(key, **fields), older=older, key=key, fields=fields)


def _refusal(older: int, total: int, keep_recent: int, min_compactable: int) -> CompactionRefusal:
    limits = {"keep": keep_recent, "least": min_compactable}
    refuse = CompactionRefusal
    if total <= keep_recent:
        if total == 1:
            return refuse.english(
                "chat.compaction_session_has_one", older=older, count=total, **limits
            )
        return refuse.english("chat.compaction_session_has", older=older, count=total, **limits)
    if older == 0:
        return refuse.english("chat.compaction_none_older", older=older, **limits)
    if older == 1:
        return refuse.english("chat.compaction_one_older", older=older, count=older, **limits)
    return refuse.english("chat.compaction_few_older", older=older, count=older, **limits)


def plan_compaction(
    live: Sequence[TranscriptMessage],
    *,
    keep_recent: int = KEEP_RECENT,
    min_compactable: int = MIN_COMPACTABLE,
) -> CompactionPlan | CompactionRefusal:
    """The plan for `live` (display order: a summary first, then by seq), or why not.

    The last `keep_recent` non-summary messages are kept; everything before them, an
    earlier summary included, is summarised and archived. Only non-summary messages
    count towards `min_compactable`: re-summarising a summary alone gains nothing.
    """
    if keep_recent < 0 or min_compactable < 1:
        raise ValueError("keep_recent must be >= 0 and min_compactable >= 1")
    ordinary = [index for index, message in enumerate(live) if not message.is_summary]
    boundary = len(live) if keep_recent == 0 else 0
    if 0 < keep_recent <= len(ordinary):
        boundary = ordinary[-keep_recent]
    older, kept = tuple(live[:boundary]), tuple(live[boundary:])
    older_ordinary = sum(not message.is_summary for message in older)
    if older_ordinary < min_compactable:
        return _refusal(older_ordinary, len(ordinary), keep_recent, min_compactable)
    return CompactionPlan(
        to_summarise=older,
        archive_seqs=tuple(message.seq for message in older),
        kept_seqs=tuple(message.seq for message in kept),
        tokens_before=sum(message.token_count for message in live),
        tokens_archived=sum(message.token_count for message in older),
    )


def tokens_after(plan: CompactionPlan, summary_tokens: int) -> int:
    """The live context's tokens once the plan is applied with a summary this size."""
    return plan.tokens_before - plan.tokens_archived + summary_tokens
