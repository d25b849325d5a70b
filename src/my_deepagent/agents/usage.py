"""Cost accounting: one `llm_calls` row per model call, written as soon as it returns.

`UsageMiddleware` wraps every model call of an agent, its `general-purpose` subagent
included (`build_agent` gives both the same middleware instances). The row's key is
the LangGraph thread id plus the `AIMessage` id, which the checkpoint keeps: a call
recorded before a crash is not recorded again when the retried activity resumes the
thread, and a call is never lost, since the row is written before the step's
checkpoint. A provider that sends no message id gets one here; the checkpoint stores
the message with it.

Each row carries the call's cost: the provider's own figure when the response reports
one (OpenRouter's `usage.cost`), else computed from `CallContext.price`, the price in
force when the agent was built; with no price the cost is unknown (NULL), never 0.

Before a call, the middleware's `BudgetGuard` (when it has one) admits it under the
budget caps or stops it unsent (`budget_guard.py`); the row then adds the call's cost
to the spend totals of its scopes, in the same transaction.

It sits after the tool-call guard, so the guard's discarded attempts (paid for) are
recorded too. `thread_usage` sums the rows of a thread: what a phase's activity
reports, resumed or not.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse, ModelCallResult
from langchain_core.messages import AIMessage, BaseMessage

from my_deepagent.agents.budget_guard import Admission, BudgetGuard
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.store.database import Database
from my_deepagent.store.llm_calls import call_totals, record_llm_call
from my_deepagent.workflows.run_types import Usage


@dataclass(frozen=True)
class CallContext:
    """Who a model call is made for: the columns every row of one agent shares."""

    thread_id: str
    model: str
    run_id: str | None = None
    phase_key: str | None = None
    persona_ref: str | None = None
    session_id: str | None = None
    price: ModelPrice | None = None


def messages_of(result: ModelCallResult[Any]) -> list[BaseMessage]:
    if isinstance(result, AIMessage):
        return [result]
    if isinstance(result, ExtendedModelResponse):
        return result.model_response.result
    return result.result


@dataclass(frozen=True)
class CallCost:
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    usd: Decimal | None
    source: str | None


def call_cost(message: AIMessage, price: ModelPrice | None) -> CallCost:
    """Tokens and cost of one response (see the module docstring for the cost's origin)."""
    usage = message.usage_metadata
    input_tokens, output_tokens, cached, reasoning = 0, 0, 0, 0
    if usage is not None:
        input_tokens, output_tokens = usage["input_tokens"], usage["output_tokens"]
        cached = int((usage.get("input_token_details") or {}).get("cache_read") or 0)
        reasoning = int((usage.get("output_token_details") or {}).get("reasoning") or 0)
    reported = _reported_cost(message)
    if reported is not None:
        usd, source = reported, "provider"
    elif price is not None:
        cost = price.cost(
            input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached
        )
        usd, source = cost, "price"
    else:
        usd, source = None, None
    return CallCost(input_tokens, output_tokens, cached, reasoning, usd, source)


def _reported_cost(message: AIMessage) -> Decimal | None:
    """The provider's cost of the call, when its usage block has one (OpenRouter)."""
    usage = message.response_metadata.get("token_usage")
    value = usage.get("cost") if isinstance(usage, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        return None
    return cost if cost.is_finite() and cost >= 0 else None


class UsageMiddleware(AgentMiddleware):
    """Record every model call of one thread in the ledger (see the module docstring)."""

    def __init__(
        self, db: Database, context: CallContext, guard: BudgetGuard | None = None
    ) -> None:
        super().__init__()
        self.db = db
        self.context = context
        self.guard = guard
        """Admits each call under the budget caps (see `budget_guard`); None: no check."""
        self.calls = 0
        """Model calls recorded during this invocation (progress for heartbeats)."""

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        admission = await self.guard.admit(request) if self.guard is not None else None
        try:
            response = await handler(request)
        except BaseException:
            if admission is not None and self.guard is not None:
                await self.guard.cancel(admission)
            raise
        recorded = [m for m in messages_of(response) if isinstance(m, AIMessage)]
        for index, message in enumerate(recorded):
            # The reservation goes with the first row; a response of several messages
            # is one call, its later rows only add their own cost.
            await self.record(message, admission, first=index == 0)
        if not recorded and admission is not None and self.guard is not None:
            await self.guard.cancel(admission)
        return response

    async def record(
        self, message: AIMessage, admission: Admission | None = None, *, first: bool = True
    ) -> None:
        if not message.id:
            message.id = f"mda-{uuid.uuid4().hex}"
        cost = call_cost(message, self.context.price)
        reservation = admission.reservation_id if admission is not None and first else None
        result = await record_llm_call(
            self.db,
            thread_id=self.context.thread_id,
            message_id=message.id,
            model=self.context.model,
            input_tokens=cost.input_tokens,
            output_tokens=cost.output_tokens,
            cached_tokens=cost.cached_tokens,
            reasoning_tokens=cost.reasoning_tokens,
            cost_usd=cost.usd,
            cost_source=cost.source,
            run_id=self.context.run_id,
            phase_key=self.context.phase_key,
            persona_ref=self.context.persona_ref,
            session_id=self.context.session_id,
            day=admission.day if admission is not None else None,
            reservation_id=reservation,
        )
        self.calls += 1
        if admission is not None and self.guard is not None:
            await self.guard.passed(admission, result.totals, release=first)


async def thread_usage(db: Database, thread_id: str) -> Usage:
    """Calls and tokens over every recorded call of `thread_id`."""
    calls, used_in, used_out, cached = await call_totals(db, thread_id=thread_id)
    return Usage(
        model_calls=calls, input_tokens=used_in, output_tokens=used_out, cached_tokens=cached
    )
