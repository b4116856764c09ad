"""The metrics dashboard in a real browser: an admin signs in, reads the last 30 days' figures,
queue health and error-rate estimates, and sees four charts drawn by the vendored uPlot — by
day, then by hour — under the console's Content-Security-Policy, with nothing fetched from
another origin. A reviewer is refused. Screenshots are kept under ``test-artifacts/``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "metrics"))
from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in, sign_in_again  # noqa: E402
from metrics_seed import NOW, TENANT, seed  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "metrics-dashboard"
pytestmark = needs_chromium


def test_an_admin_reads_the_dashboard_and_its_charts(live_server: Any, services: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seed(services.sessions)
    services.metrics.clock = lambda: NOW  # the seeded day is "the last 30 days"
    services.auth.add_user("ada", PASSWORD, "admin", [], actor="cli:tests@localhost")
    services.auth.add_user("rita", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        blocked = csp_reports(page)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        try:
            page.goto(f"{live_server.url}/console/metrics")
            sign_in(page, "ada")
            expect(page).to_have_url(f"{live_server.url}/console/metrics")
            page.get_by_role("link", name="Metrics").click()  # from the console's menu
            page.goto(f"{live_server.url}/console/metrics?tenant={TENANT}")
            # The seeded history's last 30 days: the day of tests/integration/metrics/
            # test_summary.py plus the allowed item and the policy change just before it.
            expect(page.locator("#total")).to_have_text("12")
            expect(page.locator("#allowed")).to_have_text("41.7 %")
            expect(page.locator("#review-time")).to_have_text("53 s / 120 s")
            expect(page.locator("#disagreement")).to_have_text("50.0 %")
            expect(page.locator("#overturned")).to_have_text("50.0 %")
            expect(page.locator("#policy-changes")).to_have_text("3")
            explicit = page.locator("#quality-table tr", has_text="Explicit")
            expect(explicit).to_contain_text("25.0 %")
            expect(page.locator("#queue-table")).to_contain_text("nudity")
            # Four charts by day, drawn by uPlot on canvases.
            expect(page.locator("#charts")).to_have_attribute("data-drawn", "day")
            expect(page.locator("#charts .uplot")).to_have_count(4)
            expect(page.locator("#charts canvas")).to_have_count(4)
            expect(page.locator("#chart-status")).to_have_text("30 buckets by day.")
            page.screenshot(path=str(ARTIFACTS / "01-by-day.png"), full_page=True)
            page.get_by_role("button", name="By hour").click()
            expect(page.locator("#charts")).to_have_attribute("data-drawn", "hour")
            expect(page.locator("#chart-status")).to_have_text("48 buckets by hour.")
            expect(page.locator("#charts .uplot")).to_have_count(4)
            page.screenshot(path=str(ARTIFACTS / "02-by-hour.png"), full_page=True)
            assert blocked == []
            assert all(url.startswith(live_server.url) for url in requested), requested

            # A reviewer has no dashboard.
            sign_in_again(page, live_server.url, "rita")
            expect(page.get_by_role("link", name="Metrics")).to_have_count(0)
            refused = page.goto(f"{live_server.url}/console/metrics")
            assert refused is not None and refused.status == 403
        finally:
            browser.close()
