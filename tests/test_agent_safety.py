"""A real deepagents agent from `build_agent` cannot do what the safety rules refuse,
nor can its subagent.

The agent, its tools, the `task` subagent, the backend and the shell are the real ones;
only the model is a test double (`PlannedChatModel`) that makes the tool calls a test
names. Commands that would do damage never run: they are refused before execution, and
their would-be effects are sentinels (a fake `git` on PATH that leaves a file, files in
tmp dirs that must not appear).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver

from my_deepagent.agents.backends import worktree_backend
from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.safety import REFUSED_PREFIX
from my_deepagent.sandbox.policy import SANDBOX_HOME

Call = tuple[str, dict[str, Any]]
SECRET = "SECRET-SENTINEL-8d1f"
FINAL_PREFIX = "finished after: "


class PlannedChatModel(BaseChatModel):
    """Makes the tool calls planned for the conversation's first human message, one per turn.

    A pure function of the messages: the plan is chosen by the first human message, the
    step by how many AI messages follow it. After the last step it answers with the
    content of the latest tool result, so the parent agent (or a test) can see what the
    tools said.
    """

    plans: dict[str, list[Call]]

    @property
    def _llm_type(self) -> str:
        return "planned"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def respond(self, messages: Sequence[BaseMessage]) -> AIMessage:
        first = next(m for m in messages if isinstance(m, HumanMessage))
        plan = self.plans.get(str(first.content), [])
        step = sum(isinstance(m, AIMessage) for m in messages)
        canonical = [(m.type, str(m.content), getattr(m, "tool_call_id", None)) for m in messages]
        key = hashlib.sha256(json.dumps(canonical).encode()).hexdigest()
        calls = []
        content = ""
        if step < len(plan):
            name, args = plan[step]
            calls = [{"name": name, "args": args, "id": f"call_{key[:20]}", "type": "tool_call"}]
        else:
            results = [m for m in messages if isinstance(m, ToolMessage)]
            content = FINAL_PREFIX + (str(results[-1].content) if results else "nothing")
        message = AIMessage(
            content=content,
            tool_calls=calls,
            id=f"planned-{key[:32]}",
            response_metadata={
                "model_name": "planned",
                "finish_reason": "tool_calls" if calls else "stop",
            },
        )
        message.usage_metadata = UsageMetadata(
            input_tokens=len(messages), output_tokens=1, total_tokens=len(messages) + 1
        )
        return message

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    root = tmp_path / "outer" / "wt"
    root.mkdir(parents=True)
    (root / ".env").write_text(f"API_KEY={SECRET}\n")
    (root / "README.md").write_text("# demo\nneedle in the readme\n")
    return root


@pytest.fixture
def fake_git(worktree: Path) -> Path:
    """A `git` that records each invocation as a file: the sentinel for "it ran".
    It lives in the worktree: the sandboxed shell sees nothing else to run."""
    bin_dir = worktree / "fake-bin"
    bin_dir.mkdir()
    script = bin_dir / "git"
    script.write_text(f'#!/bin/sh\ntouch "{bin_dir}/git-ran-$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


async def run(
    model: PlannedChatModel, worktree: Path, prompt: str, **kwargs: Any
) -> dict[str, Any]:
    agent = build_agent(
        model, worktree=worktree, system_prompt="You work in a repository.", **kwargs
    )
    result: dict[str, Any] = await agent.ainvoke({"messages": [HumanMessage(prompt)]})
    return result


def tool_messages(result: dict[str, Any], name: str) -> list[ToolMessage]:
    return [m for m in result["messages"] if isinstance(m, ToolMessage) and m.name == name]


def final_answer(result: dict[str, Any]) -> str:
    last = result["messages"][-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
    return str(last.content)


def git_ran(fake_git: Path) -> list[Path]:
    return list(fake_git.glob("git-ran-*"))


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def everything_said(result: dict[str, Any]) -> str:
    return "\n".join(str(m.content) for m in result["messages"])


async def test_reading_env_is_refused_and_the_run_goes_on(worktree: Path) -> None:
    model = PlannedChatModel(
        plans={
            "go": [
                ("read_file", {"file_path": "/.env"}),
                ("read_file", {"file_path": "/README.md"}),
            ]
        }
    )
    result = await run(model, worktree, "go")
    refused, allowed = tool_messages(result, "read_file")
    assert refused.status == "error" and str(refused.content).startswith(REFUSED_PREFIX)
    assert ".env may hold credentials" in str(refused.content)
    assert allowed.status != "error" and "needle in the readme" in str(allowed.content)
    assert final_answer(result).startswith(FINAL_PREFIX)
    assert SECRET not in everything_said(result)


async def test_grep_never_shows_secret_files(worktree: Path) -> None:
    model = PlannedChatModel(
        plans={"go": [("grep", {"pattern": "SENTINEL", "path": "/", "output_mode": "content"})]}
    )
    (worktree / "notes.txt").write_text("a SENTINEL in plain notes\n")
    result = await run(model, worktree, "go")
    (grep,) = tool_messages(result, "grep")
    assert "notes.txt" in str(grep.content)
    assert SECRET not in everything_said(result)


async def test_escaping_the_worktree_is_refused(worktree: Path) -> None:
    outside = worktree.parent / "outside.txt"
    model = PlannedChatModel(
        plans={
            "go": [
                ("execute", {"command": "echo SENTINEL > ../outside.txt"}),
                ("write_file", {"file_path": "/../outside.txt", "content": "SENTINEL"}),
                ("execute", {"command": "echo SENTINEL > inside.txt"}),
            ]
        }
    )
    result = await run(model, worktree, "go")
    shell_refusal, shell_allowed = tool_messages(result, "execute")
    (write_refusal,) = tool_messages(result, "write_file")
    assert shell_refusal.status == "error" and "outside the worktree" in str(shell_refusal.content)
    assert write_refusal.status == "error" and "leaves the worktree" in str(write_refusal.content)
    assert shell_allowed.status != "error"
    assert not outside.exists()
    assert (worktree / "inside.txt").read_text() == "SENTINEL\n"
    assert final_answer(result).startswith(FINAL_PREFIX)


async def test_git_push_is_refused_before_git_runs(
    worktree: Path, fake_git: Path, tmp_path: Path
) -> None:
    model = PlannedChatModel(
        plans={
            "go": [
                ("execute", {"command": "git -C . push origin HEAD"}),
                ("execute", {"command": "git status"}),
            ]
        }
    )
    backend = worktree_backend(worktree, timeout_s=30, env={"PATH": f"{fake_git}:/usr/bin:/bin"})
    result = await run(model, worktree, "go", backend=backend)
    push, status = tool_messages(result, "execute")
    assert push.status == "error" and "git push is refused" in str(push.content)
    assert status.status != "error"
    assert (fake_git / "git-ran-status").exists()
    assert not (fake_git / "git-ran-push").exists()
    assert not (fake_git / "git-ran--C").exists()


async def test_the_task_subagent_is_held_to_the_same_rules(
    worktree: Path, fake_git: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    subagent_plan: list[Call] = [
        ("read_file", {"file_path": "/.env"}),
        ("execute", {"command": "echo SENTINEL > ../outside.txt"}),
        ("execute", {"command": "bash -c 'git push --force'"}),
    ]
    model = PlannedChatModel(
        plans={
            "go": [
                (
                    "task",
                    {"description": "try the refused calls", "subagent_type": "general-purpose"},
                )
            ],
            "try the refused calls": subagent_plan,
        }
    )
    backend = worktree_backend(worktree, timeout_s=30, env={"PATH": f"{fake_git}:/usr/bin:/bin"})
    with caplog.at_level(logging.WARNING, logger="my_deepagent.agents.safety"):
        result = await run(model, worktree, "go", backend=backend)
    (task,) = tool_messages(result, "task")
    assert "git push is refused" in str(task.content)
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert [message.split(" (")[0] for message in refused] == [
        "refused read_file",
        "refused execute",
        "refused execute",
    ]
    assert tool_messages(result, "read_file") == [] and tool_messages(result, "execute") == []
    assert not (worktree.parent / "outside.txt").exists()
    assert not git_ran(fake_git)
    assert SECRET not in everything_said(result)
    assert final_answer(result).startswith(FINAL_PREFIX)


LATE = "sleep 2; echo still running > late.txt"
"""A process that, if it outlived its command, would write `late.txt` 2 s later."""


def _wrote_late(worktree: Path) -> bool:
    time.sleep(3)
    return (worktree / "late.txt").exists()


async def test_a_timed_out_command_dies_with_every_process_it_started(worktree: Path) -> None:
    command = f"sh -c '({LATE}) & sleep 30'"
    model = PlannedChatModel(plans={"go": [("execute", {"command": command, "timeout": 1})]})
    result = await run(model, worktree, "go")
    (execute,) = tool_messages(result, "execute")
    assert "timed out after 1 seconds" in str(execute.content)
    assert not _wrote_late(worktree)
    assert final_answer(result).startswith(FINAL_PREFIX)


def test_the_sync_shell_kills_the_whole_tree_too(worktree: Path) -> None:
    backend = worktree_backend(worktree, timeout_s=1)
    response = backend.execute(f"sh -c '({LATE}) & sleep 30'")
    assert response.exit_code == 124
    assert not _wrote_late(worktree)


@pytest.mark.parametrize(
    "command",
    [f"({LATE}) > /dev/null 2>&1 &", f"setsid sh -c '{LATE}' &", f"nohup sh -c '({LATE}) &' &"],
)
def test_background_processes_do_not_outlive_their_command(worktree: Path, command: str) -> None:
    backend = worktree_backend(worktree, timeout_s=30)
    response = backend.execute(f"{command} echo started")
    assert response.exit_code == 0 and "started" in response.output
    assert not _wrote_late(worktree)


async def test_the_shell_environment_holds_no_keys(
    worktree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_OPENROUTER_API_KEY", "sk-or-should-never-leak")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-never-leak")
    model = PlannedChatModel(plans={"go": [("execute", {"command": "env"})]})
    result = await run(model, worktree, "go")
    (execute,) = tool_messages(result, "execute")
    variables = dict(
        line.split("=", 1) for line in str(execute.content).splitlines() if "=" in line
    )
    assert not [
        name for name in variables if name.startswith(("MDA_", "OPENAI", "ANTHROPIC", "OPENROUTER"))
    ]
    assert "never-leak" not in everything_said(result)
    assert variables["HOME"] == SANDBOX_HOME != os.environ.get("HOME")


def test_extra_environment_may_not_carry_credentials(tmp_path: Path) -> None:
    assert "CI=1" in worktree_backend(tmp_path, timeout_s=5, env={"CI": "1"}).execute("env").output
    for name in ("MDA_OPENROUTER_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "AWS_PROFILE"):
        with pytest.raises(ValueError, match=name):
            worktree_backend(tmp_path, timeout_s=5, env={name: "x"})


async def test_large_tool_results_stay_in_state_not_in_the_worktree(worktree: Path) -> None:
    command = "head -c 90000 /dev/zero | tr '\\0' x"
    model = PlannedChatModel(plans={"go": [("execute", {"command": command})]})
    agent = build_agent(
        model, worktree=worktree, system_prompt="Work.", checkpointer=InMemorySaver()
    )
    config: RunnableConfig = {"configurable": {"thread_id": "large"}}
    result = await agent.ainvoke({"messages": [HumanMessage("go")]}, config)
    (execute,) = tool_messages(result, "execute")
    assert len(str(execute.content)) < 20000
    files = (await agent.aget_state(config)).values["files"]
    (offloaded,) = files
    # CompositeBackend strips the route prefix: `/large_tool_results/<id>` is `/<id>` in state.
    assert f"/large_tool_results{offloaded}" in str(execute.content)
    assert "x" * 80000 in str(files[offloaded]["content"])
    assert not (worktree / "large_tool_results").exists()
    assert entries(worktree) == [".env", "README.md"]
