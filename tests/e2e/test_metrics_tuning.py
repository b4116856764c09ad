"""The tuning curves on the metrics dashboard in a real browser: an admin reads, per category
with checked decisions, precision and recall by threshold drawn by the vendored uPlot, with the
thresholds the targets propose in each chart's caption (the history of
tests/integration/metrics/tuning_seed.py: Explicit's block 90 → 76, Violence's review
70 → 60, Gambling too little history), then asks for a target no threshold meets. Nothing is
fetched from another origin and the Content-Security-Policy blocks nothing. Screenshots are kept
under ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "metrics"))
from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in  # noqa: E402
from metrics_seed import TENANT  # noqa: E402
from tuning_seed import T0, seed_tuning  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "metrics-tuning"
pytestmark = needs_chromium


def test_an_admin_reads_the_tuning_curves(live_server: Any, services: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seed_tuning(services.sessions)
    services.metrics.clock = lambda: T0 + dt.timedelta(hours=5)
    services.auth.add_user("ada", PASSWORD, "admin", [], actor="cli:tests@localhost")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        blocked = csp_reports(page)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        try:
            page.goto(f"{live_server.url}/console/metrics")
            sign_in(page, "ada")
            page.goto(f"{live_server.url}/console/metrics?tenant={TENANT}")
            charts = page.locator("#tuning-charts")
            expect(charts).to_have_attribute("data-drawn", "3")
            expect(charts.locator(".uplot")).to_have_count(3)
            expect(charts.locator("canvas")).to_have_count(3)
            explicit = charts.locator("figure[data-category='Explicit']")
            expect(explicit.locator("figcaption")).to_have_text(
                "Explicit: block 90 → block 76 (tuned, 200 checked)"
            )
            violence = charts.locator("figure[data-category='Violence']")
            expect(violence.locator("figcaption")).to_have_text(
                "Violence: review 70 → review 60 (tuned, 130 checked)"
            )
            gambling = charts.locator("figure[data-category='Gambling']")
            expect(gambling).to_have_attribute("data-status", "insufficient_history")
            # uPlot's legend names the five series of each chart
            expect(explicit.locator(".u-legend")).to_contain_text("Precision, lower bound")
            expect(page.locator("#tuning-status")).to_have_text(
                "335 checked decisions of policy seed; proposed changes: Explicit, Violence."
            )
            page.locator("#tuning").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "01-tuning-curves.png"), full_page=True)

            # A precision no threshold's lower bound reaches: Explicit keeps its block.
            page.fill("#target-precision", "0.99")
            page.get_by_role("button", name="Recompute").click()
            expect(explicit).to_have_attribute("data-status", "target_unreachable")
            expect(explicit.locator("figcaption")).to_have_text(
                "Explicit: block 90 (target unreachable, 200 checked)"
            )
            expect(page.locator("#tuning-status")).to_have_text(
                "335 checked decisions of policy seed; proposed changes: Violence."
            )
            page.screenshot(path=str(ARTIFACTS / "02-unreachable-target.png"), full_page=True)
            assert blocked == []
            assert all(url.startswith(live_server.url) for url in requested), requested
        finally:
            browser.close()
