"""The agent activities of a run phase: one agent turn, and the check of its artifact.

`run_phase` is one agent invocation (a round's task, or its one repair turn) on the
thread `run:<id>:phase:<key>:<round>`, checkpointed step by step (durability
"sync": a step's checkpoint is written before the next step starts). A retried
attempt never re-sends its message, which would append a second user turn; it
first finishes whatever run the thread has in flight with `ainvoke(None)`, then
sends its message only if the thread lacks it (a task: the thread does not exist
yet; a repair: no human message with the repair text). A finished thread is left
as it is: the retry costs no model call. The repair turn uses the task's thread, so
the model sees its own work and the errors together.

The workflow's `abort` cancels the activity: the CancelledError reaches the model
call in flight and propagates. Heartbeats (every `heartbeat_interval_s`, with the
model calls of this attempt as details) are what lets Temporal deliver that cancel
and notice a dead worker.

`validate_artifact` reads the file the phase names, validates it against the
phase's schema, stores it (body, sha256, size, result) and, when it is valid,
commits the worktree, so the run branch holds each accepted artifact and whatever
else the agent changed; the commit goes back to the workflow, whose `artifact.validated`
event records it (a fork of the run starts its branch there).

Both work in this worker's own worktree of the run (`attach_run_worktree`), not in
a path from the workflow: any worker may run any phase, and the files of a phase in
progress are recorded in the repository after each tool call that may change them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from temporalio import activity
from temporalio.exceptions import ApplicationError

from my_deepagent.activities.budget import budget_stops
from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.activities.heartbeats import heartbeating
from my_deepagent.activities.workspace import attach_run_worktree
from my_deepagent.agents.audit_recorder import AuditMiddleware, AuditWhere
from my_deepagent.agents.budget_guard import BudgetGuard, BudgetWarning
from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.prompts import (
    agent_path,
    artifact_task_prompt,
    parse_repair_request,
    repair_prompt,
)
from my_deepagent.agents.provider_errors import temporal_model_errors
from my_deepagent.agents.threads import unfinished
from my_deepagent.agents.usage import CallContext, UsageMiddleware, thread_usage
from my_deepagent.agents.work_recorder import RunWorkMiddleware
from my_deepagent.audit import audit_file
from my_deepagent.domain.budget import BudgetGate
from my_deepagent.domain.catalog import Catalog
from my_deepagent.domain.persona import Persona
from my_deepagent.domain.template import Phase, Template
from my_deepagent.errors import MdaError
from my_deepagent.git import commit_all, run_branch_name
from my_deepagent.git.run_work import clear_run_work
from my_deepagent.git.worktree import head_commit
from my_deepagent.prices.lookup import current_price
from my_deepagent.store.artifacts import record_artifact, set_validation
from my_deepagent.store.budget import release_thread
from my_deepagent.store.events import EventType, event_key, record_event
from my_deepagent.store.records import RunRecord
from my_deepagent.store.runs import get_run
from my_deepagent.temporal_converter import keyed_details
from my_deepagent.tokens import content_text
from my_deepagent.workflows.run_types import (
    RAISE_BUDGET_SIGNAL,
    ArtifactRef,
    PhaseInput,
    PhaseResult,
    ValidateInput,
    ValidationResult,
)

HEARTBEAT_INTERVAL_S = 2.0
DURABILITY: Final = "sync"
MIN_RECURSION_LIMIT = 1000
STEPS_PER_MODEL_CALL = 4
"""Graph steps one model call may take (model, tools, middleware hooks), for the limit."""
MAX_ARTIFACT_BYTES = 5 * 1024 * 1024
SETUP_ERROR_TYPE = "PhaseSetupError"

PHASE_CONVENTIONS = """\
## How this phase runs

- You work alone in a git worktree of the repository. Your file tools see it as `/`:
  every path starts with `/`.
- Nobody answers questions during the phase. Decide, and record your assumptions in
  the artifact.
- Do not commit, push or switch branches: mda commits your files once the artifact
  validates.
- The phase ends when you answer without calling a tool, so write the artifact first."""


class PhaseActivities:
    """`run_phase` and `validate_artifact`, sharing one worker's `ActivityDeps`."""

    def __init__(
        self, deps: ActivityDeps, *, heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> None:
        self.deps = deps
        self.heartbeat_interval_s = heartbeat_interval_s

    async def _record_unconfined(self, input: PhaseInput) -> None:
        """The user's word that the shell runs unconfined, in the run's audit trail."""
        kind = EventType.SANDBOX_OFF
        key = event_key(input.run_id, kind, phase_key=input.phase_key, round=input.round)
        payload = {"setting": "MDA_SANDBOX=off"}
        await record_event(
            self.deps.db, input.run_id, kind, key, payload, phase_key=input.phase_key
        )

    async def _record_price_unknown(self, input: PhaseInput, model: str) -> None:
        """Warn once per run and model that its cost will show as unknown."""
        kind = EventType.PRICE_UNKNOWN
        payload = {
            "model": model,
            "cost": "unknown (see mda pricing; --refresh reads OpenRouter's prices)",
        }
        key = event_key(input.run_id, kind, part=model)
        await record_event(
            self.deps.db, input.run_id, kind, key, payload, phase_key=input.phase_key
        )

    async def _record_budget_warning(self, input: PhaseInput, warning: BudgetWarning) -> None:
        """Once per threshold: the key names the scope's spend key and the threshold."""
        kind = EventType.BUDGET_WARNING
        key = event_key(input.run_id, kind, part=f"{warning.key}:{warning.threshold}")
        payload = {
            "scope": warning.scope,
            "cap_usd": str(warning.cap_usd),
            "spent_usd": str(warning.spent_usd),
            "threshold": warning.threshold,
            "policy": warning.policy,
            "text": warning.text(),
        }
        await record_event(
            self.deps.db, input.run_id, kind, key, payload, phase_key=input.phase_key
        )

    @activity.defn(name="run_phase")
    async def run_phase(self, input: PhaseInput) -> PhaseResult:
        catalog = self.deps.catalog
        with setup_errors():
            template = _pinned_template(catalog, input.template_ref, input.template_hash)
            phase = _phase(template, input.phase_key)
            persona = _pinned_persona(catalog, input.persona_ref, input.persona_hash)
            model = build_chat_model(
                persona.model_spec, self.deps.settings, max_tokens=persona.limits.max_tokens
            )
            run = await self._run(input.run_id)
        worktree = await attach_run_worktree(self.deps.settings, run)
        if self.deps.settings.sandbox == "off":
            await self._record_unconfined(input)
        price = await current_price(self.deps.db, self.deps.settings, persona.model)
        if price is None:
            await self._record_price_unknown(input, persona.model)
        await release_thread(self.deps.db, input.thread_id)  # an earlier attempt's
        guard = BudgetGuard(
            self.deps.db,
            caps=input.budget,
            price=price,
            max_output_tokens=persona.limits.max_tokens,
            thread_id=input.thread_id,
            run_id=input.run_id,
            persona_ref=persona.ref,
            on_warning=lambda warning: self._record_budget_warning(input, warning),
        )
        usage = UsageMiddleware(
            self.deps.db,
            CallContext(
                thread_id=input.thread_id,
                model=persona.model,
                run_id=input.run_id,
                phase_key=input.phase_key,
                persona_ref=persona.ref,
                price=price,
            ),
            guard,
        )
        agent = build_agent(
            model,
            worktree=worktree,
            system_prompt=f"{persona.system_prompt.strip()}\n\n{PHASE_CONVENTIONS}",
            checkpointer=self.deps.checkpointer,
            extra_middleware=[usage, RunWorkMiddleware(worktree, run.id)],
            own_branches=[run_branch_name(input.run_id)],
            # A run's commits are mda's: its agent never writes git metadata.
            sandbox=persona.sandbox.model_copy(update={"git": "read"}),
            sandbox_mode=self.deps.settings.sandbox,
            audit=AuditMiddleware(
                audit_file(self.deps.settings.paths.log_dir),
                AuditWhere(run_id=input.run_id, phase=input.phase_key),
            ),
        )
        config: RunnableConfig = {
            "configurable": {"thread_id": input.thread_id},
            "recursion_limit": max(
                MIN_RECURSION_LIMIT, persona.limits.max_model_calls * STEPS_PER_MODEL_CALL
            ),
        }

        def details() -> dict[str, object]:
            return {"thread_id": input.thread_id, "model_calls": usage.calls}

        async with heartbeating(self.heartbeat_interval_s, details):
            with temporal_model_errors(), budget_stops(partial(how_to_raise, input.run_id)):
                resumed = await self._drive(agent, config, input, template, phase, run.requirements)
        return PhaseResult(usage=await thread_usage(self.deps.db, input.thread_id), resumed=resumed)

    @activity.defn(name="validate_artifact")
    async def validate_artifact(self, input: ValidateInput) -> ValidationResult:
        catalog = self.deps.catalog
        with setup_errors():
            template = _pinned_template(catalog, input.template_ref, input.template_hash)
            phase = _phase(template, input.phase_key)
            schema = catalog.schema(phase.artifact.schema_ref)
            run = await self._run(input.run_id)
        worktree = await attach_run_worktree(self.deps.settings, run)
        path = phase.artifact.path
        data = await asyncio.to_thread(_read_if_file, worktree / path)
        if data is None:
            error = f"no file at {agent_path(path)}: write it with write_file"
            return ValidationResult(valid=False, errors=(error,))
        if len(data) > MAX_ARTIFACT_BYTES:
            error = (
                f"{agent_path(path)} is {len(data)} bytes, over the {MAX_ARTIFACT_BYTES} byte "
                "limit: write a smaller document"
            )
            return ValidationResult(valid=False, errors=(error,))
        body, errors = _parse_and_check(data, schema.errors_for)
        db, run_id, key = self.deps.db, input.run_id, input.phase_key
        where = {"round": input.round, "revision": input.revision}
        await record_artifact(db, run_id=run_id, phase_key=key, path=path, body=body, **where)
        record = await set_validation(
            db, run_id=run_id, phase_key=key, errors=list(errors), **where
        )
        commit = None
        if not errors:
            message = f"mda: {input.phase_key} (round {input.round})"
            with setup_errors():  # e.g. a key-shaped string in the agent's files
                made = await asyncio.to_thread(commit_all, worktree, message)
            # Nothing to commit (an unchanged round, or a retry after the commit): the
            # branch tip holds the artifact.
            commit = made or await asyncio.to_thread(head_commit, worktree)
            await asyncio.to_thread(clear_run_work, worktree, run.id)
        return ValidationResult(
            valid=not errors,
            artifact=ArtifactRef(path=path, sha256=record.sha256, size=record.size),
            errors=errors,
            commit=commit,
        )

    async def _run(self, run_id: str) -> RunRecord:
        run = await get_run(self.deps.db, run_id)
        if run is None:
            raise MdaError(f"no run {run_id} in mda's database (start a new run)")
        return run

    async def _drive(
        self,
        agent: CompiledStateGraph[Any, Any, Any, Any],
        config: RunnableConfig,
        input: PhaseInput,
        template: Template,
        phase: Phase,
        requirements: str,
    ) -> bool:
        """Run the turn (see the module docstring); True if an earlier attempt began it."""
        existing = await self.deps.checkpointer.aget_tuple(config)
        continued = False
        if existing is not None and unfinished(await agent.aget_state(config)):
            await agent.ainvoke(None, config, durability=DURABILITY)
            continued = True
        if input.kind == "task":
            if existing is None:
                text = self._task_text(template, phase, requirements, input.feedback)
                await agent.ainvoke(
                    {"messages": [HumanMessage(text)]}, config, durability=DURABILITY
                )
            return existing is not None
        schema = None if existing is not None else self._schema_document(phase)
        text = repair_prompt(phase.artifact.path, list(input.errors), schema)
        messages = (await agent.aget_state(config)).values.get("messages", [])
        if _has_repair(messages, text):
            return True
        await agent.ainvoke({"messages": [HumanMessage(text)]}, config, durability=DURABILITY)
        return continued

    def _schema_document(self, phase: Phase) -> dict[str, Any]:
        return self.deps.catalog.schema(phase.artifact.schema_ref).document

    def _task_text(
        self, template: Template, phase: Phase, requirements: str, feedback: str | None
    ) -> str:
        sections = [phase.prompt.strip()]
        if phase.inputs:
            earlier = [template.phase(key) for key in phase.inputs]
            listed = [
                f"- `{agent_path(p.artifact.path)}`: the `{p.key}` phase ({p.title or p.role})"
                for p in earlier
            ]
            sections.append(
                "## Earlier artifacts\n\nRead these results of earlier phases first:\n"
                + "\n".join(listed)
            )
        if feedback and feedback.strip():
            sections.append(
                "## Changes requested\n\nA reviewer read the previous version of your artifact "
                f"(`{agent_path(phase.artifact.path)}`) and asked for these changes:\n\n"
                + feedback.strip()
            )
        return artifact_task_prompt(
            "\n\n".join(sections), requirements, phase.artifact.path, self._schema_document(phase)
        )


def how_to_raise(run_id: str, gate: BudgetGate) -> str:
    """What the person who reads a budget stop of a run can do about it."""
    short = run_id[:8]
    if gate.policy == "prompt":
        return (
            f"the run waits: raise it with `mda budget raise {short} --scope {gate.scope} "
            f"--usd {gate.suggested_cap()}` (or send the {RAISE_BUDGET_SIGNAL} signal), "
            f"or `mda abort {short}`"
        )
    if gate.scope == "run":
        return f"`mda resume {short} --budget-usd {gate.suggested_cap()}` continues the phase"
    setting = f"budget_{gate.scope}_usd"
    return (
        f"raise {setting} in config.toml (or MDA_{setting.upper()}), then `mda resume {short}` "
        "continues the phase"
    )


@contextlib.contextmanager
def setup_errors() -> Iterator[None]:
    """A user-fixable problem found before the agent starts: retrying cannot fix it.
    A keyed error keeps its key and fields in the details (said by the client)."""
    try:
        yield
    except MdaError as exc:
        raise ApplicationError(
            exc.message, *keyed_details(exc), type=SETUP_ERROR_TYPE, non_retryable=True
        ) from None


def _pinned_template(catalog: Catalog, ref: str, pinned_hash: str | None) -> Template:
    template = catalog.template(ref)
    if pinned_hash is not None and template.hash != pinned_hash:
        raise MdaError(
            f"template {ref} changed since the run started (restore its file, or start a new run)"
        )
    return template


def _pinned_persona(catalog: Catalog, ref: str, pinned_hash: str) -> Persona:
    persona = catalog.persona(ref)
    if persona.hash != pinned_hash:
        raise MdaError(
            f"persona {ref} changed since the run started (restore its file, or start a new run)"
        )
    return persona


def _phase(template: Template, key: str) -> Phase:
    try:
        return template.phase(key)
    except KeyError:
        raise MdaError(f"template {template.ref} has no phase {key!r}") from None


def _has_repair(messages: Sequence[BaseMessage], text: str) -> bool:
    """Whether the thread already holds this repair request (same path, same errors;
    with or without the schema, which only a repair on a missing thread repeats)."""
    wanted = parse_repair_request(text)
    assert wanted is not None
    for message in messages:
        found = parse_repair_request(content_text(message)) if message.type == "human" else None
        if found is not None and (found.path, found.errors) == (wanted.path, wanted.errors):
            return True
    return False


def _read_if_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _parse_and_check(
    data: bytes, errors_for: Callable[[Any], tuple[str, ...]]
) -> tuple[str, tuple[str, ...]]:
    """The body as text, and its errors: not UTF-8, not JSON, or the schema's."""
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), (
            f"not UTF-8 text: {exc.reason} at byte {exc.start}",
        )
    try:
        instance = json.loads(body)
    except json.JSONDecodeError as exc:
        return body, (f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",)
    return body, tuple(errors_for(instance))
