"""`SessionWorkflow` (id `session-<uuid>`): one long-lived conversation, in order.

It orders and remembers; the conversation itself lives in the agent's LangGraph
thread (`session:<id>:<context>`) and the `messages` table. A chat message is an
update (`chat`) whose validator refuses an ended session, an empty or oversized
message before it enters history; its id is the client's message id, so a resent
message is answered once. Every state-changing command (`/clear`, `/compact`,
`/agent`, `/model`, `/remember`, `/forget`, `/rewind`, end) is an update too, and all
of them take one FIFO lock: turns run strictly one at a time, in arrival order.

A rewind is refused, rather than queued, while anything runs or waits: it goes back
from the state the person saw. Its activities do the work (the files, then the
messages); the workflow keeps its counters: a new context, the marker's seq, the
visible count the activity reports. Turn numbers go on from the highest.

After a turn whose context passed the compaction threshold the handler compacts
before it answers, so the user learns about it with the reply. Continue-as-new happens
only from the main loop, after every handler finished, when Temporal suggests it or
after `TURNS_PER_EXECUTION` turns; it carries ids and counters (`SessionInput`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from my_deepagent.catalogue import english
    from my_deepagent.domain.budget import (
        BudgetError,
        BudgetGate,
        RaiseBudgetSignal,
        parse_scope,
        parse_usd,
    )
    from my_deepagent.sessions.compaction import KEEP_RECENT, MIN_COMPACTABLE
    from my_deepagent.workflows.budget_pause import budget_gate
    from my_deepagent.workflows.policies import (
        AGENT_HEARTBEAT,
        AGENT_RETRY,
        AGENT_TIMEOUT,
        IO_RETRY,
        IO_TIMEOUT,
        failure_message,
    )
    from my_deepagent.workflows.run_types import RAISE_BUDGET_SIGNAL
    from my_deepagent.workflows.session_types import (
        CANCELLED_REPLY,
        MAX_INLINE_BODY_BYTES,
        MAX_MESSAGE_BYTES,
        REWIND_UPDATE,
        SESSION_WORKFLOW,
        AgentChange,
        CancelTurn,
        ChatMessage,
        CompactInput,
        CompactionOutcome,
        ContextInput,
        EndInput,
        MemoryResult,
        MemorySlug,
        MemoryText,
        MemoryWrite,
        RewindConversationInput,
        RewindConversationOutput,
        RewindFilesInput,
        RewindFilesOutput,
        RewindRequest,
        RewindResult,
        Said,
        SessionInput,
        SessionStatus,
        SwitchInput,
        TurnInput,
        TurnOutput,
        TurnResult,
    )

T = TypeVar("T")

MAX_PENDING_CANCELS = 100
REFUSED = "SessionRefused"
"""The error type of an update the session refuses (the client shows it as one line)."""


def _refuse(
    key: str, /, *, cause: ActivityError | None = None, **fields: str | int
) -> ApplicationError:
    """A refusal: its message is the catalogue's English (history never depends on the
    machine's language); its details carry the key and fields (`Said`), so the client
    can say it in the person's language. `cause` is the activity failure the `reason`
    field tells of: when its error was said by a key, that is passed on too."""
    said = Said(key=key, fields=fields, said_fields=_reason_said(cause))
    return ApplicationError(
        english(key, **fields), said.model_dump(), type=REFUSED, non_retryable=True
    )


def _refuse_as_said(failure: ActivityError) -> ApplicationError:
    """A refusal passing on what an activity said: its English message, and its key and
    fields when the worker gave them (an `MdaError` made from a catalogue key)."""
    said = _said(failure)
    details = [said.model_dump()] if said is not None else []
    return ApplicationError(failure_message(failure), *details, type=REFUSED, non_retryable=True)


def _said(failure: ActivityError) -> Said | None:
    """The catalogue key and fields the innermost error of an activity failure carries
    in its details, if it carries them."""
    error: BaseException = failure
    while error.__cause__ is not None:
        error = error.__cause__
    if not isinstance(error, ApplicationError) or not error.details:
        return None
    try:
        return Said.model_validate(error.details[0])
    except ValidationError:
        return None


def _reason_said(cause: ActivityError | None) -> dict[str, Said]:
    said = _said(cause) if cause is not None else None
    return {"reason": said} if said is not None else {}


@workflow.defn(name=SESSION_WORKFLOW)
class SessionWorkflow:
    @workflow.init
    def __init__(self, input: SessionInput) -> None:
        self._session = input
        self._lock = asyncio.Lock()
        self._ended = False
        self._ending = False
        self._queued = 0
        self._turns_here = 0
        self._current: str | None = None
        self._turn_task: asyncio.Task[TurnOutput] | None = None
        self._cancelled: set[str] = set()
        """Client ids cancelled while they waited for their turn."""
        self._budget_gate: BudgetGate | None = None
        self._raised = False

    @workflow.run
    async def run(self, input: SessionInput) -> SessionStatus:
        while True:
            await workflow.wait_condition(lambda: self._ended or self._continue_due())
            await workflow.wait_condition(workflow.all_handlers_finished)
            if self._ended:
                return self.status()
            if self._continue_due():
                workflow.continue_as_new(self._session)

    def _continue_due(self) -> bool:
        return (
            self._turns_here >= self._session.turns_per_execution
            or workflow.info().is_continue_as_new_suggested()
        )

    # --- chat -----------------------------------------------------------------

    @workflow.update
    async def chat(self, message: ChatMessage) -> TurnResult:
        async with self._turn(message.client_id):
            s = self._session
            if message.client_id in self._cancelled:
                self._cancelled.discard(message.client_id)
                return TurnResult(
                    turn=s.turns, user_seq=s.next_seq, assistant_seq=s.next_seq,
                    reply="(the turn was cancelled before it started)", cancelled=True,
                )  # fmt: skip
            turn, user_seq = s.turns + 1, s.next_seq
            self._session = s.model_copy(update={"turns": turn, "next_seq": user_seq + 2})
            self._turns_here += 1
            output = await self._run_turn(
                TurnInput(
                    session_id=s.session_id,
                    repo_path=s.repo_path,
                    project_key=s.project_key,
                    persona_ref=s.persona_ref,
                    model=s.model,
                    context=s.context,
                    turn=turn,
                    user_seq=user_seq,
                    message=message,
                )
            )
            compaction = None
            if output.duplicate:  # answered before: this turn did not happen
                self._set(turns=s.turns, next_seq=s.next_seq)
                self._turns_here -= 1
                turn = output.answered_turn or turn
            else:
                self._set(visible=self._session.visible + 2)
                if self._compaction_due(output):
                    compaction = await self._compact()
            return TurnResult(
                turn=turn,
                user_seq=output.user_seq,
                assistant_seq=output.assistant_seq,
                reply=output.reply,
                reply_complete=output.reply_complete,
                usage=output.usage,
                context_tokens=(
                    compaction.tokens_after
                    if compaction and compaction.compacted
                    else output.context_tokens
                ),
                cancelled=output.cancelled,
                duplicate=output.duplicate,
                compaction=compaction,
                warnings=output.warnings,
            )

    def _compaction_due(self, output: TurnOutput) -> bool:
        """Over the threshold, with enough older messages to summarise (otherwise
        every later turn would ask, and be refused)."""
        enough = self._session.visible >= KEEP_RECENT + MIN_COMPACTABLE
        return enough and output.context_tokens > output.compact_at_tokens > 0

    def _set(self, **changes: object) -> None:
        self._session = self._session.model_copy(update=changes)

    @chat.validator
    def _check_chat(self, message: ChatMessage) -> None:
        self._check_open()
        if (message.text is None) == (message.body_ref is None):
            raise _refuse("chat.message_kind")
        if message.size == 0 or (message.text is not None and not message.text.strip()):
            raise _refuse("chat.message_empty")
        if message.size > MAX_MESSAGE_BYTES:
            raise _refuse(
                "chat.message_too_large_bytes", size=message.size, limit=MAX_MESSAGE_BYTES // 1024
            )
        if message.text is not None and len(message.text.encode()) > MAX_INLINE_BODY_BYTES:
            raise _refuse("chat.message_not_inline")

    async def _run_turn(self, turn: TurnInput) -> TurnOutput:
        """The turn's activity. A budget stop keeps the turn's context (its thread holds
        the work done so far): `block` ends the turn with the error, `prompt` waits for
        a raise (then continues the thread) or a cancel."""
        while True:
            task: asyncio.Task[TurnOutput] = workflow.start_activity(
                "session_turn",
                turn.model_copy(update={"budget": self._session.budget}),
                result_type=TurnOutput,
                start_to_close_timeout=AGENT_TIMEOUT,
                heartbeat_timeout=AGENT_HEARTBEAT,
                retry_policy=AGENT_RETRY,
                cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
            self._turn_task = task
            try:
                return await task
            except ActivityError as failure:
                if isinstance(failure.cause, CancelledError):
                    return _cancelled(turn)
                reason = failure_message(failure)
                gate = budget_gate(failure)
                if gate is None:
                    await self._leave_failed_context()
                    raise _refuse("chat.turn_failed", reason=reason, cause=failure) from None
                if gate.policy != "prompt":
                    raise _refuse("chat.turn_stopped", reason=reason, cause=failure) from None
            except asyncio.CancelledError:  # cancelled as it completed: the row says
                return _cancelled(turn)
            finally:
                self._turn_task = None
            if not await self._wait_for_raise(gate):
                return _cancelled(turn)
            turn = turn.model_copy(update={"resume": True})

    async def _wait_for_raise(self, gate: BudgetGate) -> bool:
        """True when the cap was raised; False when the turn was cancelled or the
        session is ending."""
        self._budget_gate, self._raised = gate, False
        try:
            await workflow.wait_condition(
                lambda: self._raised or self._ending or self._budget_gate is None
            )
        finally:
            raised, self._budget_gate = self._raised, None
        return raised and not self._ending

    @workflow.signal(name=RAISE_BUDGET_SIGNAL)
    def raise_budget(self, signal: RaiseBudgetSignal) -> None:
        """Set one cap of this session (default: the waiting gate's scope, else the
        session's); a bad value is logged and changes nothing."""
        gate = self._budget_gate
        try:
            scope = (
                parse_scope(signal.scope) if signal.scope else (gate.scope if gate else "session")
            )
            usd = parse_usd(signal.usd, what="the new cap")
        except BudgetError as exc:
            workflow.logger.warning("raise_budget ignored: %s", exc)
            return
        self._set(budget=self._session.budget.set(scope, usd))
        if gate is not None and gate.scope == scope:
            self._raised = True

    async def _leave_failed_context(self) -> None:
        """The failed message stays in its thread: the next turn starts a fresh context
        (seeded without it) rather than failing the same way forever. The row records
        it too, so a restart from the database does not go back to the failed thread."""
        context = self._session.context + 1
        self._set(context=context)
        with contextlib.suppress(ApplicationError):
            await self._io(
                "session_context", ContextInput(session_id=self._id, context=context), type(None)
            )

    @workflow.signal
    def cancel_turn(self, request: CancelTurn) -> None:
        """Cancel the running turn, or a queued one before it starts."""
        task = self._turn_task
        running = task is not None and not task.done()
        if request.client_id is None or request.client_id == self._current:
            if task is not None and running:
                task.cancel()
            self._budget_gate = None  # a turn waiting on a budget cap ends
        elif len(self._cancelled) < MAX_PENDING_CANCELS:
            self._cancelled.add(request.client_id)

    # --- commands -------------------------------------------------------------

    @workflow.update
    async def compact(self) -> CompactionOutcome:
        async with self._turn(None):
            return await self._compact()

    async def _compact(self) -> CompactionOutcome:
        s = self._session
        try:
            outcome: CompactionOutcome = await workflow.execute_activity(
                "session_compact",
                CompactInput(
                    session_id=s.session_id,
                    model=s.model,
                    context=s.context,
                    summary_seq=s.next_seq,
                ),
                result_type=CompactionOutcome,
                start_to_close_timeout=AGENT_TIMEOUT,
                heartbeat_timeout=AGENT_HEARTBEAT,
                retry_policy=AGENT_RETRY,
            )
        except ActivityError as failure:
            reason = failure_message(failure)
            return CompactionOutcome(
                compacted=False,
                reason=english("chat.compaction_failed", reason=reason),
                reason_said=Said(
                    key="chat.compaction_failed",
                    fields={"reason": reason},
                    said_fields=_reason_said(failure),
                ),
            )
        if outcome.compacted:
            self._set(
                context=outcome.context,
                next_seq=s.next_seq + 1,
                visible=outcome.visible_after,
            )
        return outcome

    @workflow.update
    async def clear(self) -> int:
        """Archive the visible messages and start a fresh agent context; the new context."""
        async with self._turn(None):
            context, marker = self._session.context + 1, self._session.next_seq
            # A /clear of a history recorded before markers wrote none and took no seq:
            # it replays as it ran.
            marked = workflow.patched("clear-marker")
            await self._io(
                "session_clear",
                ContextInput(
                    session_id=self._id, context=context, marker_seq=marker if marked else None
                ),
                type(None),
            )
            self._set(context=context, visible=0, next_seq=marker + 1 if marked else marker)
            return context

    @workflow.update(name=REWIND_UPDATE)
    async def rewind(self, request: RewindRequest) -> RewindResult:
        """Back to before a turn: the files first (refused over changes made outside the
        session unless forced), then the conversation in a new agent context."""
        async with self._turn(None):
            s = self._session
            files = conversation = None
            if request.files:
                stamp = workflow.now().strftime("%Y%m%dT%H%M%S%f")
                files = await self._io(
                    "session_rewind_files",
                    RewindFilesInput(
                        session_id=s.session_id, repo_path=s.repo_path, turn=request.turn,
                        force=request.force, stamp=stamp,
                    ),
                    RewindFilesOutput,
                )  # fmt: skip
            if request.conversation:
                context, marker = s.context + 1, s.next_seq
                conversation = await self._io(
                    "session_rewind_conversation",
                    RewindConversationInput(
                        session_id=s.session_id, turn=request.turn, context=context,
                        marker_seq=marker,
                    ),
                    RewindConversationOutput,
                )  # fmt: skip
                self._set(context=context, next_seq=marker + 1, visible=conversation.visible)
            return RewindResult(
                turn=request.turn,
                context=self._session.context,
                files=files,
                conversation=conversation,
            )

    @workflow.update
    async def switch_agent(self, change: AgentChange) -> int:
        """Use another persona or model from the next turn on, in a new agent context
        seeded with the visible conversation; the new context."""
        async with self._turn(None):
            context = self._session.context + 1
            await self._io(
                "session_switch",
                SwitchInput(session_id=self._id, change=change, context=context),
                type(None),
            )
            self._session = self._session.model_copy(
                update={
                    "context": context,
                    "persona_ref": change.persona_ref,
                    "model": change.model,
                }
            )
            return context

    @workflow.update
    async def remember(self, note: MemoryText) -> MemoryResult:
        async with self._turn(None):
            return await self._memory(MemoryWrite(
                session_id=self._id, project_key=self._session.project_key, remember=note.text
            ))  # fmt: skip

    @workflow.update
    async def forget(self, note: MemorySlug) -> MemoryResult:
        async with self._turn(None):
            return await self._memory(MemoryWrite(
                session_id=self._id, project_key=self._session.project_key, forget=note.slug
            ))  # fmt: skip

    @workflow.update
    async def end(self) -> SessionStatus:
        """End now: the running turn is cancelled and queued messages are refused."""
        self._ending = True
        task = self._turn_task
        if task is not None and not task.done():
            task.cancel()
        try:
            async with self._turn(None, ending=True):
                await self._io("session_end", EndInput(session_id=self._id), type(None))
        except BaseException:
            self._ending = False
            raise
        self._ended = True
        return self.status()

    @compact.validator
    def _check_compact(self) -> None:
        self._check_open()

    @clear.validator
    def _check_clear(self) -> None:
        self._check_open()

    @rewind.validator
    def _check_rewind(self, request: RewindRequest) -> None:
        self._check_open()
        if self._lock.locked() or self._queued:
            raise _refuse("chat.rewind_busy", session=self._id[:8])
        if not (request.conversation or request.files):
            raise _refuse("chat.rewind_nothing")
        turns = self._session.turns
        if request.turn > turns:
            if turns == 0:
                raise _refuse("chat.rewind_no_turns", session=self._id[:8], turn=request.turn)
            raise _refuse(
                "chat.rewind_no_turn", session=self._id[:8], turn=request.turn, last=turns
            )

    @switch_agent.validator
    def _check_switch(self, change: AgentChange) -> None:
        self._check_open()

    @end.validator
    def _check_end(self) -> None:
        self._check_open()

    @remember.validator
    def _check_remember(self, note: MemoryText) -> None:
        self._check_open()
        if not note.text.strip():
            raise _refuse("chat.nothing_to_remember")

    @forget.validator
    def _check_forget(self, note: MemorySlug) -> None:
        self._check_open()
        if not note.slug.strip():
            raise _refuse("chat.forget_which")

    # --- status ---------------------------------------------------------------

    @workflow.query
    def status(self) -> SessionStatus:
        s = self._session
        state = "ended" if self._ended else ("busy" if self._lock.locked() else "idle")
        return SessionStatus(
            session_id=s.session_id,
            state=state,
            persona_ref=s.persona_ref,
            model=s.model,
            context=s.context,
            turns=s.turns,
            queued=self._queued,
            current_client_id=self._current,
            budget=s.budget,
            budget_gate=self._budget_gate,
        )

    # --- plumbing -------------------------------------------------------------

    @property
    def _id(self) -> str:
        return self._session.session_id

    def _check_open(self) -> None:
        if self._ended or self._ending:
            raise _refuse("chat.session_ended", session=self._id)

    @contextlib.asynccontextmanager
    async def _turn(self, client_id: str | None, *, ending: bool = False) -> AsyncIterator[None]:
        """Hold the session's FIFO lock (raising if the session ended meanwhile, unless
        this is the end itself)."""
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1
        try:
            if not ending:
                self._check_open()
            self._current = client_id
            yield
        finally:
            self._current = None
            self._lock.release()

    async def _io(self, name: str, arg: object, result_type: type[T]) -> T:
        try:
            result: T = await workflow.execute_activity(
                name,
                arg,
                result_type=result_type,
                start_to_close_timeout=IO_TIMEOUT,
                retry_policy=IO_RETRY,
            )
        except ActivityError as failure:
            raise _refuse_as_said(failure) from None
        return result

    async def _memory(self, write: MemoryWrite) -> MemoryResult:
        return await self._io("session_memory", write, MemoryResult)


def _cancelled(turn: TurnInput) -> TurnOutput:
    return TurnOutput(
        reply=CANCELLED_REPLY,
        user_seq=turn.user_seq,
        assistant_seq=turn.user_seq + 1,
        cancelled=True,
    )
