"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks of
``openai_guard`` (real HTTP, no model).

``FakeGuardServer(answer)`` answers each request with ``answer(prompt, image)`` — a letter of
the prompt's options — with log-probabilities (``logprobs=False``: without them). Failures are
scripted with ``fail_next``: an HTTP status, a delay before answering, or a raw body, consumed
one request at a time. ``delay`` slows every answer down (a model's latency).
"""

from __future__ import annotations

import base64
import io
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

Answer = Callable[[str, Image.Image], str]


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: ``status`` (with an error body), ``delay`` seconds before the normal
    answer, or ``body`` sent as is with status 200."""

    status: int | None = None
    delay: float = 0.0
    body: bytes | None = None


def _none(prompt: str, image: Image.Image) -> str:
    return "N"


class FakeGuardServer:
    def __init__(
        self,
        answer: Answer = _none,
        *,
        logprobs: bool = True,
        confidence: float = 0.9,
        delay: float = 0.0,
    ) -> None:
        self.answer = answer
        self.logprobs = logprobs
        self.confidence = confidence
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self._script: list[Scripted] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail_next(self, *answers: Scripted) -> None:
        with self._lock:
            self._script.extend(answers)

    def __enter__(self) -> FakeGuardServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_script(self) -> Scripted | None:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def completion(self, request: dict[str, Any]) -> dict[str, Any]:
        content = request["messages"][0]["content"]
        prompt = next(part["text"] for part in content if part["type"] == "text")
        url = next(part["image_url"]["url"] for part in content if part["type"] == "image_url")
        image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        letter = self.answer(prompt, image)
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": letter},
            "finish_reason": "length",
        }
        if self.logprobs and request.get("logprobs"):
            other = "N" if letter != "N" else "A"
            top = [
                {"token": letter, "logprob": math.log(self.confidence)},
                {"token": other, "logprob": math.log(1 - self.confidence)},
            ]
            choice["logprobs"] = {
                "content": [{"token": letter, "logprob": top[0]["logprob"], "top_logprobs": top}]
            }
        return {"id": "fake", "object": "chat.completion", "choices": [choice]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length))
                with fake._lock:
                    fake.requests.append(request)
                    fake.authorizations.append(self.headers.get("Authorization", ""))
                scripted = fake._next_script()
                if fake.delay:
                    time.sleep(fake.delay)
                if scripted is not None and scripted.delay:
                    time.sleep(scripted.delay)
                if scripted is not None and scripted.status is not None:
                    self._send(scripted.status, b'{"error": {"message": "scripted"}}')
                elif scripted is not None and scripted.body is not None:
                    self._send(200, scripted.body)
                else:
                    self._send(200, json.dumps(fake.completion(request)).encode())

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
