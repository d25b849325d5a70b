"""`session_turn`: one chat turn of a session, as one resumable agent invocation.

The user's message is mirrored to `messages` first (idempotent: the seq comes from the
workflow), then the agent runs on the context's LangGraph thread in the user's
repository (the same backend confinement and middleware as a run's phase, subagent
included, plus the project memory, read at every model call), then the reply and the
session's recomputed totals are written in one commit.

Durability: the user message enters the thread with a deterministic id
(`turn_message_id`). A retried attempt (the worker died) finds it there and resumes
the thread with `ainvoke(None)` from its last checkpoint, so completed model calls
and tools are not made again. A first attempt skips that lookup: nobody ran it before.

A turn that stopped at a budget cap comes back after the raise with `resume`: it is
continued from its checkpoint like a retry, so the stopped model call is made and no
earlier one. The turn's reservations of a dead attempt are dropped first.

A new context (after /clear, compaction, /agent, /model, or a turn that failed) has
no thread yet: it is seeded with the session's visible messages, summary first, minus
user messages that got no answer.

The working tree is recorded before the agent runs (`turn-<n>`) and again when it
stops, however it stops (`after-<n>`): what the session itself changed is the
difference between the two, which is how a rewind tells changes made outside it. The
second record runs inside the heartbeats (a `git add -A` of a large repository can
outlast the heartbeat timeout, which would run the turn again), and its failure is only
logged: it never fails the turn.

A resent message (same client id, answered in an earlier execution) is found by the
user-row insert that did not happen: the earlier answer is returned, no model runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from temporalio import activity

from my_deepagent.activities.budget import budget_stops
from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.activities.heartbeats import heartbeating
from my_deepagent.activities.phase import setup_errors
from my_deepagent.agents.audit_recorder import AuditMiddleware, AuditWhere
from my_deepagent.agents.budget_guard import BudgetGuard, BudgetWarning
from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.models import build_chat_model, connection
from my_deepagent.agents.provider_errors import temporal_model_errors
from my_deepagent.agents.threads import unfinished
from my_deepagent.agents.turn_progress import ProgressMiddleware
from my_deepagent.agents.usage import CallContext, UsageMiddleware
from my_deepagent.audit import audit_file
from my_deepagent.catalogue import english
from my_deepagent.domain.budget import BudgetGate
from my_deepagent.domain.model_spec import ModelSpec
from my_deepagent.domain.persona import Persona
from my_deepagent.errors import MdaError
from my_deepagent.git.runner import WorkspaceError
from my_deepagent.git.snapshot import after_ref, record_working_tree, turn_ref, vault_dir
from my_deepagent.prices.lookup import current_price
from my_deepagent.scrub import scrub
from my_deepagent.sessions.compaction import compaction_threshold_tokens
from my_deepagent.sessions.memory import ensure_memory, memory_dir
from my_deepagent.sessions.progress import shorten_tool_call
from my_deepagent.sessions.references import typed_text
from my_deepagent.store.budget import release_thread
from my_deepagent.store.messages import (
    append_message,
    append_reply,
    get_body,
    live_messages,
    message_at,
    message_by_client_id,
)
from my_deepagent.store.records import MessageRecord, SessionRecord
from my_deepagent.store.sessions import mark_unconfined
from my_deepagent.tokens import content_text, context_window, count_message_tokens, count_tokens
from my_deepagent.workflows.run_types import Usage
from my_deepagent.workflows.session_types import (
    CANCELLED_REPLY,
    MAX_INLINE_BODY_BYTES,
    TurnInput,
    TurnOutput,
    session_thread_id,
    turn_message_id,
)

HEARTBEAT_INTERVAL_S = 0.5
DURABILITY: Final = "sync"
RECURSION_LIMIT = 1000
SUMMARY_PREFIX = "[Summary of the conversation so far]\n"
CACHED_AGENTS = 16

SESSION_CONVENTIONS = """\
## How this conversation works

- You work in the user's git repository. Your file tools see it as `/`: every path
  starts with `/`.
- The user talks to you turn by turn. Answer the latest message; when a request is
  ambiguous, ask.
- Do not commit, push or switch branches unless the user asks you to."""


logger = logging.getLogger(__name__)


def _record_working_tree(input: TurnInput, data_dir: Path, *, after: bool = False) -> None:
    """The repository as it is before the agent's turn, for `mda sessions restore`
    (a retried turn keeps the record of its first attempt); with `after`, as the turn
    left it, for `mda sessions rewind` to tell the session's changes from the others
    (the last attempt's record replaces an earlier one)."""
    repo = Path(input.repo_path)
    when = "after" if after else "before"
    message = f"mda: session {input.session_id}, working tree {when} turn {input.turn}"
    ref = (after_ref if after else turn_ref)(input.session_id, input.turn)
    try:
        record_working_tree(repo, ref, message, vault_dir(data_dir, ref), replace=after)
    except (WorkspaceError, OSError) as exc:  # never fails the turn, so never reruns it
        logger.warning("no working-tree snapshot %s turn %s: %s", when, input.turn, exc)


@dataclass(frozen=True)
class _CachedAgent:
    agent: CompiledStateGraph[Any, Any, Any, Any]
    progress: ProgressMiddleware
    guard: BudgetGuard
    warnings: list[str]
    """The budget warnings of the turn running (reset at each turn)."""
    audit: AuditMiddleware


def how_to_raise(gate: BudgetGate) -> str:
    """What the user can do about a budget stop of a session turn (English: the worker
    records it in the turn's failure)."""
    amount = gate.suggested_cap()
    raise_it = f"/budget raise {amount}" + ("" if gate.scope == "session" else f" {gate.scope}")
    if gate.policy == "prompt":
        return english("chat.raise_cap_and_wait", command=raise_it)
    return english("chat.raise_cap_then_send", command=raise_it)


class SessionTurnActivities:
    def __init__(
        self, deps: ActivityDeps, *, heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> None:
        self.deps = deps
        self.heartbeat_interval_s = heartbeat_interval_s
        self._agents: OrderedDict[tuple[str, str, str], _CachedAgent] = OrderedDict()

    @activity.defn(name="session_turn")
    async def session_turn(self, input: TurnInput) -> TurnOutput:
        db, settings = self.deps.db, self.deps.settings
        with setup_errors():
            persona = self.deps.catalog.persona(input.persona_ref)
            spec = ModelSpec.parse(input.model)
            connection(spec, settings)  # a missing key fails here, not mid-turn
            text = await self._body(input)
        written = await append_message(
            db,
            session_id=input.session_id,
            seq=input.user_seq,
            role="user",
            content=text,
            token_count=count_tokens(text),
            client_id=input.message.client_id,
            turn=input.turn,
        )
        if not written:
            earlier = await self._answered(input)
            if earlier is not None:
                return earlier
        await asyncio.to_thread(_record_working_tree, input, settings.paths.data_dir)
        if settings.sandbox == "off":
            await mark_unconfined(db, input.session_id)
        thread_id = session_thread_id(input.session_id, input.context)
        cached = await self._agent(input, persona, spec, thread_id)
        agent, progress = cached.agent, cached.progress
        progress.reset()
        cached.audit.begin_turn(input.turn)
        cached.guard.caps = input.budget
        cached.guard.refresh()
        cached.warnings.clear()
        await release_thread(db, thread_id)  # an earlier attempt's reservations
        config: RunnableConfig = {
            "configurable": {"thread_id": thread_id},
            "recursion_limit": RECURSION_LIMIT,
        }

        def details() -> dict[str, object]:
            return progress.progress.model_dump(mode="json")

        try:
            async with heartbeating(self.heartbeat_interval_s, details):
                try:
                    with temporal_model_errors(), budget_stops(how_to_raise):
                        messages = await self._drive(agent, config, input, text)
                finally:  # still heartbeating: a slow record must not time the turn out
                    await asyncio.to_thread(
                        _record_working_tree, input, settings.paths.data_dir, after=True
                    )
        except asyncio.CancelledError:
            if _asked_to_cancel():
                await self._record_reply(input, CANCELLED_REPLY, [], title_from=typed_text(text))
            raise
        turn_messages = _after(messages, turn_message_id(input.session_id, input.turn))
        reply = _reply_text(turn_messages)
        session = await self._record_reply(input, reply, turn_messages, title_from=typed_text(text))
        threshold = session.compact_threshold or settings.compact_threshold
        shown, complete = _inline(reply)
        return TurnOutput(
            reply=shown,
            reply_complete=complete,
            user_seq=input.user_seq,
            assistant_seq=input.user_seq + 1,
            usage=Usage(
                model_calls=progress.progress.model_calls,
                input_tokens=progress.progress.input_tokens,
                output_tokens=progress.progress.output_tokens,
            ),
            context_tokens=session.context_tokens,
            compact_at_tokens=compaction_threshold_tokens(context_window(str(spec)), threshold),
            warnings=tuple(cached.warnings),
        )

    async def _agent(
        self, input: TurnInput, persona: Persona, spec: ModelSpec, thread_id: str
    ) -> _CachedAgent:
        """The compiled agent of this session context (compiling one costs ~15 ms: a
        worker keeps the last few). A session's turns run one at a time, so its
        middleware's per-turn counters are never shared by two turns."""
        key = (thread_id, persona.hash, str(spec))
        cached = self._agents.get(key)
        if cached is not None:
            self._agents.move_to_end(key)
            return cached
        settings = self.deps.settings
        price = await current_price(self.deps.db, settings, str(spec))
        warnings: list[str] = []

        async def warn(warning: BudgetWarning) -> None:
            warnings.append(warning.text())

        guard = BudgetGuard(
            self.deps.db,
            caps=input.budget,
            price=price,
            max_output_tokens=persona.limits.max_tokens,
            thread_id=thread_id,
            session_id=input.session_id,
            persona_ref=persona.ref,
            on_warning=warn,
        )
        usage = UsageMiddleware(
            self.deps.db,
            CallContext(
                thread_id=thread_id,
                model=str(spec),
                session_id=input.session_id,
                persona_ref=persona.ref,
                price=price,
            ),
            guard,
        )
        progress = ProgressMiddleware()
        audit = AuditMiddleware(
            audit_file(settings.paths.log_dir),
            AuditWhere(session_id=input.session_id, turn=input.turn),
        )
        folder = memory_dir(settings.paths.data_dir, input.project_key)
        await asyncio.to_thread(ensure_memory, folder)
        agent = build_agent(
            build_chat_model(spec, settings, max_tokens=persona.limits.max_tokens),
            worktree=input.repo_path,
            system_prompt=f"{persona.system_prompt.strip()}\n\n{SESSION_CONVENTIONS}",
            checkpointer=self.deps.checkpointer,
            extra_middleware=[usage, progress],
            memory_dir=folder,
            sandbox=persona.sandbox,
            sandbox_mode=settings.sandbox,
            place="repository",
            audit=audit,
        )
        cached = _CachedAgent(
            agent=agent, progress=progress, guard=guard, warnings=warnings, audit=audit
        )
        self._agents[key] = cached
        while len(self._agents) > CACHED_AGENTS:
            self._agents.popitem(last=False)
        return cached

    async def _body(self, input: TurnInput) -> str:
        message = input.message
        if message.text is not None:
            return message.text
        assert message.body_ref is not None
        body = await get_body(self.deps.db, message.body_ref)
        if body is None:
            raise MdaError.english("chat.body_missing", ref=message.body_ref[:12])
        return body

    async def _answered(self, input: TurnInput) -> TurnOutput | None:
        """The earlier answer when this message id was sent before, at another seq."""
        earlier = await message_by_client_id(
            self.deps.db, input.session_id, input.message.client_id
        )
        if earlier is None or earlier.seq == input.user_seq:
            return None
        reply = await message_at(self.deps.db, input.session_id, earlier.seq + 1)
        text = reply.content if reply else "(no reply was recorded for this message)"
        shown, complete = _inline(text)
        return TurnOutput(
            reply=shown,
            reply_complete=complete,
            user_seq=earlier.seq,
            assistant_seq=earlier.seq + 1,
            duplicate=True,
            answered_turn=earlier.turn,
        )

    async def _drive(
        self, agent: Any, config: RunnableConfig, input: TurnInput, text: str
    ) -> list[BaseMessage]:
        """Run (or resume) the turn; the thread's messages afterwards."""
        human_id = turn_message_id(input.session_id, input.turn)
        if activity.info().attempt > 1 or input.resume:
            state = await agent.aget_state(config)
            messages: list[BaseMessage] = state.values.get("messages", [])
            if any(m.id == human_id for m in messages):
                if not unfinished(state):
                    return messages
                result = await agent.ainvoke(None, config, durability=DURABILITY)
                return list(result["messages"])
        existing = await self.deps.checkpointer.aget_tuple(config)
        seed = [] if existing is not None else await self._seed(input)
        result = await agent.ainvoke(
            {"messages": [*seed, HumanMessage(text, id=human_id)]}, config, durability=DURABILITY
        )
        return list(result["messages"])

    async def _seed(self, input: TurnInput) -> list[BaseMessage]:
        """A new context starts from the visible conversation (summary first)."""
        rows = await live_messages(self.deps.db, input.session_id)
        answered = {row.seq - 1 for row in rows if row.role == "assistant"}
        return [
            message
            for row in rows
            if row.role != "user" or row.seq in answered
            for message in _as_messages(row)
        ]

    async def _record_reply(
        self,
        input: TurnInput,
        reply: str,
        turn_messages: Sequence[BaseMessage],
        *,
        title_from: str | None = None,
    ) -> SessionRecord:
        calls = [
            {"name": call["name"], "args": shorten_tool_call(call["name"], call["args"])}
            for message in turn_messages
            if isinstance(message, AIMessage)
            for call in message.tool_calls
        ]
        return await append_reply(
            self.deps.db,
            session_id=input.session_id,
            seq=input.user_seq + 1,
            content=reply,
            token_count=count_message_tokens(list(turn_messages)) or count_tokens(reply),
            tool_calls=calls or None,
            turn=input.turn,
            context=input.context,
            title_from=title_from,
        )


def _asked_to_cancel() -> bool:
    """The user cancelled the turn (Ctrl-C), as opposed to a worker shutting down or a
    heartbeat timing out: then a retry still answers, and must be the one recorded."""
    details = activity.cancellation_details()
    return details is not None and details.cancel_requested and not details.worker_shutdown


def _after(messages: Sequence[BaseMessage], message_id: str) -> list[BaseMessage]:
    for index, message in enumerate(messages):
        if message.id == message_id:
            return list(messages[index + 1 :])
    return []


def _reply_text(messages: Sequence[BaseMessage]) -> str:
    """The turn's last words, scrubbed: they go into the update's result (history)."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            text = content_text(message).strip()
            if text:
                return scrub(text)
    return "(no answer)"


def _inline(text: str) -> tuple[str, bool]:
    """The reply as the update carries it, and whether that is all of it."""
    data = text.encode()
    if len(data) <= MAX_INLINE_BODY_BYTES:
        return text, True
    return data[: MAX_INLINE_BODY_BYTES - 3].decode("utf-8", "ignore") + "...", False


def _as_messages(row: MessageRecord) -> list[BaseMessage]:
    if row.is_summary:
        return [HumanMessage(SUMMARY_PREFIX + row.content)]
    if row.role == "user":
        return [HumanMessage(row.content)]
    if row.role == "assistant":
        return [AIMessage(row.content)]
    return []
