"""What a model call's budget check and cost fields cost, on a real agent's request.

Four ledger middlewares, interleaved call by call on the benchmark's database, each
around a model that answers at once (so only mda's work is timed):

- ledger row: the `llm_calls` row of a model without a price (no cost, no spend);
- + cost fields: the row with its cost, and the spend totals of its scopes updated in
  the same transaction;
- + run/session cap: the check before the call against the run's (or session's) cap,
  held in the worker's memory: the prompt counted, the reservation held and released;
- + day cap: the same against a day cap, shared by every worker: its reservation is a
  transaction in mda's database.

The request is one the agent really made (its messages, system prompt and tools).
Used by `session_turn.py` and `run_overhead.py`.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata

from my_deepagent.agents.budget_guard import BudgetGuard
from my_deepagent.agents.usage import CallContext, UsageMiddleware
from my_deepagent.domain.budget import BudgetCaps, Cap
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.store.database import Database

PRICE = ModelPrice(
    model="bench:priced", input=Decimal(3), output=Decimal(15), as_of=date(2026, 1, 1),
    source="benchmark",
)  # fmt: skip
LOCAL_CAPS = BudgetCaps(
    run=Cap(usd="100000", policy="block"), session=Cap(usd="100000", policy="block")
)
SHARED_CAPS = LOCAL_CAPS.model_copy(update={"day": Cap(usd="100000", policy="prompt")})


class CaptureRequest(AgentMiddleware):
    """Keeps the last model request an agent made (for `per_call_costs`)."""

    def __init__(self) -> None:
        super().__init__()
        self.request: ModelRequest[Any] | None = None

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        self.request = request
        return await handler(request)


async def _instant(request: ModelRequest[Any]) -> ModelResponse[Any]:
    message = AIMessage("ok", id=f"bench-{uuid.uuid4().hex}")
    message.usage_metadata = UsageMetadata(input_tokens=4000, output_tokens=200, total_tokens=4200)
    return ModelResponse(result=[message])


async def per_call_costs(
    db: Database,
    request: ModelRequest[Any],
    *,
    run_id: str | None = None,
    session_id: str | None = None,
    calls: int = 300,
) -> dict[str, float]:
    """Median milliseconds per call of each middleware, for the calls of a run or a
    session (a row that exists)."""
    thread = f"bench-budget:{uuid.uuid4().hex}"

    def context(price: ModelPrice | None) -> CallContext:
        return CallContext(
            thread_id=thread, model=PRICE.model, run_id=run_id, session_id=session_id,
            persona_ref="bench@1", price=price,
        )  # fmt: skip

    def guard(caps: BudgetCaps) -> BudgetGuard:
        return BudgetGuard(
            db, caps=caps, price=PRICE, max_output_tokens=4096, thread_id=thread,
            run_id=run_id, session_id=session_id, persona_ref="bench@1",
        )  # fmt: skip

    variants = {
        "ledger row": UsageMiddleware(db, context(None)),
        "+ cost fields": UsageMiddleware(db, context(PRICE)),
        "+ run/session cap": UsageMiddleware(db, context(PRICE), guard(LOCAL_CAPS)),
        "+ day cap": UsageMiddleware(db, context(PRICE), guard(SHARED_CAPS)),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for index in range(calls + 20):
        for name, usage in variants.items():
            started = time.perf_counter()
            await usage.awrap_model_call(request, _instant)
            if index >= 20:
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def report_per_call(costs: dict[str, float]) -> None:
    row, cost = costs["ledger row"], costs["+ cost fields"]
    local, shared = costs["+ run/session cap"], costs["+ day cap"]
    print("Per model call, medians of interleaved calls (the model answers at once):")
    print(f"  ledger row            {row:6.2f} ms")
    print(f"  + cost fields         {cost:6.2f} ms   (+{cost - row:.2f} ms)")
    print(f"  + run/session cap     {local:6.2f} ms   (+{local - cost:.2f} ms)")
    print(f"  + day cap             {shared:6.2f} ms   (+{shared - cost:.2f} ms)")
    print(
        f"  the budget check and cost fields per call: {local - row:.2f} ms "
        f"({shared - row:.2f} ms with a day cap; target: under 1 ms)"
    )
