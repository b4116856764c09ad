"""A reviewer in a real browser sees why an item matched a hash bank, and banks it with a
block: the review page lists the item's bank matches, the verdict form offers the tenant's
banks, and the block puts the item in the chosen one.

Debian's chromium driven by Playwright; screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))
from e2e_browser import PASSWORD, launch, needs_chromium, sign_in  # noqa: E402

from bank_media import red_tinted  # noqa: E402
from modgate.policy import policy_from_text  # noqa: E402
from modgate.policy.store import SqlPolicyStore  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "review-banks"
POLICY = """
policy: banks-e2e
categories:
  Explicit Nudity: {review: 50}
banks:
  MAYBE_BAD: {action: review}
"""

pytestmark = needs_chromium


def test_a_reviewer_sees_the_bank_match_and_banks_the_item_with_a_block(
    live_server: Any, services: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    store = SqlPolicyStore(services.sessions)
    saved = store.save(policy_from_text(POLICY, "banks-e2e.yaml"), author="cli:tests@localhost")
    store.activate(saved.version, "default", actor="cli:tests@localhost")
    services.auth.add_user("rita", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    item = red_tinted("astronaut")
    services.banks.create_bank("default", "MAYBE_BAD")
    banked = services.banks.add_upload("default", "MAYBE_BAD", io.BytesIO(item))
    services.banks.create_bank("default", "KNOWN_BAD")
    moderation = httpx.post(
        f"{live_server.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.jpg", red_tinted("astronaut", quality=50))},
        timeout=60,
    ).json()
    assert moderation["action"] == "review", moderation

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{live_server.url}/console")
            sign_in(page, "rita")
            page.get_by_role("button", name="Review next item").click()
            matches = page.locator("#bank-matches")
            expect(matches).to_contain_text("MAYBE_BAD")
            expect(matches).to_contain_text(f"content {banked.id}")
            page.get_by_label("With a block, also add this item to the bank").select_option(
                "KNOWN_BAD"
            )
            page.screenshot(path=str(ARTIFACTS / "01-bank-match-and-choice.png"), full_page=True)
            page.keyboard.press("b")
            expect(page).to_have_url(f"{live_server.url}/console?saved=decided")
            page.screenshot(path=str(ARTIFACTS / "02-decided.png"))
        finally:
            browser.close()

    [content] = services.banks.contents("default", "KNOWN_BAD")
    assert (content.source, content.moderation_id) == ("review", moderation["id"])
