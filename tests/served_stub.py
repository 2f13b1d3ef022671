"""A fault-injecting OpenAI-compatible stub server on loopback, for the served-model tests: it answers chat and
text completions with the first words of the document, and serves a script of faults (429, 500, hangs, malformed
bodies, context-length refusals) and a death after N answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The words of an answer (fewer when ``max_tokens`` is smaller: ``finish_reason: length``).
ANSWER_WORDS = 8


def stub_answer(content: str) -> list[str]:
    """The words the stub answers ``content`` with: the first of the document (after ``Document:``) or of it all."""
    _, found, document = content.partition("Document:")
    return (document if found else content).split()[:ANSWER_WORDS]


@dataclass
class Stub:
    """What the stub serves, the faults it injects (one per request, in order), and what it received.

    Attributes:
        faults: ``429`` (Retry-After 0), ``429-wait`` (Retry-After 1), ``401`` (quoting the key), ``500``, ``hang`` (no answer for
            ``hang_seconds``), ``malformed`` (no choices), ``badjson`` (a body that is not JSON), ``ok``.
        context: prompts of more words than this are refused as longer than the context (HTTP 400).
        die_after: after this many answers the server closes its socket for good.
    """

    model: str = "stub-model"
    faults: list[str] = field(default_factory=list)
    context: int | None = None
    die_after: int | None = None
    hang_seconds: float = 5.0
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    answered: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(stub: Stub, server: list[ThreadingHTTPServer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(data).encode(), headers)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                entry = {"id": stub.model, "object": "model", "owned_by": "stub", "root": "stub-root"}
                if stub.context is not None:
                    entry["max_model_len"] = stub.context
                self._json(200, {"object": "list", "data": [entry]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with stub.lock:
                # A dead server answers nothing more, even before its shutdown has closed the socket.
                if stub.die_after is not None and stub.answered >= stub.die_after:
                    self.close_connection = True
                    return
                stub.requests.append(body)
                stub.headers.append({k.lower(): v for k, v in self.headers.items()})
                fault = stub.faults.pop(0) if stub.faults else "ok"
                stub.in_flight += 1
                stub.most_in_flight = max(stub.most_in_flight, stub.in_flight)
            try:
                self._answer(body, fault)
            finally:
                with stub.lock:
                    stub.in_flight -= 1

        def _answer(self, body: dict[str, Any], fault: str) -> None:
            if fault == "429":
                return self._json(429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"})
            if fault == "429-wait":
                return self._json(429, {"error": {"message": "rate limited"}}, {"Retry-After": "1"})
            if fault == "401":
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return self._json(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
            if fault == "500":
                return self._json(500, {"error": {"message": "internal error"}})
            if fault == "hang":
                time.sleep(stub.hang_seconds)
                return None
            if fault == "malformed":
                return self._json(200, {"id": "x", "object": "chat.completion", "created": 0, "choices": []})
            if fault == "badjson":
                return self._send(200, b"{this is not json")
            chat = "messages" in body
            content = body["messages"][-1]["content"] if chat else body["prompt"]
            prompt_words = sum(len(m["content"].split()) for m in body["messages"]) if chat else len(content.split())
            if stub.context is not None and prompt_words + body.get("max_tokens", 0) > stub.context:
                message = (
                    f"This model's maximum context length is {stub.context} tokens. However, you requested "
                    f"{prompt_words} tokens in the messages. Please reduce the length of the messages."
                )
                return self._json(400, {"error": {"message": message, "type": "BadRequestError", "code": 400}})
            time.sleep(stub.delay)
            words = stub_answer(content)
            limit = body.get("max_tokens") or len(words)
            text = " ".join(words[:limit])
            finish = "length" if limit < len(words) else "stop"
            choice = (
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                if chat
                else {"index": 0, "text": text, "finish_reason": finish}
            )
            usage = {"prompt_tokens": prompt_words, "completion_tokens": min(limit, len(words))}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            kind = "chat.completion" if chat else "text_completion"
            self._json(
                200, {"id": "c", "object": kind, "created": 0, "model": stub.model, "choices": [choice], "usage": usage}
            )
            with stub.lock:
                stub.answered += 1
                if stub.die_after is not None and stub.answered >= stub.die_after:
                    threading.Thread(target=_die, args=(server[0],), daemon=True).start()
            return None

    return Handler


def _die(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


@contextmanager
def serving(stub: Stub) -> Iterator[str]:
    """Serve ``stub`` on a free loopback port while the block runs; yields the base URL (``.../v1``)."""
    holder: list[ThreadingHTTPServer] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub, holder))
    server.daemon_threads = True
    holder.append(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
