"""The phase activities on real parts: a git worktree of the example repository, the
ledger and the checkpointer on disk (and on PostgreSQL when it is installed), the
shipped template and scripted persona, run in a real activity context.

What matters is what a retry costs: a finished turn is not run again, an interrupted
one resumes from its checkpoint, and the ledger holds each model call exactly once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from my_deepagent.activities.deps import ActivityDeps, open_deps
from my_deepagent.activities.phase import PhaseActivities
from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.scripted import ScriptedChatModel
from my_deepagent.examples import prepare_example_repo
from my_deepagent.git import create_run_worktree, resolve_repo, run_branch_name, run_git
from my_deepagent.git.run_work import record_run_work
from my_deepagent.settings import get_settings, reset_settings
from my_deepagent.store.artifacts import get_artifact
from my_deepagent.store.events import list_events
from my_deepagent.store.llm_calls import list_llm_calls
from my_deepagent.store.runs import create_run
from my_deepagent.workflows.run_types import PhaseInput, PhaseResult, ValidateInput

RUN_ID = "5e1f0c2a9b8d4e6f8a7b6c5d4e3f2a1b"
TEMPLATE = "spec-and-review@1"
PERSONA = "scripted-spec-writer@1"
SPEC_PATH = ".mda/artifacts/spec.json"
REQUIREMENTS = "Items get an optional due date; `todo list --overdue` shows the late ones."


@dataclasses.dataclass(frozen=True)
class PhaseEnv:
    deps: ActivityDeps
    worktree: Path

    def task(self, **changes: Any) -> PhaseInput:
        persona = self.deps.catalog.persona(PERSONA)
        fields: dict[str, Any] = {
            "run_id": RUN_ID,
            "phase_key": "spec",
            "round": 1,
            "worktree": str(self.worktree),
            "template_ref": TEMPLATE,
            "persona_ref": PERSONA,
            "persona_hash": persona.hash,
        }
        return PhaseInput(**{**fields, **changes})

    def check(self, round: int = 1, revision: int = 0) -> ValidateInput:
        return ValidateInput(
            run_id=RUN_ID,
            phase_key="spec",
            round=round,
            revision=revision,
            worktree=str(self.worktree),
            template_ref=TEMPLATE,
        )


@pytest.fixture(params=["sqlite"])
async def phase_env(
    request: pytest.FixtureRequest,
    mda_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[PhaseEnv]:
    """A run on the todo example: its row, its worktree, the worker's deps."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    if request.param == "postgresql":
        monkeypatch.setenv("MDA_DATABASE_URL", request.getfixturevalue("postgres_database"))
        reset_settings()
    settings = get_settings()
    repo = resolve_repo(prepare_example_repo(tmp_path / "repo"))
    worktree = create_run_worktree(repo, "main", RUN_ID, settings.paths.worktrees_dir)
    async with open_deps(settings) as deps:
        await create_run(
            deps.db,
            repo_path=repo.root,
            base_branch="main",
            template_ref=TEMPLATE,
            requirements=REQUIREMENTS,
            run_id=RUN_ID,
        )
        yield PhaseEnv(deps=deps, worktree=worktree.path)


async def run_phase(
    activities: PhaseActivities, input: PhaseInput, heartbeats: list[Any] | None = None
) -> PhaseResult:
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: (heartbeats if heartbeats is not None else []).extend(
        details
    )
    return await env.run(activities.run_phase, input)


async def thread_messages(env: PhaseEnv, thread_id: str) -> list[BaseMessage]:
    """The thread's messages, read through an agent graph (the checkpoint alone stores
    `messages` as deltas)."""
    graph = build_agent(
        ScriptedChatModel(),
        worktree=env.worktree,
        system_prompt="",
        checkpointer=env.deps.checkpointer,
    )
    state = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    messages: list[BaseMessage] = state.values["messages"]
    return messages


async def checkpoint_count(deps: ActivityDeps, thread_id: str) -> int:
    return len(
        [c async for c in deps.checkpointer.alist({"configurable": {"thread_id": thread_id}})]
    )


async def call_keys(deps: ActivityDeps) -> list[str]:
    return [row.call_key for row in await list_llm_calls(deps.db, RUN_ID)]


def ai_keys(thread_id: str, messages: list[BaseMessage]) -> list[str]:
    return [f"{thread_id}:{m.id}" for m in messages if isinstance(m, AIMessage)]


def git(worktree: Path, *args: str) -> str:
    return run_git(list(args), cwd=worktree).stdout.strip()


@pytest.mark.parametrize("phase_env", ["sqlite", "postgresql"], indirect=True)
async def test_a_task_writes_a_valid_artifact_that_lands_on_the_run_branch(
    phase_env: PhaseEnv,
) -> None:
    deps, task = phase_env.deps, phase_env.task()
    heartbeats: list[Any] = []

    result = await run_phase(PhaseActivities(deps), task, heartbeats)

    messages = await thread_messages(phase_env, task.thread_id)
    first = messages[0]
    assert isinstance(first, HumanMessage) and REQUIREMENTS in str(first.content)
    assert f"/{SPEC_PATH}" in str(first.content)
    assert ai_keys(task.thread_id, messages) == await call_keys(deps)
    assert result.usage.model_calls == len(ai_keys(task.thread_id, messages)) == 2
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert not result.resumed
    assert heartbeats[0] == {"thread_id": task.thread_id, "model_calls": 0}
    rows = await list_llm_calls(deps.db, RUN_ID)
    assert {(r.phase_key, r.persona_ref, r.model) for r in rows} == {
        ("spec", PERSONA, "scripted:spec-writer")
    }
    assert {(r.cost_usd, r.cost_source) for r in rows} == {(Decimal(0), "price")}

    checked = await ActivityEnvironment().run(
        PhaseActivities(deps).validate_artifact, phase_env.check()
    )

    data = (phase_env.worktree / SPEC_PATH).read_bytes()
    assert checked.valid and checked.errors == ()
    assert checked.artifact is not None
    assert checked.artifact.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.artifact.size == len(data)
    stored = await get_artifact(deps.db, run_id=RUN_ID, phase_key="spec", round=1)
    assert stored is not None and stored.valid and stored.body == data.decode()
    assert git(phase_env.worktree, "log", "-1", "--format=%s", run_branch_name(RUN_ID)) == (
        "mda: spec (round 1)"
    )
    assert git(phase_env.worktree, "show", f"HEAD:{SPEC_PATH}") == data.decode().strip()


async def test_a_model_without_a_price_warns_once_per_run_and_costs_unknown(
    phase_env: PhaseEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("my_deepagent.prices.lookup.shipped_prices", lambda: ())
    deps = phase_env.deps
    await run_phase(PhaseActivities(deps), phase_env.task(), [])
    await run_phase(PhaseActivities(deps), phase_env.task(round=2), [])

    rows = await list_llm_calls(deps.db, RUN_ID)
    assert rows and {(r.cost_usd, r.cost_source) for r in rows} == {(None, None)}
    warned = [e for e in await list_events(deps.db, RUN_ID) if e.type == "price.unknown"]
    assert [(e.phase_key, e.payload["model"]) for e in warned] == [("spec", "scripted:spec-writer")]


async def test_a_retried_finished_turn_calls_no_model_and_records_nothing(
    phase_env: PhaseEnv,
) -> None:
    deps, task = phase_env.deps, phase_env.task()
    first = await run_phase(PhaseActivities(deps), task)
    checkpoints, keys = await checkpoint_count(deps, task.thread_id), await call_keys(deps)

    again = await run_phase(PhaseActivities(deps), task)

    assert again.resumed
    assert again.usage == first.usage
    assert await checkpoint_count(deps, task.thread_id) == checkpoints
    assert await call_keys(deps) == keys


async def test_an_invalid_artifact_is_repaired_on_the_same_thread(phase_env: PhaseEnv) -> None:
    deps, task = phase_env.deps, phase_env.task()
    activities = PhaseActivities(deps)
    first = await run_phase(activities, task)
    (phase_env.worktree / SPEC_PATH).write_text('{"goal": 42}\n', encoding="utf-8")
    record_run_work(phase_env.worktree, RUN_ID)  # as after the agent's own write

    checked = await ActivityEnvironment().run(activities.validate_artifact, phase_env.check())
    assert not checked.valid and checked.errors
    assert git(phase_env.worktree, "log", "-1", "--format=%s") != "mda: spec (round 1)"

    repair = phase_env.task(kind="repair", errors=checked.errors)
    repaired = await run_phase(activities, repair)
    repeated = await run_phase(activities, repair)

    messages = await thread_messages(phase_env, task.thread_id)
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    assert len(humans) == 2 and checked.errors[0] in str(humans[1].content)
    assert not repaired.resumed and repeated.resumed
    assert repaired.usage.model_calls == repeated.usage.model_calls > first.usage.model_calls
    assert ai_keys(task.thread_id, messages) == await call_keys(deps)
    rechecked = await ActivityEnvironment().run(
        activities.validate_artifact, phase_env.check(revision=1)
    )
    assert rechecked.valid
    assert git(phase_env.worktree, "log", "-1", "--format=%s") == "mda: spec (round 1)"


@pytest.mark.parametrize("calls_before_cancel", [0, 1])
async def test_an_interrupted_attempt_resumes_from_its_checkpoint(
    phase_env: PhaseEnv, calls_before_cancel: int
) -> None:
    """Cancelled once the thread exists (its input checkpoint, or after the first of its
    two model calls) while a slow model call is in flight; the retry continues it."""
    slow_settings = phase_env.deps.settings.model_copy(update={"scripted_latency_ms": 400})
    deps = dataclasses.replace(phase_env.deps, settings=slow_settings)
    activities = PhaseActivities(deps, heartbeat_interval_s=0.01)
    task = phase_env.task()
    env = ActivityEnvironment()
    attempt = asyncio.ensure_future(env.run(activities.run_phase, task))
    config: Any = {"configurable": {"thread_id": task.thread_id}}
    while True:  # polled: a condition, not a time, ends the wait
        # On the call's checkpoint, not its heartbeat: a cancel between the two loses the
        # call (the retry makes it again), which is not what this tests.
        if await deps.checkpointer.aget_tuple(config) is not None:
            made = ai_keys(task.thread_id, await thread_messages(phase_env, task.thread_id))
            if len(made) >= calls_before_cancel:
                break
        await asyncio.sleep(0.01)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt
    interrupted = await thread_messages(phase_env, task.thread_id)
    assert len(ai_keys(task.thread_id, interrupted)) == calls_before_cancel
    assert len(await call_keys(deps)) == calls_before_cancel

    retried = await run_phase(activities, task)

    messages = await thread_messages(phase_env, task.thread_id)
    assert retried.resumed
    assert len([m for m in messages if isinstance(m, HumanMessage)]) == 1
    assert ai_keys(task.thread_id, messages) == await call_keys(deps)
    uninterrupted = await run_phase(
        PhaseActivities(phase_env.deps), task.model_copy(update={"round": 2})
    )
    assert retried.usage.model_calls == uninterrupted.usage.model_calls


async def test_a_changed_persona_fails_the_phase_for_good(phase_env: PhaseEnv) -> None:
    task = phase_env.task(persona_hash="0" * 64)

    with pytest.raises(ApplicationError) as failure:
        await run_phase(PhaseActivities(phase_env.deps), task)

    assert failure.value.non_retryable
    assert failure.value.message.startswith(f"persona {PERSONA} changed since the run started")
    assert (
        await phase_env.deps.checkpointer.aget_tuple(
            {"configurable": {"thread_id": task.thread_id}}
        )
        is None
    )


async def test_a_changed_template_fails_the_phase_and_its_validation_for_good(
    phase_env: PhaseEnv,
) -> None:
    task = phase_env.task(template_hash="0" * 64)
    with pytest.raises(ApplicationError) as failure:
        await run_phase(PhaseActivities(phase_env.deps), task)
    assert failure.value.non_retryable
    assert "changed since the run started" in failure.value.message
    check = ValidateInput(
        run_id=task.run_id, phase_key=task.phase_key, round=1, worktree=task.worktree,
        template_ref=task.template_ref, template_hash="0" * 64,
    )  # fmt: skip
    with pytest.raises(ApplicationError, match="changed since the run started"):
        await ActivityEnvironment().run(PhaseActivities(phase_env.deps).validate_artifact, check)


async def test_a_missing_or_broken_artifact_is_reported_in_one_line(phase_env: PhaseEnv) -> None:
    activities = PhaseActivities(phase_env.deps)
    missing = await ActivityEnvironment().run(activities.validate_artifact, phase_env.check())
    assert missing == missing.model_copy(
        update={
            "valid": False,
            "artifact": None,
            "errors": (f"no file at /{SPEC_PATH}: write it with write_file",),
        }
    )
    target = phase_env.worktree / SPEC_PATH
    target.parent.mkdir(parents=True)
    target.write_text('{"goal": ', encoding="utf-8")
    record_run_work(phase_env.worktree, RUN_ID)  # as after the agent's own write

    broken = await ActivityEnvironment().run(activities.validate_artifact, phase_env.check())

    assert not broken.valid and broken.artifact is not None
    assert broken.errors == ("not valid JSON: Expecting value at line 1 column 10",)
    stored = await get_artifact(phase_env.deps.db, run_id=RUN_ID, phase_key="spec", round=1)
    assert stored is not None and stored.valid is False and stored.errors == list(broken.errors)


async def test_a_later_phase_is_told_its_inputs_and_the_reviewers_feedback(
    phase_env: PhaseEnv,
) -> None:
    reviewer = phase_env.deps.catalog.persona("scripted-reviewer@1")
    review = phase_env.task(
        phase_key="review",
        round=2,
        persona_ref=reviewer.ref,
        persona_hash=reviewer.hash,
        feedback="Cite the file and line of each finding.",
    )

    await run_phase(PhaseActivities(phase_env.deps), review)

    first = (await thread_messages(phase_env, review.thread_id))[0]
    assert "`/.mda/artifacts/spec.json`: the `spec` phase" in str(first.content)
    assert "Cite the file and line of each finding." in str(first.content)
    assert "<artifact_path>\n/.mda/artifacts/review.json\n</artifact_path>" in str(first.content)
