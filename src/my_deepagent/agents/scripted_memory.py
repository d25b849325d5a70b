"""The scripted model's answer to "what do you remember?": read from its own prompt.

Project memory reaches a model only as the `<agent_memory>` block deepagents' memory
formatting appends to the system message: `<file>` + blank line + contents, one
section per file. The scripted model lists each note's first line from that block
(the index, `MEMORY.md`, is not a note), so a test can see which notes the model
received on a given turn, and a demo without an API key shows memory working.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, SystemMessage

from my_deepagent.sessions.memory import INDEX_NAME
from my_deepagent.text import clip
from my_deepagent.tokens import content_text

TITLE_CHARS = 80

_QUESTION = re.compile(
    r"\bwhat\b.*\byou\b.*\b(?:remember|recall|know)\b"
    r"|\bwhat(?:'s| is)\b.*\bmemory\b"
    r"|\bdo you (?:remember|recall|know) anything\b",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK = re.compile(r"<agent_memory>\n(.*?)\n</agent_memory>", re.DOTALL)
_LABEL = re.compile(r"/?(?:[^\s/]+/)*([^\s/]+\.md)")


def asks_about_memory(text: str) -> bool:
    """Whether a chat message asks what the agent remembers or knows of the project."""
    return _QUESTION.search(text) is not None


def memory_block(messages: Sequence[BaseMessage]) -> str | None:
    """The system messages' `<agent_memory>` blocks joined (`memory=` and project
    memory each add one), or None when there is none."""
    blocks = [
        found.strip()
        for message in messages
        if isinstance(message, SystemMessage)
        for found in _BLOCK.findall(content_text(message))
    ]
    return "\n\n".join(blocks) if blocks else None


def memory_notes(block: str) -> list[tuple[str, str]]:
    """(file name, first line) of each section of a memory block except the index."""
    lines = block.splitlines()
    starts = [
        index
        for index, line in enumerate(lines)
        if _LABEL.fullmatch(line)
        and (index == 0 or not lines[index - 1].strip())
        and (index + 1 == len(lines) or not lines[index + 1].strip())
    ]
    notes: list[tuple[str, str]] = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        label = _LABEL.fullmatch(lines[start])
        name = label.group(1) if label else lines[start]
        if name == INDEX_NAME:
            continue
        first = next((line.strip() for line in lines[start + 1 : end] if line.strip()), "")
        notes.append((name, clip(first, TITLE_CHARS)))
    return notes


def memory_answer(messages: Sequence[BaseMessage]) -> str:
    """What the model says it remembers: each note's first line, or that there are none."""
    block = memory_block(messages)
    if block is None:
        return "I have no project memory in this conversation."
    notes = memory_notes(block)
    if not notes:
        return "My project memory is empty: no notes yet. Add one with /remember <text>."
    count = "1 note" if len(notes) == 1 else f"{len(notes)} notes"
    listed = "\n".join(f"- {title} ({name})" for name, title in notes)
    return f"I remember {count} about this project:\n{listed}"
