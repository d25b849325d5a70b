"""The compaction summary's format: its five sections and the request that asks for it.

A summary replaces the start of a conversation, so it must carry what the rest of the
work depends on, not a narrative: `SECTIONS` name what a task needs to survive (its
goal, the decisions taken, what is still open, the files involved, what the user said
about themselves and their project). `summary_request` is the one definition of the
prompt; the offline `scripted` model recognises it by its first line
(`REQUEST_MARKER`) and reads the transcript back with `parse_summary_request`.
Messages travel between XML-style tags, which real models follow well; an earlier
summary (or a chunk's summary being merged) is tagged as a summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SECTIONS = ("Goal", "Decisions", "Open tasks", "Files touched", "Facts the user gave")
REQUEST_MARKER = "[mda: conversation summary request]"
_INSTRUCTIONS = f"""\
Summarise the conversation below between a user and a coding agent. The summary
replaces these messages: the agent continues the work from it alone, so keep every
goal, decision, open task, file path and fact it will need; drop chit-chat and
repetition. Write exactly these five sections, in this order, each a markdown
heading followed by short bullet points, and write "none" under a section with
nothing to say:

{chr(10).join(f"## {name}" for name in SECTIONS)}

A summary inside the transcript summarises an earlier part of the conversation
(summaries come in the order of the parts): carry its content forward. Answer with
the five sections only."""
_ENTRY = re.compile(
    r'(?:<message role="([^"]*)"(?: part="[^"]*")?>\n(.*?)\n</message>'
    r"|<summary>\n(.*?)\n</summary>)"
    r"(?=\n<message |\n<summary>\n|\n</transcript>)",
    re.DOTALL,
)


@dataclass(frozen=True)
class TranscriptMessage:
    """One live message of a session, as compaction and the summariser see it (the
    caller builds it from a message row)."""

    seq: int
    role: str
    content: str
    token_count: int
    is_summary: bool = False


def entry_text(message: TranscriptMessage, part: str = "") -> str:
    """`message` as the transcript carries it; `part` ("2/3") marks a piece of one."""
    if message.is_summary:
        return f"<summary>\n{message.content}\n</summary>"
    part_attr = f' part="{part}"' if part else ""
    return f'<message role="{message.role}"{part_attr}>\n{message.content}\n</message>'


def summary_request(messages: Sequence[TranscriptMessage]) -> str:
    """The prompt asking for one summary of `messages` (an earlier summary included)."""
    entries = "\n".join(entry_text(message) for message in messages)
    return f"{REQUEST_MARKER}\n{_INSTRUCTIONS}\n\n<transcript>\n{entries}\n</transcript>"


def is_summary_request(text: str) -> bool:
    return text.startswith(REQUEST_MARKER + "\n")


def parse_summary_request(text: str) -> list[TranscriptMessage] | None:
    """The transcript a `summary_request` carries (seq = position), or None if `text`
    is not one."""
    if not is_summary_request(text):
        return None
    start = text.find("<transcript>\n")
    end = text.rfind("</transcript>")
    if start < 0 or end < start:
        return []
    body = text[start + len("<transcript>") : end + len("</transcript>")]
    parsed: list[TranscriptMessage] = []
    for found in _ENTRY.finditer(body):
        is_summary = found.group(3) is not None
        role = "system" if is_summary else found.group(1)
        content = found.group(3) if is_summary else found.group(2)
        parsed.append(TranscriptMessage(len(parsed), role, content, 0, is_summary))
    return parsed
