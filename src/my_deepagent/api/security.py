"""Who may talk to `mda serve`, and how much: one ASGI middleware in front of the app.

- **Token.** With `MDA_API_TOKEN` set, every `/api/` request carries it as
  `Authorization: Bearer <token>`, compared in constant time; without it, 401. The
  pages themselves are public (they hold no data) and ask for the token once.
  `mda serve` refuses a non-loopback address without a token.
- **Host.** Without a token the server is loopback-only, and it answers only the
  loopback host names, so a web page that rebinds its own name to 127.0.0.1 cannot
  read it.
- **No cross-site writes.** A request that changes something (any method but GET,
  HEAD, OPTIONS) from a browser must come from the app's own origin: an `Origin`
  header naming another origin, or `Sec-Fetch-Site: cross-site`, is refused with 403.
  No CORS header is ever sent, so other origins cannot read answers either.
- **Size.** A request body larger than `max_body` bytes is refused with 413, whether
  or not it declares its length.

Every refusal is a JSON body `{"error": "..."}` with one line, like every error of
the API.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from my_deepagent.catalogue import msg

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MAX_BODY_BYTES = 1024 * 1024

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
     b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]  # fmt: skip


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or host.startswith("127.")


def token_matches(expected: str, authorization: str | None) -> bool:
    """The bearer token in `authorization` is `expected` (constant time)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return False
    given = authorization[len("bearer ") :].strip()
    return hmac.compare_digest(given.encode(), expected.encode())


class Guard:
    """The middleware: token, host, origin and size checks, then security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            await _answer(send, 413, msg("operations.api_body_too_large", limit=self.max_body))
            return
        await self.app(scope, _capped(receive, self.max_body, send), _with_headers(send))

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        path: str = scope["path"]
        if self.token is None and not is_loopback(_host_name(headers.get("host", ""))):
            return 403, msg("operations.api_loopback_only")
        method: str = scope["method"]
        if method not in SAFE_METHODS and _cross_site(scope, headers):
            return 403, msg("operations.api_cross_site")
        guarded = path.startswith("/api/") and path != "/api/health"
        if (
            self.token is not None
            and guarded
            and not token_matches(self.token, headers.get("authorization"))
        ):
            return 401, msg("operations.api_bad_token")
        return None


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(scope: Scope, headers: dict[str, str]) -> bool:
    if headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser (browsers send Origin with every such request)
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    return origin != own


def _capped(receive: Receive, limit: int, send: Send) -> Receive:
    """`receive`, failing once the body passes `limit` bytes (a body without length)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped


class BodyTooLarge(Exception):
    """Raised while reading a body past the cap; the app answers it with 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(msg("operations.api_body_too_large", limit=limit))


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
        await send(message)

    return wrapped


async def _answer(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
