"""`mda codec-server`: Temporal's remote codec endpoint, on loopback, for sealed payloads.

With payload encryption on, the Temporal Web UI and the `temporal` CLI show sealed
bytes. Pointed at this server (the UI's "Codec Server" setting, or
`temporal --codec-endpoint http://127.0.0.1:8081`), they show the decoded payloads
to the local user, and the key never leaves this machine.

The protocol is Temporal's: `POST /decode` and `POST /encode`, a JSON body
`{"payloads": [...]}` in protobuf's JSON form, answered in the same form. The server
binds loopback only; a browser request is answered only for the allowed origins
(the Web UI's), so another web page cannot use it to decrypt. Bodies are capped.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from my_deepagent.catalogue import msg
from my_deepagent.errors import ConfigError
from my_deepagent.payload_codec import EncryptionCodec

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_PORT = 8081
ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"


def check_loopback(host: str) -> str:
    """`host` if it is a loopback address or `localhost`; a one-line error if not."""
    if host == "localhost":
        return host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(msg("operations.codec_server_loopback_only", host=host))
    return host


class CodecServer:
    """A threaded HTTP server answering `/encode` and `/decode` with `codec`."""

    def __init__(
        self, codec: EncryptionCodec, *, host: str, port: int, origins: Iterable[str]
    ) -> None:
        self.codec = codec
        self.origins = frozenset(origins)
        self._server = ThreadingHTTPServer((check_loopback(host), port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> CodecServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def transform(self, route: str, body: bytes) -> bytes:
        """The answer to a `/encode` or `/decode` body (ValueError when it is not one)."""
        step: Callable[[Payload], Payload] = (
            self.codec.seal if route == "/encode" else self.codec.open
        )
        try:
            incoming = json_format.Parse(body, Payloads())
        except json_format.ParseError as exc:
            raise ValueError(f"the body is not a Payloads JSON object: {exc}") from None
        answer = Payloads(payloads=[step(p) for p in incoming.payloads])
        return json_format.MessageToJson(answer).encode()


def _handler_for(server: CodecServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("codec server: " + format, *args)

        def do_OPTIONS(self) -> None:
            if not self._origin_allowed():
                self._reply(403, {"error": "origin not allowed"})
                return
            self.send_response(204)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
            self.send_header("Access-Control-Max-Age", "600")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            route = self.path.split("?", 1)[0].rstrip("/")
            if not self._origin_allowed():
                self._reply(403, {"error": "origin not allowed"})
                return
            if route not in ("/encode", "/decode"):
                self._reply(404, {"error": f"no route {route}: POST /encode or /decode"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply(413, {"error": f"the body is over {MAX_BODY_BYTES // 2**20} MiB"})
                return
            try:
                data = server.transform(route, self.rfile.read(length))
            except ValueError as exc:
                self._reply(400, {"error": str(exc)})
                return
            self._send(200, data)

        def _origin_allowed(self) -> bool:
            origin = self.headers.get("Origin")
            return origin is None or origin in server.origins

        def _cors(self) -> None:
            origin = self.headers.get("Origin")
            if origin is not None and origin in server.origins:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Vary", "Origin")

        def _reply(self, status: int, body: dict[str, str]) -> None:
            self._send(status, json.dumps(body).encode())

        def _send(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
