"""A comment end to end through review in a real browser: submitted over HTTP, found profane and
insulting, queued by the seed policy's text rule; the reviewer sees the comment with the flagged
words highlighted where the sender wrote them (look-alike and full-width letters included),
masked until they unmask them, and blocks it with the keyboard.

Debian's chromium driven by Playwright; screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from e2e_browser import PASSWORD, launch, needs_chromium, sign_in

from modgate.moderation.tables import ModerationRow

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "review-text"
COMMENT = "nice stream, you ｍｏｒｏｎ. sh1t take, mail me at kid@example.com"

pytestmark = needs_chromium


def test_reviewer_sees_flagged_words_masked_then_unmasks_and_blocks(
    live_server: Any, services: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    services.auth.add_user("tess", PASSWORD, "reviewer", ["default"], actor="cli:tests@localhost")
    response = httpx.post(
        f"{live_server.url}/v1/moderations",
        json={"text": COMMENT, "language": "en", "wait": True},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    moderation = response.json()
    assert (moderation["action"], moderation["rule"]) == ("review", "text-toxic")

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            page.goto(f"{live_server.url}/console")
            sign_in(page, "tess")
            page.get_by_role("button", name="Review next item").click()
            texts = page.locator("#texts")
            expect(texts).to_have_class("texts masked")
            expect(page.locator("#reveal")).to_have_count(0)  # nothing to unblur in a text
            marks = page.locator("#texts mark")
            # The flagged words, as the sender wrote them, in order.
            expect(marks).to_have_text(["ｍｏｒｏｎ", "sh1t", "kid@example.com"])
            expect(marks.nth(0)).to_have_attribute("title", "INSULT")
            expect(page.locator(".label-name")).to_have_text(["TOXICITY"])
            expect(marks.nth(2)).to_have_attribute("title", "EMAIL")
            masked = marks.nth(0).evaluate("e => getComputedStyle(e).color")
            assert masked == "rgba(0, 0, 0, 0)"  # masked: the word is not shown
            expect(page.locator(".text-item figcaption")).to_have_text("Text")
            page.screenshot(path=str(ARTIFACTS / "01-comment-masked.png"))

            page.locator("body").focus()
            page.keyboard.press("m")
            expect(texts).to_have_class("texts")
            expect(page.locator("#mask")).to_have_attribute("aria-pressed", "false")
            shown = marks.nth(0).evaluate("e => getComputedStyle(e).color")
            assert shown != "rgba(0, 0, 0, 0)"
            page.screenshot(path=str(ARTIFACTS / "02-comment-unmasked.png"))
            page.get_by_role("button", name="Mask flagged words").click()
            expect(texts).to_have_class("texts masked")

            page.locator("body").focus()
            page.keyboard.press("b")
            expect(page.get_by_role("status")).to_contain_text("Verdict saved")
            page.screenshot(path=str(ARTIFACTS / "03-after-verdict.png"))
        finally:
            browser.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Error" in p], problems
    with services.sessions() as session:
        row = session.get(ModerationRow, moderation["id"])
        assert row is not None and row.final_action == "block"
