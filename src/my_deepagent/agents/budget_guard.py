"""The budget check before every model call, and the warnings after it.

`UsageMiddleware` asks its `BudgetGuard` to admit each call before it is made, the
`task` subagent's calls included (they share the middleware). Admission reserves the
call's worst case: its prompt (messages, system prompt and tool schemas, counted with
tiktoken and given `INPUT_MARGIN` for the provider's own tokenizer) plus the
persona's `max_tokens` of output, at the price in force. A call is admitted only if,
in every scope with a stopping cap, what is spent, plus what calls in flight have
reserved, plus this reservation fits: so a `block` or `prompt` cap is never overshot.

Where the reservation is kept depends on who else spends in the scope. A run's calls
come from one agent activity at a time (a phase after another), a session's too (one
turn at a time): their spent total is read once per activity or turn, then kept here
from the totals each recorded call returns, and reservations (parallel subagent
calls) are held in memory under a lock, so checking costs no database round trip.
The day and persona caps are shared with every other run, session and worker: their
reservations go through mda's database (`store.budget.reserve`), one transaction
per call, and only when such a cap is set.

A call that does not fit raises `BudgetStop` before anything is sent: the model node
fails, the thread's last checkpoint stays where it was, and the agent resumed after a
raise makes exactly that call. A `warn_continue` cap never stops a call; every cap
warns once when spending passes `warn_at` of it, and a `warn_continue` cap once more
when spending passes the cap. "Once" is exact: a threshold is passed by the one call
whose recorded cost takes the total across it.

A model without a price cannot be held to a cap (its cost is unknown); its calls are
let through, and the run or session was warned when its agent was built.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from langchain.agents.middleware import ModelRequest
from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from my_deepagent.domain.budget import (
    SCOPE_NAMES,
    BudgetCaps,
    BudgetGate,
    Scope,
    usd_text,
)
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.store.budget import release, reserve, scope_keys, spent
from my_deepagent.store.database import Database
from my_deepagent.tokens import TOKENS_PER_MESSAGE, TOKENS_PER_REPLY, count_tokens, message_text

INPUT_MARGIN = 1.2
"""Prompt tokens are counted with an OpenAI encoding; other providers' tokenizers can
count some percent more. The reservation allows for 20%."""
_CACHED_COUNTS = 4096


class BudgetStop(Exception):
    """The next model call does not fit under a cap whose policy stops it."""

    def __init__(self, gate: BudgetGate) -> None:
        super().__init__(gate.describe())
        self.gate = gate


@dataclass(frozen=True)
class BudgetWarning:
    scope: Scope
    key: str
    """The spend key of the scope (`day:2026-12-06`, `run:<id>`)."""
    threshold: float
    """The share of the cap that was passed (1.0: the cap itself)."""
    cap_usd: Decimal
    spent_usd: Decimal
    policy: str

    def text(self) -> str:
        name = SCOPE_NAMES[self.scope]
        spent, cap = usd_text(self.spent_usd), usd_text(self.cap_usd)
        if self.threshold >= 1:
            return f"{name} of {cap} is exceeded: {spent} spent (policy warn_continue: going on)"
        return f"{round(self.threshold * 100)}% of {name} of {cap} is spent: {spent}"


LOCAL_SCOPES: tuple[Scope, ...] = ("run", "session")
"""Scopes one agent activity spends in alone (see the module docstring)."""


@dataclass(frozen=True)
class Admission:
    """An admitted call: the spend keys it counts under and what it reserved."""

    day: date
    keys: dict[Scope, str]
    reservation_id: int | None
    """Its reservation in mda's database (day and persona caps), if any."""
    held: dict[Scope, Decimal] = field(default_factory=dict)
    """What it holds in memory, per local scope."""


WarningSink = Callable[[BudgetWarning], Awaitable[None]]


class BudgetGuard:
    """Admits the model calls of one agent. `caps` may be replaced between turns."""

    def __init__(
        self,
        db: Database,
        *,
        caps: BudgetCaps,
        price: ModelPrice | None,
        max_output_tokens: int,
        thread_id: str,
        run_id: str | None = None,
        session_id: str | None = None,
        persona_ref: str | None = None,
        on_warning: WarningSink | None = None,
    ) -> None:
        self.db = db
        self.caps = caps
        self.price = price
        self.max_output_tokens = max_output_tokens
        self.thread_id = thread_id
        self.run_id, self.session_id, self.persona_ref = run_id, session_id, persona_ref
        self.on_warning = on_warning
        self._message_tokens: OrderedDict[tuple[object, ...], int] = OrderedDict()
        self._schema_tokens: dict[tuple[str, ...], int] = {}
        self._lock = asyncio.Lock()
        self._spent: dict[Scope, Decimal] | None = None
        """The local scopes' spent totals, read at the first call (None: not yet)."""
        self._held: dict[Scope, Decimal] = {}

    def refresh(self) -> None:
        """Read the local scopes' spending again at the next call (a new turn: calls
        of others, such as compaction's, may have been recorded since)."""
        self._spent = None

    def keys(self, day: date | None = None) -> dict[Scope, str]:
        return scope_keys(
            day=day or datetime.now(UTC).date(),
            run_id=self.run_id,
            session_id=self.session_id,
            persona_ref=self.persona_ref,
        )

    async def admit(self, request: ModelRequest[Any]) -> Admission:
        """Reserve the call's worst case, or raise `BudgetStop` (nothing is sent)."""
        day = datetime.now(UTC).date()
        keys = self.keys(day)
        limits = {
            scope: cap.amount
            for scope in keys
            if (cap := self.caps.cap(scope)) is not None and cap.policy != "warn_continue"
        }
        if not limits or self.price is None:
            return Admission(day, keys, None)
        amount = self.reservation(request)
        local = {s: cap for s, cap in limits.items() if s in LOCAL_SCOPES}
        shared = {s: cap for s, cap in limits.items() if s not in LOCAL_SCOPES}
        held = await self._hold(keys, local, amount)
        if not shared:
            return Admission(day, keys, None, held)
        standing = await reserve(
            self.db,
            thread_id=self.thread_id,
            keys={s: k for s, k in keys.items() if s in shared},
            amount=amount,
            limits=shared,
        )
        if standing.over is not None:
            self._unhold(held)
            raise BudgetStop(self._gate(standing.over, standing.committed[standing.over], amount))
        return Admission(day, keys, standing.reservation_id, held)

    async def _hold(
        self, keys: dict[Scope, str], limits: dict[Scope, Decimal], amount: Decimal
    ) -> dict[Scope, Decimal]:
        """Hold `amount` in each local scope of `limits` (in memory), or raise."""
        if not limits:
            return {}
        async with self._lock:
            if self._spent is None:
                local = [s for s in LOCAL_SCOPES if s in keys]
                found = await spent(self.db, [keys[s] for s in local])
                self._spent = {s: found[keys[s]] for s in local}
            for scope, cap in limits.items():
                committed = self._spent.get(scope, Decimal(0)) + self._held.get(scope, Decimal(0))
                if committed + amount > cap:
                    raise BudgetStop(self._gate(scope, committed, amount))
            for scope in limits:
                self._held[scope] = self._held.get(scope, Decimal(0)) + amount
            return dict.fromkeys(limits, amount)

    def _unhold(self, held: dict[Scope, Decimal]) -> None:
        for scope, amount in held.items():
            self._held[scope] -= amount

    async def cancel(self, admission: Admission) -> None:
        """The call failed: its reservation no longer holds money."""
        self._unhold(admission.held)
        if admission.reservation_id is not None:
            await release(self.db, admission.reservation_id)

    async def passed(
        self,
        admission: Admission,
        totals: dict[str, tuple[Decimal, Decimal]],
        *,
        release: bool = True,
    ) -> None:
        """Keep a recorded row's new totals (none: it was recorded before, or its cost is
        unknown), drop what its call held (`release`: its first row), and warn of each
        threshold it took its scopes across."""
        if release:
            self._unhold(admission.held)
        if self._spent is not None:
            for scope in LOCAL_SCOPES:
                key = admission.keys.get(scope)
                if key is not None and key in totals:
                    self._spent[scope] = totals[key][1]
        for scope, key in admission.keys.items():
            cap = self.caps.cap(scope)
            if cap is None or key not in totals:
                continue
            before, after = totals[key]
            thresholds = [self.caps.warn_at] + ([1.0] if cap.policy == "warn_continue" else [])
            for threshold in thresholds:
                line = cap.amount * Decimal(str(threshold))
                if before < line <= after and self.on_warning is not None:
                    await self.on_warning(
                        BudgetWarning(scope, key, threshold, cap.amount, after, cap.policy)
                    )

    def reservation(self, request: ModelRequest[Any]) -> Decimal:
        """The most the call can cost: its prompt with the margin, and full output."""
        assert self.price is not None
        prompt = self._prompt_tokens(request)
        return self.price.cost(
            input_tokens=math.ceil(prompt * INPUT_MARGIN), output_tokens=self.max_output_tokens
        )

    def _prompt_tokens(self, request: ModelRequest[Any]) -> int:
        messages: list[BaseMessage] = list(request.messages)
        if request.system_message is not None:
            messages.insert(0, request.system_message)
        total = sum(self._count(m) for m in messages) + TOKENS_PER_REPLY
        return total + self._schemas(request.tools)

    def _count(self, message: BaseMessage) -> int:
        """A message's tokens, remembered: a thread's messages come back at every call.
        A message with an id is known by its id, type and content size (a message
        replaced under its id changes size); one without (the system prompt) by its
        text."""
        content = message.content
        size = len(content) if isinstance(content, str) else len(str(content))
        if message.id:
            key: tuple[object, ...] = (message.id, message.type, size)
            text = None
        else:
            text = message_text(message)
            key = (hash(text), size)
        tokens = self._message_tokens.get(key)
        if tokens is None:
            tokens = count_tokens(text or message_text(message)) + TOKENS_PER_MESSAGE
            self._message_tokens[key] = tokens
            while len(self._message_tokens) > _CACHED_COUNTS:
                self._message_tokens.popitem(last=False)
        return tokens

    def _schemas(self, tools: Sequence[BaseTool | dict[str, Any]]) -> int:
        names = tuple(t.name if isinstance(t, BaseTool) else str(t.get("name", t)) for t in tools)
        if names not in self._schema_tokens:
            schemas = [convert_to_openai_tool(t) for t in tools]
            self._schema_tokens[names] = (
                count_tokens(json.dumps(schemas, sort_keys=True)) if schemas else 0
            )
        return self._schema_tokens[names]

    def _gate(self, scope: Scope, committed: Decimal, amount: Decimal) -> BudgetGate:
        cap = self.caps.cap(scope)
        assert cap is not None
        return BudgetGate(
            scope=scope,
            cap_usd=cap.usd,
            spent_usd=str(committed),
            needed_usd=str(amount),
            policy=cap.policy,
        )
