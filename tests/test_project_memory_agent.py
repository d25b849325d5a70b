"""Project memory through a real deepagents agent from `build_agent`, on one long thread.

The agent, its middleware, the checkpointer and the memory files are the real ones;
the model is the offline scripted model, which answers "what do you remember?" from
the `<agent_memory>` block it received. A callback records every model call's input,
so the tests also read the exact system message each turn saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph

from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.project_memory import MIDDLEWARE_NAME, ProjectMemoryMiddleware
from my_deepagent.agents.scripted import ScriptedChatModel
from my_deepagent.git import run_git
from my_deepagent.sessions.memory import (
    ensure_memory,
    forget,
    memory_dir,
    project_key,
    remember,
)
from my_deepagent.tokens import content_text

ASK = "What do you remember about this project?"
NOTE_SENTINEL = "memory-sentinel-5c2e"


class SystemMessages(BaseCallbackHandler):
    """The system message of every chat-model call, in call order."""

    run_inline = True

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        for call in messages:
            system = [content_text(m) for m in call if isinstance(m, SystemMessage)]
            self.seen.append("\n".join(system))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("# demo\n")
    run_git(["init", "-q"], cwd=root)
    return root


@pytest.fixture
def memory(tmp_path: Path, repo: Path) -> Path:
    folder = memory_dir(tmp_path / "data", project_key(repo))
    ensure_memory(folder)
    return folder


def agent(repo: Path, folder: Path, **kwargs: Any) -> CompiledStateGraph[Any, Any, Any, Any]:
    return build_agent(
        ScriptedChatModel("chat"),
        worktree=repo,
        system_prompt="You chat about a repository.",
        checkpointer=InMemorySaver(),
        memory_dir=folder,
        **kwargs,
    )


async def turn(
    graph: CompiledStateGraph[Any, Any, Any, Any], text: str, seen: SystemMessages
) -> list[BaseMessage]:
    config: Any = {"configurable": {"thread_id": "session:s1:0"}, "callbacks": [seen]}
    result = await graph.ainvoke({"messages": [HumanMessage(text)]}, config)
    messages: list[BaseMessage] = result["messages"]
    return messages


def entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def answer(messages: list[BaseMessage]) -> str:
    last = messages[-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
    return content_text(last)


async def test_a_note_remembered_between_turns_reaches_the_next_turn(
    repo: Path, memory: Path
) -> None:
    graph = agent(repo, memory)
    seen = SystemMessages()
    first = await turn(graph, ASK, seen)
    assert answer(first).startswith("My project memory is empty")

    remember(memory, f"Build with `make all`; {NOTE_SENTINEL}.\nTests run with make check.")
    remember(memory, "빌드 전에 lint를 돌린다")
    second = await turn(graph, ASK, seen)
    assert sum(isinstance(m, HumanMessage) for m in second) == 2
    assert answer(second) == (
        "I remember 2 notes about this project:\n"
        f"- Build with `make all`; {NOTE_SENTINEL}. (build-with-make-all-memory-sentinel-5c2e.md)\n"
        "- 빌드 전에 lint를 돌린다 (빌드-전에-lint를-돌린다.md)"
    )
    system = seen.seen[-1]
    index_at = system.index("<agent_memory>\nMEMORY.md\n\n# Project memory")
    assert index_at < system.index("build-with-make-all-memory-sentinel-5c2e.md\n\nBuild with")
    assert "Tests run with make check." in system
    assert NOTE_SENTINEL not in seen.seen[0]

    forget(memory, "build-with-make-all-memory-sentinel-5c2e")
    third = await turn(graph, ASK, seen)
    assert answer(third) == (
        "I remember 1 note about this project:\n"
        "- 빌드 전에 lint를 돌린다 (빌드-전에-lint를-돌린다.md)"
    )
    assert NOTE_SENTINEL not in seen.seen[-1]


async def test_the_agent_cannot_read_or_write_the_memory_folder(repo: Path, memory: Path) -> None:
    note = remember(memory, f"Private fact\nkept in memory: {NOTE_SENTINEL}")
    graph = agent(repo, memory)
    seen = SystemMessages()
    for target in (memory / note.file_name, Path("/") / note.file_name, Path("/MEMORY.md")):
        messages = await turn(graph, f"read {target}", seen)
        reads = [m for m in messages if isinstance(m, ToolMessage) and m.name == "read_file"]
        assert reads, f"no read_file call for {target}"
        assert NOTE_SENTINEL not in content_text(reads[-1])
        assert "Project memory" not in content_text(reads[-1])
        assert answer(messages).startswith(f"I could not read {target}")
    assert NOTE_SENTINEL in seen.seen[-1]
    assert entries(repo) == [".git", "README.md"]


async def test_deepagents_memory_still_works_beside_project_memory(
    repo: Path, memory: Path
) -> None:
    (repo / "AGENTS.md").write_text("Agents file: agents-sentinel-91b0\n")
    remember(memory, "Project note one")
    graph = agent(repo, memory, memory=["/AGENTS.md"])
    seen = SystemMessages()
    for _ in range(2):
        messages = await turn(graph, ASK, seen)
        assert answer(messages) == (
            "I remember 2 notes about this project:\n"
            "- Project note one (project-note-one.md)\n"
            "- Agents file: agents-sentinel-91b0 (AGENTS.md)"
        )
        assert seen.seen[-1].count("<agent_memory>\n") == 2


async def test_a_thread_without_memory_files_sees_no_memory(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "never-created"
    graph = agent(repo, folder)
    messages = await turn(graph, ASK, SystemMessages())
    assert answer(messages).startswith("My project memory is empty")
    assert not folder.exists()
    remember(folder, "Now there is one")
    messages = await turn(graph, ASK, SystemMessages())
    assert answer(messages).endswith("- Now there is one (now-there-is-one.md)")


async def test_without_memory_the_model_says_it_has_none(repo: Path) -> None:
    graph = build_agent(
        ScriptedChatModel("chat"), worktree=repo, system_prompt="You chat about a repository."
    )
    result = await graph.ainvoke({"messages": [HumanMessage("what do you know?")]})
    assert answer(result["messages"]) == "I have no project memory in this conversation."


def test_the_middleware_is_added_without_a_graph_step(repo: Path, memory: Path) -> None:
    """deepagents' own memory stays (its load is a graph node); ours adds no node, so a
    turn checkpoints no extra step and no copy of the notes."""
    assert ProjectMemoryMiddleware(memory).name == MIDDLEWARE_NAME != "MemoryMiddleware"
    nodes = set(agent(repo, memory, memory=["/AGENTS.md"]).get_graph().nodes)
    assert "MemoryMiddleware.before_agent" in nodes
    plain = build_agent(ScriptedChatModel("chat"), worktree=repo, system_prompt="You chat.")
    assert nodes - {"MemoryMiddleware.before_agent"} == set(plain.get_graph().nodes)


def test_a_synchronous_invocation_reloads_too(repo: Path, memory: Path) -> None:
    graph = agent(repo, memory)
    config: Any = {"configurable": {"thread_id": "sync"}}
    first = graph.invoke({"messages": [HumanMessage(ASK)]}, config)
    assert answer(first["messages"]).startswith("My project memory is empty")
    remember(memory, "Synchronous note")
    second = graph.invoke({"messages": [HumanMessage(ASK)]}, config)
    assert answer(second["messages"]).endswith("- Synchronous note (synchronous-note.md)")
