"""What every console page shares: the templates, rendering a page for the signed-in user
(with the session's CSRF token for its forms, never cached), and answering a form that was
refused — the page again with the reason for a browser, the JSON error for an API client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from modgate.auth.deps import console_session
from modgate.auth.models import User
from modgate.errors import ModgateError

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
# A value put into a URL path segment or query value: every reserved character escaped.
templates.env.filters["segment"] = lambda value: quote(str(value), safe="")


def names_of_users(request: Request) -> dict[str, str]:
    """Console users' names by the actor the audit log gives them (``user:<id>``), so pages
    show who did something by name."""
    users = request.app.state.services.auth.list_users()
    return {f"user:{u.id}": u.username for u in users}


async def page(
    request: Request, name: str, user: User | None, status: int = 200, **context: Any
) -> Response:
    console = await console_session(request)
    return templates.TemplateResponse(
        request,
        name,
        {"user": user, "csrf_token": console.csrf_token if console else "", **context},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def form_text(form: Any, name: str) -> str:
    """A form field's text as sent; empty when missing or a file."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def refused(
    request: Request,
    error: ModgateError,
    render: Callable[..., Awaitable[Response]],
) -> Response:
    """The answer to a form the service refused: ``render(status=…, error=…)`` for a browser,
    the error itself (raised) for a client asking for JSON."""
    if wants_json(request):
        raise error
    return await render(status=error.http_status, error=error.message)
