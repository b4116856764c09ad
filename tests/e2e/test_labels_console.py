"""The custom labels page in a real browser: a policy editor reads one tenant's labels and
every version — status, cross-validated figures, the shadow evaluation that kept version 2 or
put it live — and never another tenant's label; a reviewer has no such page. Screenshots are
kept under ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in, sign_in_again

from custom_label_corpus import abstract_art, photo_crops
from modgate.taxonomy import custom_labels, register_custom_labels

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "labels-console"
ACTOR = "cli:tests@localhost"
pytestmark = needs_chromium


def test_a_policy_editor_reads_a_tenants_custom_labels(live_server: Any, services: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before = custom_labels()
    labels = services.labels
    try:
        label = labels.describe("acme", "Photograph", "image", None, None)
        first = labels.train(
            label, photo_crops(("astronaut", "coffee"), 3, seed=41), abstract_art(6, seed=42), ACTOR
        )
        second = labels.train(
            labels.store.label("acme", "Photograph"),
            photo_crops(("rocket", "chelsea"), 3, seed=43),
            abstract_art(6, seed=44),
            ACTOR,
        )
        labels.train(
            labels.describe("other", "Their Secret", "image", None, None),
            photo_crops(("camera",), 6, seed=45),
            abstract_art(6, seed=46),
            ACTOR,
        )
        services.auth.add_user("pat", PASSWORD, "policy_editor", [], actor=ACTOR)
        services.auth.add_user("rita", PASSWORD, "reviewer", ["*"], actor=ACTOR)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            blocked = csp_reports(page)
            try:
                page.goto(f"{live_server.url}/console/labels?tenant=acme")
                sign_in(page, "pat")
                expect(page).to_have_url(f"{live_server.url}/console/labels")
                page.get_by_role("link", name="Custom labels").click()  # from the menu
                expect(page.locator("#no-labels")).to_have_text(
                    "Tenant default has no custom label."
                )
                page.get_by_label("Tenant").fill("acme")
                page.get_by_role("button", name="Show").click()
                card = page.locator("section.custom-label")
                expect(card).to_have_count(1)
                expect(card.get_by_role("heading")).to_have_text("Photograph")
                live = second.version if second.status == "live" else first.version
                expect(card.locator(".live-version")).to_have_text(str(live))
                rows = card.locator("tbody tr")
                expect(rows).to_have_count(2)
                one, two = rows.nth(0), rows.nth(1)
                expect(one.locator(".status")).to_have_text(
                    "retired" if second.status == "live" else "live"
                )
                expect(one.locator(".f1")).to_have_text(f"{first.metrics['f1']:.3f}")
                expect(one.locator(".shadow")).to_have_text("—")
                expect(two.locator(".status")).to_have_text(second.status)
                expect(two.locator(".precision")).to_have_text(f"{second.metrics['precision']:.3f}")
                shadow = second.shadow
                expect(two.locator(".shadow")).to_contain_text(
                    f"against v1 on {shadow['examples']} unseen"
                )
                expect(two.locator(".shadow")).to_contain_text(
                    "promoted" if shadow["promoted"] else "not promoted"
                )
                expect(page.get_by_text("Their Secret")).to_have_count(0)
                page.screenshot(path=str(ARTIFACTS / "01-labels.png"), full_page=True)
                assert blocked == []

                sign_in_again(page, live_server.url, "rita")
                expect(page.get_by_role("link", name="Custom labels")).to_have_count(0)
                refused = page.goto(f"{live_server.url}/console/labels")
                assert refused is not None and refused.status == 403
            finally:
                browser.close()
    finally:
        register_custom_labels(before)
