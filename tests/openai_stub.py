"""A real OpenAI-compatible HTTP server on 127.0.0.1 for provider tests.

It also answers Anthropic's `/v1/messages` with scripted errors (in Anthropic's error
shape), enough to check how `ChatAnthropic`'s exceptions are classified.

Tests talk to it with the real `ChatOpenAI` over real sockets, so what they check is
the whole path a provider call takes: request body, SSE framing, tool-call chunk
assembly, usage accounting and HTTP error mapping. Nothing in the client is patched.

Replies are scripted per test. `script(reply, when="text")` queues a reply for
requests whose messages contain `text`; without `when` it goes to the default queue.
A request takes the oldest reply of the first matching keyed queue, else of the
default queue; with nothing queued the stub answers 500 naming the request, which
fails the test loudly (SDK retries are off, so no second request hides it).
Every request body is recorded in `requests`, in arrival order.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class StubToolCall:
    name: str
    arguments: str
    """The raw `arguments` string, sent as is: malformed JSON is allowed on purpose."""

    call_id: str = ""


@dataclass(frozen=True)
class Reply:
    """A successful completion: text, tool calls, or both."""

    content: str | None = None
    tool_calls: tuple[StubToolCall, ...] = ()
    prompt_tokens: int = 11
    completion_tokens: int = 7
    model: str = "stub-model"
    finish_reason: str | None = None
    """Defaults to "tool_calls" or "stop"; "length" mimics a reply cut off by max_tokens."""

    delay_s: float = 0.0
    """Wait this long before answering (for client timeout tests)."""

    cost: float | None = None
    """The call's cost in `usage.cost`, as OpenRouter reports it."""

    echo: bool = False
    """Answer with everything the request's user and tool messages said (what the
    model was shown), after `content`."""


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error in OpenAI's error-body shape."""

    status: int
    message: str = "stub error"
    headers: dict[str, str] = field(default_factory=dict)


StubReply = Reply | ErrorReply


class OpenAIStub:
    """`/v1/chat/completions`, streaming (SSE) and not, on a free loopback port."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._keyed: dict[str, deque[StubReply]] = {}
        self._default: deque[StubReply] = deque()
        self._lock = threading.Lock()
        self._counter = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def start(self) -> OpenAIStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def script(self, *replies: StubReply, when: str | None = None) -> None:
        with self._lock:
            queue = self._default if when is None else self._keyed.setdefault(when, deque())
            queue.extend(replies)

    def next_reply(self, body: dict[str, Any]) -> StubReply:
        text = json.dumps(body.get("messages", []), ensure_ascii=False)
        with self._lock:
            self.requests.append(body)
            for key, queue in self._keyed.items():
                if queue and key in text:
                    return queue.popleft()
            if self._default:
                return self._default.popleft()
        return ErrorReply(500, f"openai_stub has no reply scripted for request: {text[:300]}")

    def next_id(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{prefix}-{self._counter}"


def stub_persona_yaml(persona_id: str, description: str) -> str:
    """A user persona (version 1) whose model is this stub (`openai-compatible:stub-model`)."""
    return f"""\
id: {persona_id}
version: 1
description: {description}
model: openai-compatible:stub-model
capabilities: [chat, reproduce, test_write]
limits:
  max_cost_per_call_usd: 0.01
  max_tokens: 1024
  max_model_calls: 12
system_prompt: |
  Do as you are told.
"""


def _handler_for(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            if self.path.endswith("/messages"):
                self._anthropic_error(stub.next_reply(body))
                return
            if not self.path.endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            reply = stub.next_reply(body)
            if isinstance(reply, Reply) and reply.echo:
                reply = replace(reply, content=(reply.content or "") + _shown(body))
            if isinstance(reply, Reply) and reply.delay_s:
                time.sleep(reply.delay_s)
            if isinstance(reply, ErrorReply):
                error = {"message": reply.message, "type": "stub_error", "code": reply.status}
                self._send_json(reply.status, {"error": error}, reply.headers)
            elif body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._send_stream(_stream_chunks(stub, reply, include_usage))
            else:
                self._send_json(200, _completion(stub, reply))

        def _anthropic_error(self, reply: StubReply) -> None:
            if not isinstance(reply, ErrorReply):
                reply = ErrorReply(
                    501, "openai_stub answers Anthropic's /v1/messages with errors only"
                )
            error = {"type": "stub_error", "message": reply.message}
            self._send_json(reply.status, {"type": "error", "error": error}, reply.headers)

        def _send_json(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, chunks: Iterator[dict[str, Any]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for chunk in chunks:
                line = json.dumps(chunk, ensure_ascii=False)
                self.wfile.write(f"data: {line}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _shown(body: dict[str, Any]) -> str:
    said = [
        m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
        for m in body.get("messages", [])
        if m.get("role") in ("user", "tool")
    ]
    return "\n".join(said)


def _usage(reply: Reply) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }
    if reply.cost is not None:
        usage["cost"] = reply.cost  # as OpenRouter reports it
    return usage


def _finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _call_id(stub: OpenAIStub, call: StubToolCall) -> str:
    return call.call_id or stub.next_id("call")


def _completion(stub: OpenAIStub, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(stub, call),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in reply.tool_calls
        ]
    return {
        "id": stub.next_id("chatcmpl"),
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": reply.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _finish_reason(reply),
            }
        ],
        "usage": _usage(reply),
    }


def _pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _stream_chunks(stub: OpenAIStub, reply: Reply, include_usage: bool) -> Iterator[dict[str, Any]]:
    completion_id = stub.next_id("chatcmpl")

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": reply.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    if reply.content:
        for piece in _pieces(reply.content):
            yield chunk({"content": piece})
    for index, call in enumerate(reply.tool_calls):
        head = {"index": index, "id": _call_id(stub, call), "type": "function"}
        yield chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
        for piece in _pieces(call.arguments):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, _finish_reason(reply))
    if include_usage:
        yield {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": reply.model,
            "choices": [],
            "usage": _usage(reply),
        }
