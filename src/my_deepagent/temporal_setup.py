"""Make the embedded server's namespace ready for mda: it exists, keeps closed
workflows for the configured retention, and knows mda's search attributes.

Run at every start of the embedded server, also when it was already running: the
dev server applies `--search-attribute` only when it creates its database file, and
its default retention (one day) would drop finished runs overnight. Each step reads
first and writes only what differs, so a repeated start costs two or three reads.
A namespace registered here reaches the server's namespace cache a moment later:
until then other calls on it answer NOT_FOUND, so the next step retries on that.
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

from my_deepagent.search_attributes import ALL_KEYS


async def prepare_namespace(
    client: Client, namespace: str, retention_days: int, *, timeout_s: float = 30.0
) -> None:
    """Create `namespace` if missing, set its retention, register mda's search attributes."""
    retention = Duration()
    retention.FromTimedelta(timedelta(days=retention_days))
    registered = await _ensure_namespace(client, namespace, retention)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await _ensure_search_attributes(client, namespace)
            return
        except RPCError as exc:
            if not (registered and exc.status == RPCStatusCode.NOT_FOUND):
                raise
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(0.1)


async def _ensure_namespace(client: Client, namespace: str, retention: Duration) -> bool:
    """True if the namespace was registered just now."""
    service = client.workflow_service
    try:
        described = await service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        await service.register_namespace(
            RegisterNamespaceRequest(
                namespace=namespace, workflow_execution_retention_period=retention
            )
        )
        return True
    if described.config.workflow_execution_retention_ttl != retention:
        await service.update_namespace(
            UpdateNamespaceRequest(
                namespace=namespace,
                config=NamespaceConfig(workflow_execution_retention_ttl=retention),
            )
        )
    return False


async def _ensure_search_attributes(client: Client, namespace: str) -> None:
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        for key in ALL_KEYS
        if key.name not in listed.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
