"""`session_compact`: summarise a session's older messages and start the next context.

The plan (what to keep, what to summarise) and the chunked summariser live in
`sessions/compaction.py`; this activity reads the visible messages, calls the cheap
model (each call recorded in `llm_calls` like any other), and applies the result in
one transaction: the originals archived, one structured summary row added. The next
turn's new context is seeded from the summary and the kept messages.

Idempotent: a retry after the transaction finds the summary row at its seq and
reports that compaction instead of planning another.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from temporalio import activity

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.activities.heartbeats import heartbeating
from my_deepagent.activities.phase import setup_errors
from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.usage import CallContext, UsageMiddleware
from my_deepagent.domain.binding import best_persona
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.errors import MdaError
from my_deepagent.prices.lookup import current_price
from my_deepagent.sessions.compaction import (
    CompactionRefusal,
    TranscriptMessage,
    plan_compaction,
    tokens_after,
)
from my_deepagent.sessions.summary import summarise
from my_deepagent.store.database import Database
from my_deepagent.store.messages import apply_compaction, live_messages, message_at
from my_deepagent.store.sessions import get_session
from my_deepagent.tokens import context_window, count_tokens
from my_deepagent.workflows.session_types import CompactInput, CompactionOutcome, Said

SCRIPTED_SUMMARIZER = "scripted:summarizer"
HEARTBEAT_INTERVAL_S = 1.0


class SessionCompactionActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="session_compact")
    async def session_compact(self, input: CompactInput) -> CompactionOutcome:
        db = self.deps.db
        done = await message_at(db, input.session_id, input.summary_seq)
        if done is not None and done.is_summary:
            return await self._outcome_of_done(input)
        live = await live_messages(db, input.session_id)
        transcript = [
            TranscriptMessage(
                seq=m.seq,
                role=m.role,
                content=m.content,
                token_count=m.token_count,
                is_summary=m.is_summary,
            )
            for m in live
        ]
        plan = plan_compaction(transcript)
        if isinstance(plan, CompactionRefusal):
            said = Said(key=plan.key, fields=dict(plan.fields)) if plan.key else None
            return CompactionOutcome(
                compacted=False, reason=plan.reason, reason_said=said, context=input.context
            )
        with setup_errors():
            summary_model = self._summary_model(input.model)
            model = build_chat_model(summary_model, self.deps.settings)
        price = await current_price(db, self.deps.settings, summary_model)
        model.callbacks = [_CallRecorder(db, input.session_id, summary_model, price)]
        async with heartbeating(HEARTBEAT_INTERVAL_S):
            result = await summarise(model, plan.to_summarise, window=context_window(summary_model))
        summary_tokens = count_tokens(result.text)
        await apply_compaction(
            db,
            session_id=input.session_id,
            archive_seqs=plan.archive_seqs,
            summary_seq=input.summary_seq,
            summary=result.text,
            summary_tokens=summary_tokens,
            context=input.context + 1,
        )
        return CompactionOutcome(
            compacted=True,
            archived=len(plan.archive_seqs),
            tokens_before=plan.tokens_before,
            tokens_after=tokens_after(plan, summary_tokens),
            summary_seq=input.summary_seq,
            context=input.context + 1,
            visible_after=len(plan.kept_seqs) + 1,
        )

    async def _outcome_of_done(self, input: CompactInput) -> CompactionOutcome:
        """A retry after the compaction committed (context included): report it."""
        session = await get_session(self.deps.db, input.session_id)
        visible = await live_messages(self.deps.db, input.session_id)
        tokens = session.context_tokens if session else 0
        return CompactionOutcome(
            compacted=True,
            tokens_before=tokens,
            tokens_after=tokens,
            summary_seq=input.summary_seq,
            context=input.context + 1,
            visible_after=len(visible),
        )

    def _summary_model(self, session_model: str) -> str:
        """The cheap model: the setting, scripted for a scripted session, else the first
        persona that can summarize."""
        configured = self.deps.settings.summary_model
        if configured:
            return configured
        if session_model.startswith("scripted:"):
            return SCRIPTED_SUMMARIZER
        persona = best_persona(self.deps.catalog, ["summarize"])
        if persona is None:
            raise MdaError.english("chat.no_summarizer")
        return str(persona.model_spec)


class _CallRecorder(AsyncCallbackHandler):
    """One `llm_calls` row per summariser call, as soon as it returns (the same
    recording as an agent's model calls)."""

    def __init__(self, db: Database, session_id: str, model: str, price: ModelPrice | None) -> None:
        thread = f"session:{session_id}:summary"
        context = CallContext(thread_id=thread, model=model, session_id=session_id, price=price)
        self.usage = UsageMiddleware(db, context)

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration) and isinstance(
                    generation.message, AIMessage
                ):
                    await self.usage.record(generation.message)
