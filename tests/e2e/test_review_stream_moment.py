"""A reviewer in a real browser sees that an item is a moment of a live stream, and when in the
stream it was taken (``modgate.streams`` sends the moments the policy asks a person to look at
to the review lane as images, with the stream and the time in their metadata)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "review"))
from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in  # noqa: E402
from review_helpers import add_moderation  # noqa: E402

from corpus import image_bytes  # noqa: E402
from modgate.moderation.tables import ModerationExtraRow  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "review-stream-moment"
pytestmark = needs_chromium


def test_a_stream_moment_says_its_stream_and_time(live_server: Any, services: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    services.auth.add_user("sam", PASSWORD, "reviewer", ["live"], actor="cli:tests@localhost")
    image, _ = services.media.ingest_bytes(image_bytes("JPEG", 480, 360, seed=5))
    moment = add_moderation(services.sessions, media_id=image.id, queue="live")
    plain, _ = services.media.ingest_bytes(image_bytes("JPEG", 480, 360, seed=6))
    add_moderation(services.sessions, media_id=plain.id, queue="live", priority="low")
    with services.sessions.begin() as session:
        session.merge(
            ModerationExtraRow(
                moderation_id=moment,
                client="streams",
                client_metadata={"stream_id": "str_0a1b2c", "stream_ms": 12345},
            )
        )

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        blocked = csp_reports(page)
        try:
            page.goto(f"{live_server.url}/console")
            sign_in(page, "sam")
            page.get_by_role("button", name="Review next item").click()
            expect(page.locator("#stream-moment")).to_have_text(
                "A moment of live stream str_0a1b2c at 12.3 s"
            )
            page.screenshot(path=str(ARTIFACTS / "01-stream-moment.png"))
            page.locator("body").focus()
            page.keyboard.press("a")
            expect(page.get_by_role("status")).to_contain_text("Verdict saved")
            page.get_by_role("button", name="Review next item").click()
            expect(page.locator("#preview")).to_be_visible()
            expect(page.locator("#stream-moment")).to_have_count(0)  # an ordinary item
            assert blocked == []
        finally:
            browser.close()
