"""A reviewer in a real browser: signs in, sees the item blurred, reveals it, jumps to the
flagged moment of a video, decides with the keyboard, and the moderation's decision changes —
all under the console's Content-Security-Policy, which the browser never reports breaking.
Every request the page makes is recorded: no clear media URL is asked for before the reveal,
and the video player plays the server's blurred proxy until then, the original after.

Debian's chromium driven by Playwright; screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "review"))
from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in  # noqa: E402
from review_helpers import add_moderation  # noqa: E402

from corpus import image_bytes, video_bytes  # noqa: E402
from modgate.moderation.tables import ModerationRow  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "review-console"
pytestmark = needs_chromium


def final_action(services: Any, moderation_id: str) -> str | None:
    with services.sessions() as session:
        row = session.get(ModerationRow, moderation_id)
        assert row is not None
        return row.final_action


def test_reviewer_reveals_jumps_and_decides_by_keyboard(live_server: Any, services: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    services.auth.add_user("rita", PASSWORD, "reviewer", ["nudity"], actor="cli:tests@localhost")
    image, _ = services.media.ingest_bytes(image_bytes("JPEG", 480, 360, seed=3))
    clip, _ = services.media.ingest_bytes(
        video_bytes(seconds=4.0, fps=10, width=320, height=240, colour_at=(2.5, 3.2, (220, 0, 0)))
    )
    image_item = add_moderation(
        services.sessions, media_id=image.id, queue="nudity", priority="urgent"
    )
    matched = [
        {
            "label": "Explicit Nudity",
            "confidence": 77.0,
            "action": "review",
            "rule": "nudity",
            "timestamps": [2500],
        }
    ]
    segments = [
        {
            "Timestamp": 2500,
            "StartTimestampMillis": 2500,
            "EndTimestampMillis": 3200,
            "ModerationLabel": {
                "Name": "Explicit Nudity",
                "Confidence": 77.0,
                "ParentName": "Explicit",
                "TaxonomyLevel": 2,
            },
        }
    ]
    video_item = add_moderation(
        services.sessions,
        media_id=clip.id,
        kind="video",
        queue="nudity",
        matched=matched,
        labels=segments,
    )

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        blocked = csp_reports(page)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        def clear_requests() -> list[str]:
            return [url for url in requested if "blurred=false" in url]

        try:
            first = page.goto(f"{live_server.url}/console")
            assert first is not None
            assert "script-src 'self'" in first.headers["content-security-policy"]
            expect(page).to_have_url(f"{live_server.url}/console/login?next=/console")
            sign_in(page, "rita")
            expect(page.locator("tr[data-queue=nudity] .depth")).to_have_text("2")
            page.screenshot(path=str(ARTIFACTS / "01-queues.png"))

            # The urgent image first: blurred until revealed, and the reveal is logged.
            page.get_by_role("button", name="Review next item").click()
            preview = page.locator("#preview")
            task_path = page.url.replace(live_server.url, "")
            expect(preview).to_have_attribute("src", f"{task_path}/preview?blurred=true")
            page.wait_for_function("() => document.getElementById('preview').naturalWidth > 0")
            expect(page.locator("#rule")).to_have_text("nudity")
            expect(page.locator(".label-name")).to_have_text(["Explicit Nudity"])  # not Alcohol
            bar = page.locator(".label-row .bar span").first
            assert bar.evaluate("e => e.style.width") == "71.5%"  # by review.js, not inline
            page.screenshot(path=str(ARTIFACTS / "02-image-blurred.png"))
            assert clear_requests() == []
            page.get_by_role("button", name="Reveal").click()
            expect(preview).to_have_attribute("src", f"{task_path}/preview?blurred=false")
            page.wait_for_function(
                "() => document.getElementById('preview').complete && "
                "document.getElementById('preview').naturalWidth > 0"
            )
            expect(page.locator("#reveal-status")).to_contain_text("1 of 300 revealed today")
            page.keyboard.press("g")
            expect(page.locator("#task")).to_have_class("task gray")
            page.screenshot(path=str(ARTIFACTS / "03-image-revealed-grayscale.png"))
            page.locator("input[name=label_0][value=wrong]").check()
            page.locator("body").focus()
            page.keyboard.press("a")
            expect(page.get_by_role("status")).to_contain_text("Verdict saved")
            assert final_action(services, image_item) == "allow"

            # The video: blurred player, flagged moment on the timeline, one click to jump.
            page.get_by_role("button", name="Review next item").click()
            player = page.locator("#player")
            expect(player).to_have_class("blurred")
            video_path = page.url.replace(live_server.url, "")
            requested.clear()
            page.wait_for_function("() => document.getElementById('player').readyState >= 1")
            filter_value = player.evaluate("e => getComputedStyle(e).filter")
            assert "blur" in filter_value
            # The blurred proxy (240 px wide), not the 320 px original.
            assert player.evaluate("e => e.currentSrc").endswith(f"{video_path}/media?blurred=true")
            assert player.evaluate("e => [e.videoWidth, e.videoHeight]") == [240, 180]
            page.screenshot(path=str(ARTIFACTS / "04-video-blurred.png"))
            page.get_by_role("button", name="2.5 s–3.2 s · Explicit Nudity (77%)").click()
            page.wait_for_function(
                "() => Math.abs(document.getElementById('player').currentTime - 2.5) < 0.05 && "
                "!document.getElementById('player').seeking"
            )
            assert clear_requests() == []
            page.get_by_role("button", name="Reveal").click()
            expect(player).not_to_have_class("blurred")
            page.wait_for_function(
                "() => document.getElementById('player').videoWidth === 320 && "
                "document.getElementById('player').readyState >= 1"
            )
            assert player.evaluate("e => e.currentSrc").endswith(
                f"{video_path}/media?blurred=false"
            )
            assert clear_requests(), "the original is loaded after the reveal"
            page.get_by_role("button", name="2.5 s–3.2 s · Explicit Nudity (77%)").click()
            page.wait_for_function(  # a function: the page's CSP forbids evaluating strings
                "() => Math.abs(document.getElementById('player').currentTime - 2.5) < 0.05 && "
                "!document.getElementById('player').seeking"
            )
            current = player.evaluate("e => e.currentTime")
            assert abs(current - 2.5) < 0.05
            marker = page.locator(".marker").first
            left = float(marker.evaluate("e => parseFloat(e.style.left)"))
            assert left == pytest.approx(62.5, abs=3)  # 2.5 s of a 4 s clip
            page.screenshot(path=str(ARTIFACTS / "05-video-at-flagged-moment.png"))
            page.locator("body").focus()
            page.keyboard.press("b")
            expect(page.get_by_role("status")).to_contain_text("Verdict saved")
            page.screenshot(path=str(ARTIFACTS / "06-after-verdict.png"))
        finally:
            browser.close()
    assert not blocked, blocked
    assert final_action(services, video_item) == "block"
    review = services.review.state(video_item)
    assert review["status"] == "decided"
