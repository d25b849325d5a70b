"""Which failed model calls Temporal should retry, and when.

SDK retries are off (`models.py`), so a provider error reaches the activity as the
SDK raised it. `classify_model_error` turns it into a `ModelCallFailure`: 429, 408,
409 and 5xx (Anthropic's 529 too), timeouts and dropped connections are retryable,
honouring `Retry-After` / `retry-after-ms`; 400, 401, 402, 403, 404, 413, 422 and a
context overflow are not, since the same request would fail the same way and burn
attempts. `x-should-retry`, which OpenAI and Anthropic send to steer their own SDKs,
overrides the status. Activities wrap agent calls in `temporal_model_errors()` so
the failure reaches Temporal as an `ApplicationError` with `non_retryable` and
`next_retry_delay` set.

Provider messages are redacted before they go anywhere: an error body may echo the
request's key (some OpenAI-compatible servers do), and the message becomes part of
the workflow history, where no key may ever be (DESIGN 7). Every configured key value
is replaced, and so is anything shaped like a key (`Bearer <token>`, `sk-...`); the SDK
exception itself is not chained to the `ApplicationError`, as Temporal would record
its text as the failure's cause.

SDK classes are only looked up in modules that are already imported: an error
cannot come from an SDK that was never loaded, and the lookup stays free of the
second it costs to import `openai` on a path (the scripted model) that never did.
"""

from __future__ import annotations

import email.utils
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from my_deepagent.scrub import scrub

if TYPE_CHECKING:
    from temporalio.exceptions import ApplicationError

FailureKind = Literal[
    "rate_limited",
    "server_error",
    "timeout",
    "connection_error",
    "conflict",
    "auth_error",
    "permission_denied",
    "payment_required",
    "not_found",
    "bad_request",
    "context_overflow",
    "malformed_tool_call",
    "provider_error",
]

APPLICATION_ERROR_TYPE = "ModelCallFailure"
MAX_RETRY_AFTER_S = 3600.0
"""A longer Retry-After (or a bogus date) would park the activity for hours: cap it."""
_MESSAGE_LIMIT = 300
_CHAIN_DEPTH = 6
_RETRYABLE_STATUS: dict[int, FailureKind] = {408: "timeout", 409: "conflict", 429: "rate_limited"}
_FINAL_STATUS: dict[int, FailureKind] = {
    401: "auth_error",
    402: "payment_required",
    403: "permission_denied",
    404: "not_found",
}


class MalformedToolCallError(Exception):
    """The model kept answering with tool calls whose arguments are not valid JSON.

    Retryable: a fresh sample usually parses. Raised by the tool-call guard.
    """


class ModelCallFailure(BaseModel):
    """What went wrong with a model call, in the terms a retry policy needs."""

    model_config = ConfigDict(frozen=True)

    kind: FailureKind
    retryable: bool
    message: str
    status: int | None = None
    retry_after_s: float | None = None

    def to_application_error(self) -> ApplicationError:
        from temporalio.exceptions import ApplicationError

        delay = None
        if self.retryable and self.retry_after_s:
            delay = timedelta(seconds=self.retry_after_s)
        safe = self.model_copy(update={"message": redact_secrets(self.message)})
        return ApplicationError(
            safe.message,
            safe.model_dump(mode="json"),
            type=APPLICATION_ERROR_TYPE,
            non_retryable=not self.retryable,
            next_retry_delay=delay,
        )


@contextmanager
def temporal_model_errors() -> Iterator[None]:
    """Re-raise provider errors from the block as Temporal `ApplicationError`s.

    Anything that is not a provider error, or already is an `ApplicationError`,
    passes through unchanged.
    """
    try:
        yield
    except Exception as exc:
        if _is(exc, "temporalio.exceptions", "ApplicationError"):
            raise
        failure = classify_model_error(exc)
        if failure is None:
            raise
        # Not `from exc`: Temporal would record the SDK's exception, unredacted, as the
        # failure's cause. The failure's own message already carries its detail.
        raise failure.to_application_error() from None


def classify_model_error(exc: BaseException) -> ModelCallFailure | None:
    """The failure `exc` (or an exception it was raised from) stands for, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _CHAIN_DEPTH:
        seen.add(id(current))
        failure = _classify_one(current)
        if failure is not None:
            return failure
        current = current.__cause__ or current.__context__
    return None


def _classify_one(exc: BaseException) -> ModelCallFailure | None:
    if isinstance(exc, MalformedToolCallError):
        return ModelCallFailure(kind="malformed_tool_call", retryable=True, message=_line(exc))
    if _is(exc, "langchain_core.exceptions", "ContextOverflowError"):
        return ModelCallFailure(
            kind="context_overflow",
            retryable=False,
            status=_status_of(exc),
            message=f"context window exceeded: {_detail(exc)}",
        )
    status = _status_of(exc)
    if status is not None and _is_sdk_error(exc):
        return _from_status(exc, status)
    if _is(exc, "openai", "APITimeoutError") or _is(exc, "anthropic", "APITimeoutError"):
        return ModelCallFailure(kind="timeout", retryable=True, message="model call timed out")
    if _is(exc, "httpx", "TimeoutException") or _is(exc, "httpx2", "TimeoutException"):
        return ModelCallFailure(kind="timeout", retryable=True, message="model call timed out")
    if _any_is(exc, "APIConnectionError", ("openai", "anthropic")) or _any_is(
        exc, "TransportError", ("httpx", "httpx2")
    ):
        return ModelCallFailure(
            kind="connection_error",
            retryable=True,
            message=f"cannot reach the model provider: {_detail(exc)}",
        )
    if _any_is(exc, "APIError", ("openai", "anthropic")):
        return ModelCallFailure(
            kind="provider_error", retryable=True, message=f"model provider error: {_detail(exc)}"
        )
    if _is(exc, "openai", "OpenAIError") or _is(exc, "anthropic", "AnthropicError"):
        return ModelCallFailure(
            kind="provider_error", retryable=False, message=f"model client error: {_detail(exc)}"
        )
    if _is(exc, "langchain_core.exceptions", "ModelError"):
        retryable = bool(getattr(exc, "is_retryable", False))
        return ModelCallFailure(kind="provider_error", retryable=retryable, message=_line(exc))
    return None


def _from_status(exc: BaseException, status: int) -> ModelCallFailure:
    headers = _headers_of(exc)
    kind: FailureKind
    if status in _RETRYABLE_STATUS or status >= 500:
        kind, retryable = _RETRYABLE_STATUS.get(status, "server_error"), True
    else:
        kind, retryable = _FINAL_STATUS.get(status, "bad_request"), False
    override = headers.get("x-should-retry", "").strip().lower()
    if override in ("true", "false"):
        retryable = override == "true"
    retry_after = parse_retry_after(headers) if retryable else None
    wait = f", retry after {retry_after:g}s" if retry_after is not None else ""
    return ModelCallFailure(
        kind=kind,
        retryable=retryable,
        status=status,
        retry_after_s=retry_after,
        message=f"model provider answered HTTP {status} ({kind.replace('_', ' ')}{wait}): "
        f"{_detail(exc)}",
    )


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    seconds: float | None = None
    if millis := lowered.get("retry-after-ms"):
        seconds = _float_or_none(millis)
        seconds = seconds / 1000 if seconds is not None else None
    if seconds is None and (raw := lowered.get("retry-after")):
        seconds = _float_or_none(raw)
        if seconds is None:
            seconds = _seconds_until_http_date(raw, now or datetime.now(UTC))
    if seconds is None or seconds != seconds or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER_S)


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _seconds_until_http_date(text: str, now: datetime) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) and status >= 400 else None


def _headers_of(exc: BaseException) -> Mapping[str, str]:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}


def _is_sdk_error(exc: BaseException) -> bool:
    return (
        _any_is(exc, "APIError", ("openai", "anthropic"))
        or _any_is(exc, "HTTPError", ("httpx", "httpx2"))
        or _is(exc, "langchain_core.exceptions", "ModelError")
    )


def _any_is(exc: BaseException, name: str, modules: tuple[str, ...]) -> bool:
    return any(_is(exc, module, name) for module in modules)


def _is(exc: BaseException, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(exc, cls)


def _detail(exc: BaseException) -> str:
    """The provider's own error message when its body has one, else the exception text."""
    body: Any = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message.strip():
            return _clip(message)
    return _line(exc)


def _line(exc: BaseException) -> str:
    return _clip(str(exc) or type(exc).__name__)


def redact_secrets(text: str) -> str:
    """`text` with every key mda holds and anything shaped like a key replaced."""
    return scrub(text)


def _clip(text: str) -> str:
    """One line, redacted, at most `_MESSAGE_LIMIT` characters (redacted before clipping,
    so a cut cannot leave the start of a key behind)."""
    text = " ".join(redact_secrets(text).split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
