"""What the browser tests share: Debian's chromium launched headless by Playwright, the
console's sign-in form, and the Content-Security-Policy reports a page logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing")


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def csp_reports(page: Any) -> list[str]:
    """The page's console messages that report a Content-Security-Policy violation, as they come."""
    reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            reports.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return reports


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the console's sign-in form the page is on."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_again(page: Any, url: str, username: str) -> None:
    """Sign out, then sign in as ``username`` from the console's sign-in page."""
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{url}/console/login")
    sign_in(page, username)
