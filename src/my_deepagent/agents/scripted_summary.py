"""What the offline `scripted` model answers to a compaction summary request.

A pure function of the request's transcript, so a summary is reproducible and tests
can check exactly what survived a compaction. Each of the five sections is filled
from cues a real summariser would also keep:

- Goal: the Goal of the first earlier summary in the transcript, else the first user
  message (shortened);
- Decisions: assistant sentences that state one ("I will", "we'll", "let's", "decided");
- Open tasks: lines that mention TODO, "next" or "still need";
- Files touched: file paths mentioned, in order of first mention;
- Facts the user gave: user sentences about themselves or their rules ("my", "our",
  "always", "never", "must", "prefer", "remember").

Earlier summaries (a previous compaction's, or chunk summaries being merged) come
first in every section, so what one compaction kept the next one keeps too. Each
section holds at most `MAX_ITEMS` short items: a summary stays small however long the
transcript, which is what lets chunk summaries be merged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, HumanMessage

from my_deepagent.sessions.summary_format import SECTIONS, TranscriptMessage, parse_summary_request
from my_deepagent.text import clip
from my_deepagent.tokens import content_text

MAX_ITEMS = 8
GOAL_CHARS = 200
ITEM_CHARS = 160
NONE = "none"

_DECISION = re.compile(r"\b(?:I will|I['’]ll|we will|we['’]ll|let['’]s|decided)\b", re.I)
_OPEN_TASK = re.compile(r"\bTODO\b|\bnext\b|\bstill need", re.I)
_USER_FACT = re.compile(r"\b(?:my|our|always|never|must|prefer|remember)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_FILE_PATH = re.compile(
    r"(?<![\w@:/.-])(/?[\w.-]+(?:/[\w.-]+)+|[\w-][\w.-]*\.[A-Za-z][A-Za-z0-9]{0,9})(?![\w/])"
)
_MENTION_AT = re.compile(r"(^|\s)@", re.M)
_NOT_PATHS = frozenset({"e.g", "i.e", "etc", "vs", "a.m", "p.m"})
_HEADING = re.compile(r"^##\s+(.+?)\s*$")


def _short(text: str, limit: int = ITEM_CHARS) -> str:
    return clip(text, limit)


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def file_paths(text: str) -> list[str]:
    """File paths mentioned in `text` (`@path` mentions too), in order, each once;
    not URLs, e-mail domains or "e.g."."""
    found: list[str] = []
    for match in _FILE_PATH.finditer(_MENTION_AT.sub(r"\1", text)):
        path = match.group(1).rstrip(".")
        if path.lower() not in _NOT_PATHS and path not in found:
            found.append(path)
    return found


def summary_sections(text: str) -> dict[str, list[str]]:
    """The items under each `## <section>` heading of a summary ("none" is no item)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = sections.setdefault(heading.group(1), [])
            continue
        item = line.strip().removeprefix("- ").removeprefix("* ").strip()
        if current is not None and item and item.lower() != NONE:
            current.append(item)
    return sections


def _merged(*groups: Sequence[str]) -> list[str]:
    items: list[str] = []
    for group in groups:
        for item in group:
            if item not in items:
                items.append(item)
    return items[:MAX_ITEMS]


def scripted_summary(transcript: Sequence[TranscriptMessage]) -> str:
    """The five-section summary of `transcript` (see the module docstring)."""
    carried = [summary_sections(m.content) for m in transcript if m.is_summary]
    said = [m for m in transcript if not m.is_summary]
    users = [m for m in said if m.role == "user"]
    goals = [goal for sections in carried for goal in sections.get("Goal", [])[:1]]
    if not goals and users:
        goals = [users[0].content]
    filled = {
        "Goal": [_short(goals[0], GOAL_CHARS)] if goals else [],
        "Decisions": [
            _short(s)
            for m in said
            if m.role == "assistant"
            for s in _sentences(m.content)
            if _DECISION.search(s)
        ],
        "Open tasks": [
            _short(line) for m in said for line in m.content.splitlines() if _OPEN_TASK.search(line)
        ],
        "Files touched": [path for m in said for path in file_paths(m.content)],
        "Facts the user gave": [
            _short(s) for m in users for s in _sentences(m.content) if _USER_FACT.search(s)
        ],
    }
    blocks: list[str] = []
    for name in SECTIONS:
        previous = [] if name == "Goal" else [i for s in carried for i in s.get(name, [])]
        items = _merged(previous, filled[name])
        body = "\n".join(f"- {item}" for item in items) if items else NONE
        blocks.append(f"## {name}\n{body}")
    return "\n\n".join(blocks)


def summary_reply(messages: Sequence[BaseMessage]) -> str | None:
    """The summary when the latest human message is a summary request, else None."""
    latest = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    if latest is None:
        return None
    transcript = parse_summary_request(content_text(latest))
    return None if transcript is None else scripted_summary(transcript)
