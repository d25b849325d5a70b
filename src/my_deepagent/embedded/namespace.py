"""Make the embedded server's namespace ready for mda: it exists, keeps closed
workflows for the configured retention, and knows mda's search attributes.

Run at every start of the embedded server, also when it was already running: the
dev server applies `--search-attribute` only when it creates its database file, and
its default retention (one day) would drop finished runs overnight. Each step reads
first and writes only what differs, so a repeated start costs two or three reads.
A namespace registered here reaches the server's namespace cache a moment later:
until then other calls on it answer NOT_FOUND, so the next step retries on that.

It runs while the server lock is held, so a server that accepts connections but
hangs must not hang every mda process: each call gets a timeout, and all calls
together stay within one budget (`timeout_s`); running out of it is a `TimeoutError`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
    UpdateNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from my_deepagent.catalogue import msg
from my_deepagent.search_attributes import ALL_KEYS

RPC_TIMEOUT_S = 10.0
# The SDK reports its own client-side `timeout=` as CANCELLED ("Timeout expired");
# nothing else cancels these calls (a cancelled task raises CancelledError instead).
_TIMED_OUT = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


class _Budget:
    """The time left for the whole setup; each call gets at most `RPC_TIMEOUT_S` of it."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s

    def remaining_s(self) -> float:
        return self.deadline - time.monotonic()

    def rpc_timeout(self) -> timedelta:
        remaining = self.remaining_s()
        if remaining <= 0:
            raise self.exhausted()
        return timedelta(seconds=min(RPC_TIMEOUT_S, remaining))

    def exhausted(self) -> TimeoutError:
        return TimeoutError(msg("operations.namespace_no_answer", seconds=f"{self.timeout_s:g}"))


async def prepare_namespace(
    client: Client, namespace: str, retention_days: int, *, timeout_s: float = 30.0
) -> None:
    """Create `namespace` if missing, set its retention, register mda's search attributes.

    Raises `TimeoutError` when the server does not finish within `timeout_s`, and the
    server's `RPCError` when it refuses a call.
    """
    retention = Duration()
    retention.FromTimedelta(timedelta(days=retention_days))
    budget = _Budget(timeout_s)
    try:
        registered = await _ensure_namespace(client, namespace, retention, budget)
        while True:
            try:
                await _ensure_search_attributes(client, namespace, budget)
                return
            except RPCError as exc:
                if not (registered and exc.status == RPCStatusCode.NOT_FOUND):
                    raise
            await asyncio.sleep(min(0.1, max(0.0, budget.remaining_s())))
    except RPCError as exc:
        if exc.status in _TIMED_OUT:
            raise budget.exhausted() from None
        raise


async def _ensure_namespace(
    client: Client, namespace: str, retention: Duration, budget: _Budget
) -> bool:
    """True if the namespace was registered just now."""
    service = client.workflow_service
    try:
        described = await service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=budget.rpc_timeout()
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        await service.register_namespace(
            RegisterNamespaceRequest(
                namespace=namespace, workflow_execution_retention_period=retention
            ),
            timeout=budget.rpc_timeout(),
        )
        return True
    if described.config.workflow_execution_retention_ttl != retention:
        await service.update_namespace(
            UpdateNamespaceRequest(
                namespace=namespace,
                config=NamespaceConfig(workflow_execution_retention_ttl=retention),
            ),
            timeout=budget.rpc_timeout(),
        )
    return False


async def _ensure_search_attributes(client: Client, namespace: str, budget: _Budget) -> None:
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace), timeout=budget.rpc_timeout()
    )
    missing = {
        key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        for key in ALL_KEYS
        if key.name not in listed.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing),
            timeout=budget.rpc_timeout(),
        )
