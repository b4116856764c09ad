"""Helpers for pipeline tests: marker-coloured media, polling, a local webhook receiver."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from PIL import Image

RED = (255, 0, 0)


def marker_png(seed: int = 0, size: int = 160) -> bytes:
    """A mostly-red image (the marker detector flags it), distinct per seed."""
    image = Image.new("RGB", (size, size), RED)
    image.putpixel((seed % size, (seed // size) % size), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def plain_png(seed: int = 0, size: int = 160) -> bytes:
    image = Image.new("RGB", (size, size), (30, 90, 200))
    image.putpixel((seed % size, (seed // size) % size), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def wait_for(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {check}")
        time.sleep(interval)


def wait_decided(
    base_url: str, moderation_id: str, timeout: float = 60.0, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    def decided() -> dict[str, Any] | None:
        body = httpx.get(f"{base_url}/v1/moderations/{moderation_id}", headers=headers).json()
        return body if body["status"] in ("completed", "failed") else None

    result: dict[str, Any] = wait_for(decided, timeout)
    return result


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers ``fail_first`` requests with 500. With
    ``hold``, it answers nothing until that event is set (a receiver that hangs)."""

    def __init__(self, fail_first: int = 0, hold: threading.Event | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_first = fail_first
        self.hold = hold
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append({"headers": dict(self.headers), "body": body})
                    failing = len(outer.requests) <= outer.fail_first
                if outer.hold is not None:
                    outer.hold.wait()
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]
