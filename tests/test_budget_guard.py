"""The budget check before every model call: a real deepagents agent (its `task`
subagent included) and mda's database; only the model is a test double.

A call that would not fit under a stopping cap is never sent, the thread stays at its
last checkpoint, and the agent resumed after a raise makes exactly the stopped call:
no completed call is made, recorded or paid twice. The reservation (prompt with its
margin, plus the persona's full output) keeps spending under the cap whatever the
call sizes, also for calls made at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain.agents.middleware import ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from my_deepagent.agents.budget_guard import BudgetGuard, BudgetStop, BudgetWarning
from my_deepagent.agents.builder import build_agent
from my_deepagent.agents.usage import CallContext, UsageMiddleware
from my_deepagent.domain.budget import POLICIES, SCOPE_NAMES, SCOPES, BudgetCaps, Cap, Policy, Scope
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.store.budget import from_nanos, scope_keys, spent, to_nanos
from my_deepagent.store.database import Database
from my_deepagent.store.llm_calls import list_llm_calls
from my_deepagent.store.records import RunRecord
from my_deepagent.store.runs import create_run
from my_deepagent.store.sessions import create_session, new_session_id
from my_deepagent.tokens import count_message_tokens, count_tool_schema_tokens
from test_agent_safety import PlannedChatModel

# $100 per million input tokens, $200 per million output: a cent is 100 prompt tokens.
PRICE = ModelPrice(
    model="planned:test", input=Decimal(100), output=Decimal(200), as_of=date(2026, 1, 1),
    source="the test",
)  # fmt: skip
MAX_OUTPUT = 50


@pytest.fixture
async def run(db: Database, tmp_path: Path) -> RunRecord:
    return await create_run(db, repo_path=str(tmp_path), base_branch="main", template_ref="t@1")


def usage_for(
    db: Database, run: RunRecord, caps: BudgetCaps, *, thread: str = "t", **guard: Any
) -> UsageMiddleware:
    context = CallContext(
        thread_id=thread, model=PRICE.model, run_id=run.id, phase_key="spec",
        persona_ref="planned@1", price=PRICE,
    )  # fmt: skip
    budget = BudgetGuard(
        db, caps=caps, price=PRICE, max_output_tokens=MAX_OUTPUT, thread_id=thread,
        run_id=run.id, persona_ref="planned@1", **guard,
    )  # fmt: skip
    return UsageMiddleware(db, context, budget)


class CountingModel(PlannedChatModel):
    """The planned model, billing like a provider (the prompt and tool schemas as
    tiktoken counts them, 50 output tokens) and counting what it served."""

    served: list[str] = Field(default_factory=list)

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        message = self.respond(messages)
        used_in = count_message_tokens(messages) + count_tool_schema_tokens(kw.get("tools", []))
        message.usage_metadata = UsageMetadata(
            input_tokens=used_in, output_tokens=MAX_OUTPUT, total_tokens=used_in + MAX_OUTPUT
        )
        self.served.append(str(message.id))
        return ChatResult(generations=[ChatGeneration(message=message)])


PLANS = {
    "go": [
        ("ls", {"path": "/"}),
        ("task", {"description": "look around", "subagent_type": "general-purpose"}),
    ],
    "look around": [("ls", {"path": "/"}), ("ls", {"path": "/"}), ("ls", {"path": "/"})],
}


async def agent_costs(db: Database, tmp_path: Path) -> list[Decimal]:
    """What each call of the planned conversation costs, measured on a run of its own."""
    other = await create_run(db, repo_path=str(tmp_path), base_branch="b", template_ref="t@1")
    usage = usage_for(db, other, BudgetCaps(), thread="measure")
    agent = build_agent(
        CountingModel(served=[], plans=PLANS), worktree=tmp_path, system_prompt="Work.",
        extra_middleware=[usage], sandbox_mode="off",
    )  # fmt: skip
    await agent.ainvoke({"messages": [HumanMessage("go")]}, {"recursion_limit": 200})
    return [Decimal(c.cost_usd or 0) for c in await list_llm_calls(db, other.id)]


async def test_a_cap_hit_inside_the_subagent_stops_before_the_call_and_resumes_after_a_raise(
    db: Database, run: RunRecord, tmp_path: Path
) -> None:
    costs = await agent_costs(db, tmp_path)
    assert len(costs) == 7  # main: ls, task, answer; subagent: 3 x ls, answer
    # Room for the main agent's 2 calls and the subagent's first, not its second.
    cap = (sum(costs[:3]) + costs[3] / 2).quantize(Decimal("0.000001"))
    model = CountingModel(served=[], plans=PLANS)
    usage = usage_for(db, run, BudgetCaps(run=Cap(usd=str(cap), policy="block")))
    assert usage.guard is not None
    agent = build_agent(
        model, worktree=tmp_path, system_prompt="Work.", checkpointer=InMemorySaver(),
        extra_middleware=[usage], sandbox_mode="off",
    )  # fmt: skip
    config: Any = {"configurable": {"thread_id": "t"}, "recursion_limit": 200}
    with pytest.raises(BudgetStop) as stopped:
        await agent.ainvoke({"messages": [HumanMessage("go")]}, config, durability="sync")
    gate = stopped.value.gate
    assert gate.scope == "run" and gate.policy == "block" and Decimal(gate.cap_usd) == cap
    before = await list_llm_calls(db, run.id)
    total = sum(Decimal(c.cost_usd or 0) for c in before)
    assert len(before) == len(model.served) == 3  # the main agent's 2, the subagent's 1
    assert total <= cap < total + Decimal(gate.needed_usd)
    assert (await agent.aget_state(config)).next  # stopped mid-way, at a checkpoint

    usage.guard.caps = BudgetCaps(run=Cap(usd="5", policy="block"))
    result = await agent.ainvoke(None, config, durability="sync")
    assert str(result["messages"][-1].content).startswith("finished after: ")
    rows = await list_llm_calls(db, run.id)
    assert len(model.served) == len(set(model.served)) == len(rows)  # nothing served twice
    assert [r.call_key for r in rows[: len(before)]] == [r.call_key for r in before]
    # The totals are nano-dollars, each call rounded up: the ledger keeps exact costs.
    assert (await spent(db, [f"run:{run.id}"]))[f"run:{run.id}"] == sum(
        from_nanos(to_nanos(Decimal(r.cost_usd or 0))) for r in rows
    )


def request(prompt_words: int) -> ModelRequest[Any]:
    return ModelRequest(
        model=PlannedChatModel(plans={}), messages=[HumanMessage("word " * prompt_words)]
    )


def served(output_tokens: int) -> Any:
    """A provider that bills the prompt as counted and `output_tokens` of output."""

    async def handler(req: ModelRequest[Any]) -> ModelResponse[Any]:
        message = AIMessage("x", id=f"m-{uuid.uuid4().hex}")
        used_in = count_message_tokens(list(req.messages))
        message.usage_metadata = UsageMetadata(
            input_tokens=used_in, output_tokens=output_tokens, total_tokens=used_in + output_tokens
        )
        return ModelResponse(result=[message])

    return handler


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cap_cents=st.integers(min_value=1, max_value=60),
    calls=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, MAX_OUTPUT)), min_size=1, max_size=25
    ),
    concurrent=st.booleans(),
)
@pytest.mark.parametrize("scope", ["run", "persona_day"])  # held in memory; in the database
async def test_the_reservation_never_lets_spending_pass_the_cap(
    db: Database,
    run: RunRecord,
    scope: Scope,
    cap_cents: int,
    calls: list[tuple[int, int]],
    concurrent: bool,
) -> None:
    cap = Decimal(cap_cents) / 100
    key = scope_keys(day=date.today(), run_id=run.id, session_id=None, persona_ref="planned@1")[
        scope
    ]
    before = (await spent(db, [key]))[key]
    caps = BudgetCaps.model_validate({scope: {"usd": str(before + cap), "policy": "block"}})
    usage = usage_for(db, run, caps)

    async def one(prompt: int, output: int) -> bool:
        try:
            await usage.awrap_model_call(request(prompt), served(output))
        except BudgetStop:
            return False
        return True

    if concurrent:
        made = await asyncio.gather(*(one(p, o) for p, o in calls))
    else:
        made = [await one(p, o) for p, o in calls]
    after = (await spent(db, [key]))[key]
    assert after - before <= cap
    if not concurrent and made.count(False):
        # stopped only when the worst case of that call did not fit
        first_stop = made.index(False)
        prompt, _ = calls[first_stop]
        assert usage.guard is not None
        assert after - before + usage.guard.reservation(request(prompt)) > cap or first_stop > 0


async def test_warnings_come_once_per_threshold(db: Database, run: RunRecord) -> None:
    warnings: list[BudgetWarning] = []

    async def sink(warning: BudgetWarning) -> None:
        warnings.append(warning)

    caps = BudgetCaps(run=Cap(usd="0.05", policy="warn_continue"), warn_at=0.5)
    usage = usage_for(db, run, caps, on_warning=sink)
    for _ in range(12):  # about $0.012 each: across 50% once, across 100% once, then on
        await usage.awrap_model_call(request(10), served(MAX_OUTPUT))
    assert [(w.scope, w.threshold) for w in warnings] == [("run", 0.5), ("run", 1.0)]
    assert "exceeded" in warnings[1].text() and "$0.05" in warnings[1].text()
    rows = await list_llm_calls(db, run.id)
    assert len(rows) == 12 and sum(Decimal(r.cost_usd or 0) for r in rows) > Decimal("0.05")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("scope", SCOPES)
async def test_each_scope_holds_its_calls_to_its_policy(
    db: Database, run: RunRecord, tmp_path: Path, scope: Scope, policy: Policy
) -> None:
    """Only `scope` has a cap ($0.02: one call of about $0.012 fits, two do not)."""
    warnings: list[BudgetWarning] = []

    async def sink(warning: BudgetWarning) -> None:
        warnings.append(warning)

    session = await create_session(
        db, session_id=new_session_id(), repo_path=str(tmp_path), project_key="0" * 16,
        persona_ref="planned@1", model=PRICE.model,
    )  # fmt: skip
    owner = {"session_id": session.id} if scope == "session" else {"run_id": run.id}
    thread = f"{scope}-{policy}"
    context = CallContext(
        thread_id=thread, model=PRICE.model, persona_ref="planned@1", price=PRICE, **owner
    )
    caps = BudgetCaps.model_validate({scope: {"usd": "0.02", "policy": policy}})
    guard = BudgetGuard(
        db, caps=caps, price=PRICE, max_output_tokens=MAX_OUTPUT, thread_id=thread,
        persona_ref="planned@1", on_warning=sink, **owner,
    )  # fmt: skip
    usage = UsageMiddleware(db, context, guard)
    await usage.awrap_model_call(request(10), served(MAX_OUTPUT))
    if policy == "warn_continue":
        await usage.awrap_model_call(request(10), served(MAX_OUTPUT))
        await usage.awrap_model_call(request(10), served(MAX_OUTPUT))
        assert [(w.scope, w.threshold) for w in warnings] == [(scope, 0.8), (scope, 1.0)]
        return
    with pytest.raises(BudgetStop) as stopped:
        await usage.awrap_model_call(request(10), served(MAX_OUTPUT))
    assert (stopped.value.gate.scope, stopped.value.gate.policy) == (scope, policy)
    assert stopped.value.gate.describe().startswith(SCOPE_NAMES[scope])
    keys = list(guard.keys().values())
    assert all(amount <= Decimal("0.02") for amount in (await spent(db, keys)).values())


async def test_many_calls_at_once_never_pass_a_shared_cap(db: Database, run: RunRecord) -> None:
    """Twenty calls race for a persona's day cap, thirty times over. Without the
    reservations' lock around the recording of a call, PostgreSQL let a reservation
    read the call's spend before it landed and its reservation after it left."""
    for _ in range(30):
        key = scope_keys(day=date.today(), run_id=run.id, session_id=None, persona_ref="planned@1")[
            "persona_day"
        ]
        before = (await spent(db, [key]))[key]
        caps = BudgetCaps(persona_day=Cap(usd=str(before + Decimal("0.2")), policy="block"))
        usage = usage_for(db, run, caps)

        async def one(usage: UsageMiddleware, words: int) -> None:
            with contextlib.suppress(BudgetStop):
                await usage.awrap_model_call(request(words), served(40))

        await asyncio.gather(*(one(usage, 100 + 10 * i) for i in range(20)))
        assert (await spent(db, [key]))[key] - before <= Decimal("0.2")
