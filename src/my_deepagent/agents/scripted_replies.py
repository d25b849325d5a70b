"""What the offline `scripted` model answers: a pure function of the conversation.

No counters, no clock, no randomness outside a seed taken from the messages: a call
that is retried, or replayed from a checkpoint, gets the same answer. The turn is read
from the latest human message (or, on the first turn, from the system prompt):

- an artifact task (`prompts.artifact_task_prompt`): call `write_file` with an instance
  of the schema; once the tool reports success, answer with a one-line summary;
- a repair request (`prompts.repair_prompt`): the same, with an instance seeded by the
  errors too, using the schema the repair prompt repeats or the earlier task's;
- chat: if the message names a file ("read README.md", "@src/app.py") and `read_file`
  is bound, read it and then summarise it; otherwise acknowledge the message, quoting
  it and the conversation's first message, so tests can see what the model received.

A failed write is tried again once; then the model gives up in words, so a
broken tool can never make the agent loop.

A model whose name ends in `-explore-<N>` (`scripted:spec-writer-explore-200`) first
calls `ls` N times on an artifact task, then writes the artifact: a long phase with
many model calls and tool results, for tests of history size and checkpoints; in chat
it calls `ls` N times before it answers. One ending in `-drafts-<N>` first writes N
files, `/notes/draft-<i>.md`, one per call, on an artifact task: a phase whose files
change between model calls, for tests of a phase taken over by another worker. The
counts are of its own calls since the latest human message, so it stays a pure
function. A chat message naming several
files (`@a.py @b.py`) reads them all in one call, then summarises each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from my_deepagent.agents.prompts import agent_path, parse_artifact_task, parse_repair_request
from my_deepagent.agents.schema_instances import SchemaInstanceError, instance_for
from my_deepagent.agents.scripted_memory import asks_about_memory, memory_answer
from my_deepagent.agents.scripted_summary import summary_reply
from my_deepagent.sessions.references import find_references, typed_text
from my_deepagent.text import clip
from my_deepagent.tokens import content_text

WRITE_TOOL = "write_file"
READ_TOOL = "read_file"
EXPLORE_TOOL = "ls"
MAX_WRITE_ATTEMPTS = 2
QUOTE_CHARS = 160
SUMMARY_LINES = 3

_READ_CUE = re.compile(
    r"\b(read|show|open|cat|contents?|what'?s in|what is in|look at|summari[sz]e)\b", re.I
)
_PATH_LIKE = re.compile(
    r"(?<![\w@])(/?[\w.-]+(?:/[\w.-]+)*\.[A-Za-z0-9]{1,10}|/?[\w.-]+(?:/[\w.-]+)+)"
)
"""A path after a read cue: unlike `scripted_summary.file_paths` (names in a transcript),
it takes absolute paths and paths without an extension too."""
_GUTTER = re.compile(r"^\s*\d+(?:\.\d+)?\s{1,2}")
_READ_HEADER = re.compile(r"^@@ (.*) @@$")
_EXPLORE_SUFFIX = re.compile(r"-explore-(\d+)$")
_DRAFTS_SUFFIX = re.compile(r"-drafts-(\d+)$")
DRAFTS_FOLDER = "/notes"
"""deepagents' read_file puts `@@ lines 1-44 of 44 | ... @@` above the file's lines."""


@dataclass(frozen=True)
class Reply:
    """The model's answer: text, and tool calls as (name, args) in call order."""

    content: str
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _quote(text: str) -> str:
    return clip(text, QUOTE_CHARS)


@dataclass(frozen=True)
class _Call:
    name: str
    args: dict[str, Any]
    result: ToolMessage | None

    @property
    def succeeded(self) -> bool:
        return self.result is not None and self.result.status != "error"


def _calls_after(messages: Sequence[BaseMessage], start: int) -> list[_Call]:
    """Tool calls the model made after `start`, each with its result if it has one."""
    results = {m.tool_call_id: m for m in messages[start:] if isinstance(m, ToolMessage)}
    return [
        _Call(call["name"], call["args"], results.get(call["id"] or ""))
        for message in messages[start:]
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    ]


def _targets(call: _Call, tool: str, path: str) -> bool:
    target = call.args.get("file_path")
    return call.name == tool and isinstance(target, str) and agent_path(target) == path


def explore_calls(model_name: str) -> int:
    """How many `ls` calls a model named `...-explore-<N>` makes before writing: N."""
    found = _EXPLORE_SUFFIX.search(model_name)
    return int(found.group(1)) if found else 0


def draft_calls(model_name: str) -> int:
    """How many draft files a model named `...-drafts-<N>` writes before its artifact."""
    found = _DRAFTS_SUFFIX.search(model_name)
    return int(found.group(1)) if found else 0


def decide(
    messages: Sequence[BaseMessage],
    tool_names: frozenset[str],
    *,
    explore: int = 0,
    drafts: int = 0,
) -> Reply:
    """The answer to `messages` when the tools in `tool_names` are bound; `drafts`
    draft files, then `explore` `ls` calls come before the write of an artifact task."""
    summary = summary_reply(messages)
    if summary is not None:
        return Reply(summary)
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    start = humans[-1] if humans else 0
    text = content_text(messages[start]) if humans else ""
    repair = parse_repair_request(text)
    if repair is not None:
        schema = repair.schema or _earlier_schema(messages[:start], repair.path)
        salt = "repair\n" + "\n".join(repair.errors)
        return _artifact_reply(messages, start, repair.path, schema, salt, tool_names)
    task = parse_artifact_task(text)
    if task is None and len(humans) <= 1:
        task = next(
            (
                parsed
                for m in messages
                if isinstance(m, SystemMessage) and (parsed := parse_artifact_task(content_text(m)))
            ),
            None,
        )
    if task is not None:
        drafted = sum(
            c.name == WRITE_TOOL and str(c.args.get("file_path", "")).startswith(DRAFTS_FOLDER)
            for c in _calls_after(messages, start)
        )
        if drafted < drafts and WRITE_TOOL in tool_names:
            draft = f"{DRAFTS_FOLDER}/draft-{drafted + 1}.md"
            step = f"Drafting notes ({drafted + 1}/{drafts})."
            return Reply(step, [(WRITE_TOOL, {"file_path": draft, "content": f"{step}\n"})])
        explored = sum(c.name == EXPLORE_TOOL for c in _calls_after(messages, start))
        if explored < explore and EXPLORE_TOOL in tool_names:
            step = f"Exploring the repository ({explored + 1}/{explore})."
            return Reply(step, [(EXPLORE_TOOL, {"path": "/"})])
        return _artifact_reply(messages, start, task.path, task.schema, "", tool_names)
    return _chat_reply(messages, humans, tool_names, explore=explore)


def _earlier_schema(messages: Sequence[BaseMessage], path: str) -> dict[str, Any] | None:
    for message in reversed(messages):
        if isinstance(message, HumanMessage | SystemMessage):
            text = content_text(message)
            task = parse_artifact_task(text)
            if task is not None and task.path == path:
                return task.schema
            repair = parse_repair_request(text)
            if repair is not None and repair.path == path and repair.schema is not None:
                return repair.schema
    return None


def _artifact_reply(
    messages: Sequence[BaseMessage],
    start: int,
    path: str,
    schema: dict[str, Any] | None,
    salt: str,
    tool_names: frozenset[str],
) -> Reply:
    writes = [c for c in _calls_after(messages, start) if _targets(c, WRITE_TOOL, path)]
    done = [c for c in writes if c.succeeded]
    if done:
        return Reply(f"Wrote {path}: {_describe(done[-1].args.get('content', ''))}.")
    if schema is None:
        return Reply(f"I cannot write {path}: no JSON Schema was given for it.")
    if WRITE_TOOL not in tool_names:
        return Reply(f"I cannot write {path}: the {WRITE_TOOL} tool is not available.")
    failed = [c for c in writes if c.result is not None]
    if len(failed) >= MAX_WRITE_ATTEMPTS:
        last = failed[-1].result
        error = _quote(content_text(last)) if last is not None else "no result"
        return Reply(f"I could not write {path}: {error}")
    try:
        instance = instance_for(schema, path, salt)
    except SchemaInstanceError as exc:
        return Reply(f"I could not write {path}: {exc}")
    content = json.dumps(instance, indent=2, ensure_ascii=False) + "\n"
    verb = "Rewriting" if salt else "Writing"
    return Reply(f"{verb} {path}.", [(WRITE_TOOL, {"file_path": path, "content": content})])


def _describe(content: Any) -> str:
    try:
        value = json.loads(content) if isinstance(content, str) else content
    except json.JSONDecodeError:
        return f"{len(str(content))} characters"
    if isinstance(value, dict):
        return "a JSON object with " + (", ".join(value) if value else "no fields")
    if isinstance(value, list):
        return f"a JSON array of {len(value)} items"
    return f"the JSON value {json.dumps(value)}"


def named_file(text: str) -> str | None:
    """The file a chat message asks to see: an @mention, or a path after a read cue."""
    files = named_files(text)
    return files[0] if files else None


def named_files(text: str) -> list[str]:
    """Every file a chat message asks to see: its @mentions (each once, in order, up to
    the first attached file block), or else one path after a read cue."""
    typed = typed_text(text)
    mentions = list(dict.fromkeys(agent_path(m) for m in find_references(typed)))
    if mentions:
        return mentions
    if _READ_CUE.search(typed):
        found = _PATH_LIKE.search(typed)
        if found:
            return [agent_path(found.group(1))]
    return []


def _chat_reply(
    messages: Sequence[BaseMessage],
    humans: list[int],
    tool_names: frozenset[str],
    *,
    explore: int = 0,
) -> Reply:
    if not humans:
        return Reply("Hello. Send me a message and I will answer it.")
    start = humans[-1]
    text = content_text(messages[start])
    if asks_about_memory(text):
        return Reply(memory_answer(messages))
    explored = sum(c.name == EXPLORE_TOOL for c in _calls_after(messages, start))
    if explored < explore and EXPLORE_TOOL in tool_names:
        return Reply(f"Looking around ({explored + 1}/{explore}).", [(EXPLORE_TOOL, {"path": "/"})])
    paths = named_files(text)
    if paths and READ_TOOL in tool_names:
        calls = _calls_after(messages, start)
        reads = {p: [c for c in calls if _targets(c, READ_TOOL, p)] for p in paths}
        if not any(reads.values()):
            return Reply(
                f"Reading {', '.join(paths)}.", [(READ_TOOL, {"file_path": p}) for p in paths]
            )
        answered = [(p, found[-1]) for p, found in reads.items() if found and found[-1].result]
        if answered:
            return Reply("\n".join(_summarise_read(p, call) for p, call in answered))
    answer = f"You said: “{_quote(text)}”. That is message {len(humans)} of this conversation."
    if len(humans) > 1:
        answer += f" Your first message was: “{_quote(content_text(messages[humans[0]]))}”."
    return Reply(answer)


def _summarise_read(path: str, call: _Call) -> str:
    body = content_text(call.result) if call.result is not None else ""
    if not call.succeeded or body.startswith("Error"):
        return f"I could not read {path}: {_quote(body)}"
    lines = body.splitlines()
    total: int | None = None
    for index, line in enumerate(lines[:5]):
        header = _READ_HEADER.match(line)
        if header:
            lines = lines[index + 1 :]
            of_total = re.search(r"\bof (\d+)\b", header.group(1))
            total = int(of_total.group(1)) if of_total else None
            break
    else:
        lines = [_GUTTER.sub("", line, count=1) for line in lines]
    total = len(lines) if total is None else total
    shown = "\n".join(f"> {line}" for line in lines[:SUMMARY_LINES])
    return f"{path} has {total} lines. It begins:\n{shown}"
