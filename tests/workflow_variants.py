"""Incompatible edits of `RunWorkflow`, registered under its name, for the replay test.

Each one is the kind of change a developer might make without a version marker: a
ledger row moved before the first activity, or a new step (a timer) at the start.
Replaying a saved history with either must fail with a nondeterminism error. They
live in their own module, importing only what the workflow sandbox lets through.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from my_deepagent.store.records import EventType, RunState
    from my_deepagent.workflows.run import RunWorkflow
    from my_deepagent.workflows.run_types import RUN_WORKFLOW, RunInput, RunStatus


@workflow.defn(name=RUN_WORKFLOW)
class LedgerFirstRunWorkflow(RunWorkflow):
    """Records `run.started` before `prepare_run`: the activities' order changed."""

    @workflow.run
    async def run(self, input: RunInput) -> RunStatus:
        await self._ledger(EventType.RUN_STARTED, run_state=RunState.RUNNING)
        return await super().run(input)


@workflow.defn(name=RUN_WORKFLOW)
class TimerFirstRunWorkflow(RunWorkflow):
    """Waits a second before it starts: a step the histories do not have."""

    @workflow.run
    async def run(self, input: RunInput) -> RunStatus:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)
