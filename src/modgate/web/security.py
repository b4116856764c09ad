"""Browser-facing protections of the console: security headers on every response under
``/console``, and whether its cookies are marked ``Secure``.

The Content-Security-Policy allows only the console's own script, style sheet, images, media
and ``fetch`` calls (no inline script or style: templates pass values to ``review.js`` in
``data-`` attributes), forms posting back to modgate, and no framing (clickjacking on the
verdict buttons). The headers are added by a small ASGI middleware so error answers, redirects
and static files carry them too.

Cookies are ``Secure`` unless ``auth.cookie_secure`` is off, or the request came over plain
HTTP to a loopback address (``make serve`` and the tests on ``http://127.0.0.1``). A request
that passed through a proxy carries ``Forwarded`` or ``X-Forwarded-*`` headers and always gets
``Secure``: the proxy may well have rewritten ``Host`` to 127.0.0.1 after terminating TLS.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_PREFIX = "/console"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
CONSOLE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PROXY_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
)


class ConsoleSecurityHeaders:
    """ASGI middleware: ``CONSOLE_HEADERS`` on every response under ``/console`` (a header a
    route set itself is kept)."""

    def __init__(self, app: ASGIApp, prefix: str = CONSOLE_PREFIX) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in CONSOLE_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_secure(request: Request) -> bool:
    """Whether the console's cookies set in answer to ``request`` carry ``Secure``."""
    if not request.app.state.settings.auth.cookie_secure:
        return False
    plain_local = (
        request.url.scheme == "http"
        and _loopback(request.url.hostname)
        and not any(name in request.headers for name in PROXY_HEADERS)
    )
    return not plain_local
