"""Keep secrets out of what the model is told: every tool result passes `scrub`, and so
does the message of every error a tool or a model call raises.

A key in a file the agent reads, in a command's output or in a tool's error would
otherwise go to the provider, into the LangGraph checkpoint, the session's messages
and the reply. `SecretFilterMiddleware` replaces it with `[redacted]` before the
model sees the result, so none of those ever holds it. A provider's error may quote
the key the worker sent; LangGraph writes a failed call's error into the checkpoint,
so it is scrubbed where it is raised, before the graph sees it.

The model then works on text with `[redacted]` where the key was; written back, that
would destroy the user's key. So a `write_file` whose content, or an `edit_file`
whose new text, holds `[redacted]` more often than what it replaces is refused, with
the way around it: edit the lines next to the key, not the key's.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from my_deepagent.agents.safety_rules import REFUSED_PREFIX
from my_deepagent.scrub import REDACTED, scrub

REDACTED_WRITE_REASON = (
    "{path}: the text holds {marker}, which stands for a secret mda hid from you; writing "
    "it would replace the real secret. Edit only the lines around it (edit_file with a "
    "smaller old_string), never the secret's own line"
)


class SecretFilterMiddleware(AgentMiddleware[Any, Any, Any]):
    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__()
        self.root = Path(root).resolve()

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            return scrubbed_result(handler(request))
        except Exception as exc:
            scrub_error(exc)
            raise

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            return scrubbed_result(await handler(request))
        except Exception as exc:
            scrub_error(exc)
            raise

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        try:
            return handler(request)
        except Exception as exc:
            scrub_error(exc)
            raise

    async def awrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], Awaitable[ModelResponse]],
    ) -> ModelResponse:
        try:
            return await handler(request)
        except Exception as exc:
            scrub_error(exc)
            raise

    def _refused(self, request: ToolCallRequest) -> ToolMessage | None:
        call = request.tool_call
        args = call.get("args") or {}
        path = str(args.get("file_path") or "")
        if call["name"] == "write_file":
            added = _count(args.get("content")) - _count(self._current(path))
        elif call["name"] == "edit_file":
            added = _count(args.get("new_string")) - _count(args.get("old_string"))
        else:
            return None
        if added <= 0:
            return None
        return ToolMessage(
            content=REFUSED_PREFIX + REDACTED_WRITE_REASON.format(path=path, marker=REDACTED),
            name=call["name"],
            tool_call_id=call["id"] or "",
            status="error",
        )

    def _current(self, path: str) -> str | None:
        """The file's text now (no marker when it cannot be read: the safety rules,
        which run after this, judge the path itself)."""
        relative = PurePosixPath("/" + path.lstrip("/")).relative_to("/")
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root):
            return None
        try:
            return target.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None


def scrub_error(exc: Exception) -> None:
    """Scrub `exc`'s message in place (its type, status and headers stay, for the retry
    rules): LangGraph writes a failed node's error into the checkpoint."""
    exc.args = tuple(scrubbed_value(arg) for arg in exc.args)
    for name in ("message", "body"):
        if hasattr(exc, name):
            with contextlib.suppress(AttributeError):  # a read-only property stays
                setattr(exc, name, scrubbed_value(getattr(exc, name)))


def scrubbed_value(value: object) -> Any:
    """`value` with every string in it (inside dicts and lists too) scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrubbed_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrubbed_value(item) for item in value]
    return value


def scrubbed_result(result: ToolMessage | Command[Any]) -> ToolMessage | Command[Any]:
    """`result` with every text the model will read passed through `scrub`."""
    if isinstance(result, ToolMessage):
        return _scrubbed_message(result)
    update = result.update
    if isinstance(update, dict) and isinstance(update.get("messages"), list):
        messages = [
            _scrubbed_message(m) if isinstance(m, ToolMessage) else m for m in update["messages"]
        ]
        return Command(
            graph=result.graph,
            update={**update, "messages": messages},
            resume=result.resume,
            goto=result.goto,
        )
    return result


def _scrubbed_message(message: ToolMessage) -> ToolMessage:
    content = message.content
    if isinstance(content, str):
        clean: str | list[str | dict[Any, Any]] = scrub(content)
    else:
        clean = [_scrubbed_block(block) for block in content]
    if clean == content:
        return message
    return message.model_copy(update={"content": clean})


def _scrubbed_block(block: str | dict[Any, Any]) -> str | dict[Any, Any]:
    if isinstance(block, str):
        return scrub(block)
    if isinstance(block.get("text"), str):
        return {**block, "text": scrub(block["text"])}
    return block


def _count(text: object) -> int:
    return text.count(REDACTED) if isinstance(text, str) else 0
