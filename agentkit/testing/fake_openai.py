"""A fake OpenAI-compatible HTTP server on 127.0.0.1, for driving the real ``openai`` client.

Tests enqueue what the "model" says (:class:`Reply` or plain text) and what goes
wrong on the wire (:class:`Fault`: an error status with ``Retry-After``, a hang, a
body that is not JSON). Each ``POST /v1/chat/completions`` takes the next item; an
empty queue is a 500 that names the problem and tells the client not to retry, so a
test that makes one call too many fails instead of passing by accident.

The server speaks HTTP/1.0 (one request per connection), so no handler thread lingers
on an idle keep-alive connection. Every wait is bounded, and :meth:`stop` wakes hung
requests, closes open connections and joins the handler threads with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentkit.redact import redact
from agentkit.testing.scripted import (
    Fault,
    Reply,
    ScriptQueue,
    as_reply,
    conversation_problem,
    stream_pieces,
)
from agentkit.testing.tokens import count_completion_tokens, count_message_tokens

MAX_HANG_SECONDS = 30.0
STOP_DEADLINE_SECONDS = 5.0
SOCKET_TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 16 * 1024 * 1024

ServerItem = str | Reply | Fault


class FakeOpenAIServer:
    """A scripted OpenAI-compatible endpoint at :attr:`base_url`; use it as a context manager.

    :param models: the model ids it serves; any other gets a 404 ``model_not_found``.
    :param api_key: when given, requests must carry ``Authorization: Bearer <api_key>``.
    :param latency: seconds each scripted reply waits before it is sent, as a model's
        thinking time (concurrent requests wait side by side); faults keep their own
        timing. Bounded like a hang, and :meth:`stop` cuts it short. May be changed
        between requests.
    """

    def __init__(
        self,
        models: list[str] | tuple[str, ...] = ("fake-model",),
        api_key: str | None = None,
        latency: float = 0.0,
    ) -> None:
        self.models = list(models)
        self.api_key = api_key
        self.latency = latency
        self._script: ScriptQueue[ServerItem] = ScriptQueue("FakeOpenAIServer", (str, Reply, Fault))
        self._requests: list[dict[str, Any]] = []
        self._headers: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-openai:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake and close in-flight requests, and join every thread (bounded)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        deadline = time.monotonic() + STOP_DEADLINE_SECONDS
        thread.join(max(0.0, deadline - time.monotonic()))
        lingering = httpd.close_connections_and_join(deadline)
        self._httpd = self._thread = None
        if lingering or thread.is_alive():
            warnings.warn(
                f"FakeOpenAIServer: {lingering} request thread(s) still running after stop",
                RuntimeWarning,
                stacklevel=2,
            )

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running; call start() or use `with`")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script and record ---------------------------------------------------------

    def enqueue(self, *items: ServerItem) -> FakeOpenAIServer:
        """Queue replies (str or :class:`Reply`) and faults (:class:`Fault`), in order."""
        self._script.extend(items)
        return self

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every chat-completion request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def request_headers(self) -> list[dict[str, Any]]:
        """The headers (lower-cased names) of each of :attr:`requests`, credentials redacted."""
        with self._lock:
            return list(self._headers)

    @property
    def remaining(self) -> list[ServerItem]:
        return self._script.remaining

    def assert_complete(self) -> None:
        """Fail if any scripted item was never served."""
        self._script.assert_complete()

    def _record(self, body: dict[str, Any], headers: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(body)
            self._headers.append(redact(headers))

    def _next_item(self) -> ServerItem | None:
        return self._script.pop()


class _HTTPServer(ThreadingHTTPServer):
    """Tracks handler threads and their sockets, so stop() can close and join them."""

    daemon_threads = True

    def __init__(self, fake: FakeOpenAIServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self._workers: list[tuple[threading.Thread, socket.socket]] = []
        self._workers_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="fake-openai-request",
            daemon=True,
        )
        with self._workers_lock:
            self._workers = [(t, s) for t, s in self._workers if t.is_alive()]
            self._workers.append((worker, request))
        worker.start()

    def close_connections_and_join(self, deadline: float) -> int:
        """Shut open sockets (so blocked reads return), join workers; how many linger."""
        with self._workers_lock:
            workers = list(self._workers)
        for worker, sock in workers:
            if worker.is_alive():
                with contextlib.suppress(OSError):  # the handler may have closed it
                    sock.shutdown(socket.SHUT_RDWR)
        for worker, _ in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        return sum(worker.is_alive() for worker, _ in workers)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    # A client that connects and goes quiet must not pin a thread for ever.
    timeout = SOCKET_TIMEOUT_SECONDS
    server_version = "FakeOpenAI/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read server.requests; access logs on stderr are only noise

    def handle(self) -> None:
        # The client may go away mid-request (it timed out, or stop() shut the socket);
        # that is part of the scenarios, not a server error worth a traceback.
        with contextlib.suppress(ConnectionError, TimeoutError):
            super().handle()

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path.rstrip("/") == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "agentkit-testing"}
                for m in self.server.fake.models
            ]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_error(404, f"unknown path {self.path}", "invalid_request_error")

    def do_POST(self) -> None:
        if self.path.rstrip("/") == "/v1/chat/completions":
            self._chat_completion()
        else:
            self._send_error(404, f"unknown path {self.path}", "invalid_request_error")

    def _chat_completion(self) -> None:
        fake = self.server.fake
        body = self._read_json()
        if body is None:
            return
        fake._record(body, {name.lower(): value for name, value in self.headers.items()})
        if not self._authorised():
            return
        problem = conversation_problem(body.get("messages") or [])
        if problem is not None:  # as OpenAI answers a malformed conversation
            self._send_error(400, f"Invalid conversation: {problem}", "invalid_request_error")
            return
        model = body.get("model")
        if model not in fake.models:
            self._send_error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                code="model_not_found",
            )
            return
        item = fake._next_item()
        if isinstance(item, Fault):
            self._serve_fault(item)
        elif item is None:
            # x-should-retry: the client would otherwise retry the empty queue several times.
            self._send_error(
                500,
                "FakeOpenAIServer: no scripted reply left for this request",
                "server_error",
                headers={"x-should-retry": "false"},
            )
        else:
            if fake.latency > 0:
                fake._stopping.wait(min(fake.latency, MAX_HANG_SECONDS))
            self._serve_reply(as_reply(item), body)

    def _serve_reply(self, reply: Reply, body: dict[str, Any]) -> None:
        calls = reply.wire_tool_calls()
        usage = _usage(body, reply, calls)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = _stream_chunks(body["model"], reply, calls, usage if include_usage else None)
            self._send_events(chunks)
        else:
            self._send_json(200, _completion(body["model"], reply, calls, usage))

    def _serve_fault(self, fault: Fault) -> None:
        if fault.kind == "hang":
            # Hold the request, then close without a response; stop() wakes us early.
            self.server.fake._stopping.wait(min(max(fault.seconds, 0.0), MAX_HANG_SECONDS))
            self.close_connection = True
        elif fault.kind == "malformed_body":
            self._send_bytes(200, b'{"id": "chatcmpl-broken", "choices": [', "application/json")
        else:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            message = fault.message or f"injected fault: HTTP {fault.code}"
            self._send_error(fault.code, message, _error_type(fault.code), headers=headers)

    # -- request and response plumbing ---------------------------------------------

    def _authorised(self) -> bool:
        key = self.server.fake.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._send_error(
            401,
            "Incorrect API key provided.",
            "invalid_request_error",
            code="invalid_api_key",
            headers={"WWW-Authenticate": "Bearer"},
        )
        return False

    def _read_json(self) -> dict[str, Any] | None:
        declared = self.headers.get("Content-Length", "").strip()
        length = int(declared) if declared.isdigit() else 0
        if not 0 < length <= MAX_BODY_BYTES:
            self._send_error(
                400, "a JSON body with Content-Length is required", "invalid_request_error"
            )
            return None
        try:
            body = json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self._send_error(400, f"the body is not JSON: {exc}", "invalid_request_error")
            return None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._send_error(
                400, "the body must be an object with a 'messages' list", "invalid_request_error"
            )
            return None
        return body

    def _send_error(
        self,
        status: int,
        message: str,
        type: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        error = {"message": message, "type": type, "param": None, "code": code}
        self._send_json(status, {"error": error}, headers)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_events(self, chunks: Iterator[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _error_type(code: int) -> str:
    if code == 429:
        return "rate_limit_exceeded"
    return "server_error" if code >= 500 else "invalid_request_error"


def _usage(body: dict[str, Any], reply: Reply, calls: list[tuple[str, str, str]]) -> dict[str, int]:
    prompt = count_message_tokens(body["messages"], body.get("tools"))
    completion = count_completion_tokens(reply.content, [(name, args) for _, name, args in calls])
    return dict(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _completion(
    model: str, reply: Reply, calls: list[tuple[str, str, str]], usage: dict[str, int]
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    if calls:
        message["tool_calls"] = [
            {"id": id, "type": "function", "function": {"name": name, "arguments": args}}
            for id, name, args in calls
        ]
    finish_reason = reply.resolved_finish_reason()
    choice = dict(index=0, message=message, logprobs=None, finish_reason=finish_reason)
    return {**_envelope(model, "chat.completion"), "choices": [choice], "usage": usage}


def _stream_chunks(
    model: str, reply: Reply, calls: list[tuple[str, str, str]], usage: dict[str, int] | None
) -> Iterator[dict[str, Any]]:
    """The chunks of a streamed completion, shaped as OpenAI sends them."""
    envelope = _envelope(model, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**envelope, "choices": [choice], "usage": None}

    yield chunk({"role": "assistant", "content": ""})
    for piece in stream_pieces(reply.content or ""):
        yield chunk({"content": piece})
    for index, (id, name, args) in enumerate(calls):
        head = dict(index=index, id=id, type="function", function={"name": name, "arguments": ""})
        yield chunk({"tool_calls": [head]})
        for fragment in _fragments(args):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
    yield chunk({}, reply.resolved_finish_reason())
    if usage is not None:
        yield {**envelope, "choices": [], "usage": usage}


def _fragments(text: str, parts: int = 3) -> list[str]:
    """Split tool-call arguments into a few fragments, as OpenAI streams them."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _envelope(model: str, object: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": object,
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_agentkit_fake",
    }
