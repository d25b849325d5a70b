"""Heartbeats from a background task while an activity awaits a long call.

An agent call or a chunked summary can take minutes; the activity must keep telling
Temporal it is alive (and learn of a cancel, which only a heartbeat's reply brings),
whatever the awaited code does. `details` is called for each beat: the progress a
client reads from the pending activity.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from temporalio import activity


@contextlib.asynccontextmanager
async def heartbeating(
    interval_s: float, details: Callable[[], Any] | None = None
) -> AsyncIterator[None]:
    """Heartbeat every `interval_s` seconds inside the block (at once on entry)."""

    async def beat() -> None:
        while True:
            if details is None:
                activity.heartbeat()
            else:
                activity.heartbeat(details())
            await asyncio.sleep(interval_s)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
