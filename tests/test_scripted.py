"""The scripted model, driven through real deepagents agents writing to real folders."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from deepagents import create_deep_agent
from deepagents.backends import LocalShellBackend
from hypothesis import HealthCheck, given, settings
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from my_deepagent.agents.prompts import artifact_task_prompt, repair_prompt
from my_deepagent.agents.scripted import ScriptedChatModel, output_tokens
from my_deepagent.agents.scripted_replies import named_file
from my_deepagent.settings import reset_settings
from my_deepagent.tokens import count_message_tokens, count_tokens, count_tool_schema_tokens
from schema_strategies import json_schemas, shipped_schemas, validation_errors

SMALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["verdict", "notes"],
    "properties": {
        "verdict": {"enum": ["approve", "reject"]},
        "notes": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    },
}


def make_agent(root: Path, model: ScriptedChatModel | None = None, **kwargs: Any) -> Any:
    backend = LocalShellBackend(root_dir=root, virtual_mode=True, env={})
    return create_deep_agent(
        model=model or ScriptedChatModel("test"),
        backend=backend,
        checkpointer=InMemorySaver(),
        **kwargs,
    )


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def file_errors(schema: dict[str, Any], file: Path) -> list[str]:
    return validation_errors(schema, json.loads(file.read_text()))


def tool_calls(messages: list[BaseMessage], name: str) -> list[ToolCall]:
    return [
        call
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call["name"] == name
    ]


@pytest.mark.parametrize("schema", shipped_schemas().values(), ids=shipped_schemas().keys())
async def test_shipped_schema_artifact_is_written_and_valid(
    schema: dict[str, Any], tmp_path: Path
) -> None:
    prompt = artifact_task_prompt("Do the phase.", "Add a flag.", "artifacts/out.json", schema)
    result = await make_agent(tmp_path).ainvoke(user(prompt), thread("t"))
    artifact = tmp_path / "artifacts" / "out.json"
    assert artifact.is_file()
    assert file_errors(schema, artifact) == []
    assert result["messages"][-1].content.startswith("Wrote /artifacts/out.json: a JSON object")
    assert len(tool_calls(result["messages"], "write_file")) == 1


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(json_schemas())
def test_generated_schema_artifacts_through_the_agent(schema: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        prompt = artifact_task_prompt("Produce it.", "", "out/artifact.json", schema)
        make_agent(root).invoke(user(prompt), thread("t"))
        assert file_errors(schema, root / "out" / "artifact.json") == []


async def test_task_in_system_prompt_is_followed(tmp_path: Path) -> None:
    prompt = artifact_task_prompt("Review.", "", "review.json", SMALL_SCHEMA)
    agent = make_agent(tmp_path, system_prompt=prompt)
    await agent.ainvoke(user("Begin."), thread("t"))
    assert file_errors(SMALL_SCHEMA, tmp_path / "review.json") == []


async def test_repair_on_the_same_thread_fixes_the_file_on_disk(tmp_path: Path) -> None:
    agent = make_agent(tmp_path)
    task = artifact_task_prompt("Review.", "", "review.json", SMALL_SCHEMA)
    await agent.ainvoke(user(task), thread("t"))
    artifact = tmp_path / "review.json"
    artifact.write_text('{"verdict": "maybe"}\n')
    errors = file_errors(SMALL_SCHEMA, artifact)
    assert errors
    result = await agent.ainvoke(user(repair_prompt("review.json", errors)), thread("t"))
    assert file_errors(SMALL_SCHEMA, artifact) == []
    assert result["messages"][-1].content.startswith("Wrote /review.json")
    assert len(tool_calls(result["messages"], "write_file")) == 2


async def test_repair_prompt_alone_rewrites_an_invalid_artifact(tmp_path: Path) -> None:
    artifact = tmp_path / "spec.json"
    artifact.write_text("not json at all")
    prompt = repair_prompt("/spec.json", ["Expecting value: line 1 column 1"], SMALL_SCHEMA)
    await make_agent(tmp_path).ainvoke(user(prompt), thread("t"))
    assert file_errors(SMALL_SCHEMA, artifact) == []


async def test_repair_without_any_schema_says_so(tmp_path: Path) -> None:
    result = await make_agent(tmp_path).ainvoke(
        user(repair_prompt("/x.json", ["bad"])), thread("t")
    )
    assert (
        result["messages"][-1].content == "I cannot write /x.json: no JSON Schema was given for it."
    )
    assert not (tmp_path / "x.json").exists()


async def test_a_refused_write_is_retried_once_then_reported(tmp_path: Path) -> None:
    prompt = artifact_task_prompt("Go.", "", "../outside.json", SMALL_SCHEMA)
    result = await make_agent(tmp_path).ainvoke(user(prompt), thread("t"))
    assert len(tool_calls(result["messages"], "write_file")) == 2
    assert result["messages"][-1].content.startswith("I could not write /../outside.json:")
    assert not (tmp_path.parent / "outside.json").exists()


async def test_chat_reads_the_file_the_user_names(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# Notes\nfirst point\nsecond point\nlast\n")
    result = await make_agent(tmp_path).ainvoke(user("what is in docs/notes.md?"), thread("t"))
    reads = tool_calls(result["messages"], "read_file")
    assert [call["args"] for call in reads] == [{"file_path": "/docs/notes.md"}]
    answer = result["messages"][-1].content
    assert (
        answer == "/docs/notes.md has 4 lines. It begins:\n> # Notes\n> first point\n> second point"
    )


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("read README.md", "/README.md"),
        ("what's in src/app/main.py?", "/src/app/main.py"),
        ("show me docs/guide", "/docs/guide"),
        ("explain @pyproject.toml please", "/pyproject.toml"),
        ("summarize /notes/todo.txt.", "/notes/todo.txt"),
        ("mail bob@example.com about it", None),
        ("how are you today?", None),
    ],
)
def test_files_named_in_chat(text: str, path: str | None) -> None:
    assert named_file(text) == path


async def test_chat_mention_of_a_missing_file_reports_the_error(tmp_path: Path) -> None:
    result = await make_agent(tmp_path).ainvoke(user("explain @src/missing.py"), thread("t"))
    assert result["messages"][-1].content.startswith("I could not read /src/missing.py:")


async def test_chat_answers_from_the_conversation(tmp_path: Path) -> None:
    agent = make_agent(tmp_path)
    first = await agent.ainvoke(user("Hello there"), thread("t"))
    assert first["messages"][-1].content == (
        "You said: “Hello there”. That is message 1 of this conversation."
    )
    second = await agent.ainvoke(user("And now?"), thread("t"))
    assert second["messages"][-1].content == (
        "You said: “And now?”. That is message 2 of this conversation. "
        "Your first message was: “Hello there”."
    )


async def test_every_id_in_a_thread_is_distinct(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    agent = make_agent(tmp_path)
    await agent.ainvoke(user(artifact_task_prompt("A", "", "a.json", SMALL_SCHEMA)), thread("t"))
    await agent.ainvoke(user("read README.md"), thread("t"))
    await agent.ainvoke(user("hi"), thread("t"))
    result = await agent.ainvoke(user("hi"), thread("t"))
    ai = [m for m in result["messages"] if isinstance(m, AIMessage)]
    assert len(ai) == 6
    assert len({m.id for m in ai}) == 6
    call_ids = [c["id"] for m in ai for c in m.tool_calls]
    assert len(call_ids) == len(set(call_ids)) == 2


async def test_identical_prompts_on_two_threads_get_different_ids(tmp_path: Path) -> None:
    agent = make_agent(tmp_path)
    one = await agent.ainvoke(user("same words"), thread("one"))
    two = await agent.ainvoke(user("same words"), thread("two"))
    assert one["messages"][-1].content == two["messages"][-1].content
    assert one["messages"][-1].id != two["messages"][-1].id


def write_tool_schema() -> list[Any]:
    @tool
    def write_file(file_path: str, content: str) -> str:
        """Write a file."""
        return file_path

    return [write_file]


def test_same_messages_give_the_identical_message() -> None:
    model = ScriptedChatModel("test").bind_tools(write_tool_schema())
    messages = [HumanMessage(artifact_task_prompt("Go.", "", "/a.json", SMALL_SCHEMA))]
    first = model.invoke(messages)
    again = (
        ScriptedChatModel("test")
        .bind_tools(write_tool_schema())
        .invoke([HumanMessage(messages[0].content, id="another-random-id")])
    )
    assert isinstance(first, AIMessage)
    assert first.tool_calls and first.id
    assert again == first
    assert again.tool_calls[0]["id"] == first.tool_calls[0]["id"]
    changed = model.invoke([HumanMessage(artifact_task_prompt("Go!", "", "/a.json", SMALL_SCHEMA))])
    assert changed.id != first.id
    assert changed.tool_calls[0]["id"] != first.tool_calls[0]["id"]


async def test_replaying_from_checkpoints_gives_the_stored_answers(tmp_path: Path) -> None:
    """What a retried activity sees: every model call it redoes answers exactly as before."""
    agent = make_agent(tmp_path)
    config = thread("t")
    done = await agent.ainvoke(user(artifact_task_prompt("A", "", "a.json", SMALL_SCHEMA)), config)
    stored = [m for m in done["messages"] if isinstance(m, AIMessage)]
    before_model = [s async for s in agent.aget_state_history(config) if s.next == ("model",)]
    assert len(before_model) == len(stored) == 2
    for state in before_model:
        replayed = await agent.ainvoke(None, state.config)
        assert [m for m in replayed["messages"] if isinstance(m, AIMessage)] == stored


def test_only_bound_tools_are_called() -> None:
    bare = ScriptedChatModel("test")
    answer = bare.invoke([HumanMessage("read README.md")])
    assert answer.tool_calls == []
    assert str(answer.content).startswith("You said: “read README.md”")
    task = bare.invoke([HumanMessage(artifact_task_prompt("Go.", "", "/a.json", SMALL_SCHEMA))])
    assert task.tool_calls == []
    assert task.content == "I cannot write /a.json: the write_file tool is not available."


def test_unsatisfiable_schema_is_answered_in_words() -> None:
    schema = {"type": "integer", "minimum": 5, "maximum": 1}
    model = ScriptedChatModel("test").bind_tools(write_tool_schema())
    answer = model.invoke([HumanMessage(artifact_task_prompt("Go.", "", "/n.json", schema))])
    assert answer.tool_calls == []
    assert "found no valid instance" in str(answer.content)


def test_usage_and_metadata_come_from_real_token_counts() -> None:
    tools = write_tool_schema()
    bound = ScriptedChatModel("counting").bind_tools(tools)
    messages: list[BaseMessage] = [
        SystemMessage("You write artifacts."),
        HumanMessage(artifact_task_prompt("Go.", "Be brief.", "/a.json", SMALL_SCHEMA)),
    ]
    answer = bound.invoke(messages)
    assert isinstance(answer, AIMessage)
    assert answer.usage_metadata is not None
    schemas = bound.kwargs["tools"]  # type: ignore[attr-defined]
    expected_in = count_message_tokens(messages) + count_tool_schema_tokens(schemas)
    call = answer.tool_calls[0]
    expected_out = (
        count_tokens(str(answer.content))
        + count_tokens(call["name"])
        + count_tokens(json.dumps(call["args"], sort_keys=True))
    )
    assert answer.usage_metadata["input_tokens"] == expected_in
    assert answer.usage_metadata["output_tokens"] == expected_out == output_tokens(answer)
    assert answer.usage_metadata["total_tokens"] == expected_in + expected_out
    assert expected_in > count_message_tokens(messages) > 0
    assert answer.response_metadata["model_name"] == "scripted:counting"
    assert answer.response_metadata["finish_reason"] == "tool_calls"


def test_tool_message_results_feed_the_final_answer() -> None:
    model = ScriptedChatModel("test").bind_tools(write_tool_schema())
    prompt = HumanMessage(artifact_task_prompt("Go.", "", "/a.json", SMALL_SCHEMA))
    call = model.invoke([prompt])
    assert isinstance(call, AIMessage)
    done = ToolMessage("Updated file /a.json", tool_call_id=call.tool_calls[0]["id"])
    final = model.invoke([prompt, call, done])
    assert final.content == "Wrote /a.json: a JSON object with verdict, notes."
    assert final.response_metadata["finish_reason"] == "stop"


async def test_latency_from_the_environment(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from my_deepagent.agents.models import build_chat_model

    monkeypatch.setenv("MDA_SCRIPTED_LATENCY_MS", "300")
    reset_settings()
    model = build_chat_model("scripted:slow")
    assert isinstance(model, ScriptedChatModel)
    assert model.latency_ms == 300
    started = time.monotonic()
    await model.ainvoke([HumanMessage("hi")])
    model.invoke([HumanMessage("hi")])
    assert time.monotonic() - started >= 0.6


async def test_explore_model_lists_the_tree_n_times_then_writes(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    prompt = artifact_task_prompt("Explore.", "", "out/a.json", SMALL_SCHEMA)
    model = ScriptedChatModel("writer-explore-5")
    result = await make_agent(tmp_path, model).ainvoke(user(prompt), thread("t"))
    messages = result["messages"]
    listings = tool_calls(messages, "ls")
    assert len(listings) == 5
    assert all(call["args"] == {"path": "/"} for call in listings)
    assert len(tool_calls(messages, "write_file")) == 1
    results = [m for m in messages if isinstance(m, ToolMessage) and m.name == "ls"]
    assert len(results) == 5 and all("README.md" in str(m.content) for m in results)
    assert file_errors(SMALL_SCHEMA, tmp_path / "out" / "a.json") == []
    assert messages[-1].content.startswith("Wrote /out/a.json")


def test_explore_counts_only_its_calls_since_the_task() -> None:
    ls_tool = {"type": "function", "function": {"name": "ls", "parameters": {}}}
    model = ScriptedChatModel("x-explore-2").bind_tools([*write_tool_schema(), ls_tool])
    prompt = HumanMessage(artifact_task_prompt("Go.", "", "/a.json", SMALL_SCHEMA))
    history: list[BaseMessage] = [prompt]
    names = []
    for _ in range(3):
        reply = model.invoke(history)
        assert isinstance(reply, AIMessage)
        call = reply.tool_calls[0]
        names.append(call["name"])
        history += [reply, ToolMessage("ok", tool_call_id=call["id"], name=call["name"])]
    assert names == ["ls", "ls", "write_file"]
    again = model.invoke(history[:3])
    assert again.id == history[3].id and again.tool_calls[0]["name"] == "ls"
    assert (
        ScriptedChatModel("plain")
        .bind_tools([*write_tool_schema(), ls_tool])
        .invoke([prompt])
        .tool_calls[0]["name"]
        == "write_file"
    )
