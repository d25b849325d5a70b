"""Whether a LangGraph thread's last invocation finished, for resuming after a crash.

`StateSnapshot.next` alone is not enough: when a worker dies after a step's task
(a tool call, say) saved its writes but before the step's checkpoint, the snapshot
lists no next task although the agent has not answered; `ainvoke(None)` then applies
those writes and goes on. An agent's invocation is finished when it has no next task
and its last message is an answer: an AI message that calls no tool.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage


def unfinished(state: Any) -> bool:
    """True when the thread of `state` (a `StateSnapshot`) should be resumed."""
    if state.next:
        return True
    messages = state.values.get("messages", []) if isinstance(state.values, dict) else []
    if not messages:
        return False
    last = messages[-1]
    return not (isinstance(last, AIMessage) and not last.tool_calls)
