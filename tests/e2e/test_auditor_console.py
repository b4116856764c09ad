"""An auditor in a real browser follows one item from upload to appeal: an image is uploaded
through the API and blocked by the policy, its owner appeals, a senior reviewer overturns the
block; the auditor signs in, finds the reviewer's entries by actor, opens the item's history
and reads each step — uploaded, decided (action and policy version), appealed, sent to review,
the reviewer's verdict, the appeal decided — with who did it; a time window with nothing in it
shows nothing. Other roles are refused the pages.

Debian's chromium driven by Playwright; screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))
from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in, sign_in_again  # noqa: E402

from modgate.review.models import VerdictInput  # noqa: E402
from pipeline_helpers import marker_png  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "auditor-console"
ACTOR = "cli:tests@localhost"
pytestmark = needs_chromium


def _item_through_appeal(url: str, services: Any) -> tuple[str, Any]:
    """An image blocked by the policy, appealed, and overturned by senior reviewer sam."""
    with httpx.Client(base_url=url, timeout=60) as client:
        answer = client.post(
            "/v1/moderations", params={"wait": "true"}, files={"file": ("x.png", marker_png(7))}
        )
        assert answer.status_code == 201, answer.text
        moderation = answer.json()
        assert moderation["final_action"] == "block"
        appeal = client.post(
            f"/v1/moderations/{moderation['id']}/appeal", json={"statement": "It is a red wall."}
        )
        assert appeal.status_code == 201, appeal.text
    sam = services.auth.add_user("sam", PASSWORD, "senior_reviewer", ["*"], actor=ACTOR)
    claimed = services.review.claim_next(sam.reviewer, "appeals")
    assert claimed is not None and claimed.moderation_id == moderation["id"]
    result = services.review.submit_verdict(
        claimed.task_id,
        sam.reviewer,
        VerdictInput("allow", {"Explicit": False, "Explicit Nudity": False}),
    )
    assert result["appeal"]["outcome"] == "overturned"
    return str(moderation["id"]), sam


def test_an_auditor_follows_one_item_from_upload_to_appeal(live_server: Any, services: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    moderation_id, sam = _item_through_appeal(live_server.url, services)
    services.auth.add_user("audrey", PASSWORD, "auditor", actor=ACTOR)
    services.auth.add_user("rita", PASSWORD, "reviewer", ["*"], actor=ACTOR)

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        violations = csp_reports(page)
        try:
            page.goto(f"{live_server.url}/console/audit")
            expect(page).to_have_url(f"{live_server.url}/console/login?next=/console/audit")
            sign_in(page, "audrey")
            expect(page).to_have_url(f"{live_server.url}/console/audit")
            expect(page.get_by_role("link", name="Audit log")).to_be_visible()
            expect(page.locator("tr[data-seq]").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "01-audit-log.png"), full_page=True)

            # Who did what: sam's entries, found by actor.
            page.get_by_label("Actor").fill(f"user:{sam.id}")
            page.get_by_role("button", name="Search").click()
            rows = page.locator("tr[data-seq]")
            expect(rows).to_have_count(2)  # the verdict, and the appeal it decided
            expect(rows.locator("td:nth-child(5)")).to_have_text(
                ["review.verdict", "appeal.resolved"]
            )
            expect(rows.locator("a.actor").first).to_have_text("sam")
            page.screenshot(path=str(ARTIFACTS / "02-search-by-actor.png"), full_page=True)

            # The item's history, from the entry's object.
            rows.locator("a.object").first.click()
            expect(page).to_have_url(
                f"{live_server.url}/console/audit/history?object=moderation%3A{moderation_id}"
            )
            steps = page.locator("ol.timeline li")
            expect(steps).to_have_count(6)
            kinds = steps.evaluate_all("items => items.map(i => i.dataset.kind)")
            assert kinds == [
                "moderation.created",
                "moderation.completed",
                "review.created",
                "appeal.created",
                "review.verdict",
                "appeal.resolved",
            ]
            decided = steps.nth(1)
            expect(decided).to_contain_text("Decided")
            expect(decided).to_contain_text("action block")
            expect(decided).to_contain_text("policy ")
            expect(decided).to_contain_text("rule explicit-adult")
            expect(decided.locator("a.actor")).to_have_text("system:modgate")
            expect(steps.nth(0).locator("a.actor")).to_have_text("anonymous")
            expect(steps.nth(4).locator("a.actor")).to_have_text("sam")
            expect(steps.nth(5)).to_contain_text("overturned")
            expect(steps.nth(5)).to_contain_text("was block")
            expect(page.locator("#final-action")).to_have_text("allow")
            expect(page.locator("#policy-versions code")).to_have_count(1)
            expect(page.locator("#detected")).to_contain_text("%")
            page.screenshot(path=str(ARTIFACTS / "03-item-history.png"), full_page=True)

            # A time window in which nothing happened.
            tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M:%S"
            )
            page.goto(f"{live_server.url}/console/audit?since={tomorrow}")
            expect(page.locator("tbody")).to_contain_text("No entries match.")
            page.goto(f"{live_server.url}/console/audit?since=not-a-time")
            expect(page.get_by_role("alert")).to_contain_text("is not a date and time")
            page.screenshot(path=str(ARTIFACTS / "04-bad-time.png"), full_page=True)

            # A reviewer has no audit pages.
            sign_in_again(page, live_server.url, "rita")
            expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
            refused = page.goto(f"{live_server.url}/console/audit")
            assert refused is not None and refused.status == 403
        finally:
            browser.close()
    assert violations == []
