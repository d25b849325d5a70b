"""When a crashed agent invocation must be resumed (`agents/threads.unfinished`).

A worker killed after a tool's writes were saved but before the step's checkpoint
leaves a snapshot with no next task and no answer: it must still be resumed (the
session durability test once caught a turn answered with an intermediate message).
A finished invocation is resumed with no model call: checked on a real agent.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.scripted import ScriptedChatModel
from my_deepagent.agents.threads import unfinished
from my_deepagent.examples import prepare_example_repo

CALL = {"name": "ls", "args": {"path": "/"}, "id": "call-1", "type": "tool_call"}


def snapshot(*messages: object, next: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(next=next, values={"messages": list(messages)})


def test_a_snapshot_without_next_task_but_without_answer_is_unfinished() -> None:
    asked = HumanMessage("hi")
    calling = AIMessage("Looking around.", tool_calls=[CALL])
    assert unfinished(snapshot(asked, calling))
    assert unfinished(snapshot(asked, calling, ToolMessage("a b", tool_call_id="call-1")))
    assert unfinished(snapshot(asked, next=("model",)))
    assert not unfinished(snapshot(asked, calling, AIMessage("Done.")))
    assert not unfinished(snapshot())


async def test_resuming_a_finished_thread_calls_no_model(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    agent = build_agent(
        ScriptedChatModel("chat-explore-2", call_log=str(log)),
        worktree=prepare_example_repo(tmp_path / "repo"),
        system_prompt="You chat.",
        checkpointer=InMemorySaver(),
    )
    config: RunnableConfig = {"configurable": {"thread_id": "finished"}}
    done = await agent.ainvoke({"messages": [HumanMessage("hi")]}, config)
    state = await agent.aget_state(config)
    assert not unfinished(state)
    calls = log.read_text().split()
    again = await agent.ainvoke(None, config)
    assert len(again["messages"]) == len(done["messages"])
    assert log.read_text().split() == calls
