"""Admins and policy editors in a real browser, under the console's Content-Security-Policy
(which the browser never reports breaking):

* an admin adds an account, changes its role, resets its password and disables it; creates an
  API key that is shown once and revokes it; registers a webhook endpoint and deletes it; sets a
  tenant's retention — every change recorded with the admin as its actor;
* a policy editor pastes a policy with a mistake and sees it at its line and column, saves a
  good one, runs a failing and then a passing set of test cases, backtests it against stored
  history (report and SVG charts drawn by the server), and cannot activate it until a second
  editor approved (four eyes); the diff against the active version; a rollback, recorded.

Debian's chromium driven by Playwright; screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "review"))
from e2e_browser import PASSWORD, csp_reports, launch, needs_chromium, sign_in  # noqa: E402
from review_helpers import add_moderation  # noqa: E402

from modgate.app import create_app  # noqa: E402
from modgate.audit import AuditEntryRow  # noqa: E402
from modgate.services import Services  # noqa: E402
from modgate.settings import load_settings  # noqa: E402
from servers import LiveServer  # noqa: E402

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "governance-console"
POLICIES = Path(__file__).parents[2] / "policies"
BROKEN_POLICY = """policy: broken
categories:
  Explicit: {block: 90, review: 60}
  Explcit Nudity: {block: 80}
"""
WRONG_CASES = """cases:
  - name: explicit nudity is allowed
    labels: {Explicit Nudity: 95}
    expect: allow
"""

pytestmark = needs_chromium


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        policy={"activation_approvals": 1},
        outbound_allow="127.0.0.1/32",
    )
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as live:
            yield live.url, services
    finally:
        services.close()


def changes(services: Services) -> list[tuple[str, str]]:
    """(kind, actor) of every audit entry, oldest first; actors by username."""
    names = {f"user:{u.id}": u.username for u in services.auth.list_users()}
    with services.sessions() as session:
        rows = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq))
        # Sign-ins are audited too; these tests look at the changes made after them.
        return [
            (row.kind, names.get(row.actor, row.actor))
            for row in rows
            if not row.kind.startswith("sign_in.")
        ]


class Console:
    """A browser page with what the tests check on every page: CSP reports."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.blocked = csp_reports(self.page)

    def sign_in(self, username: str, path: str) -> None:
        self.page.goto(f"{self.url}{path}")
        sign_in(self.page, username)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_admin_manages_accounts_keys_webhooks_and_retention(
    server: tuple[str, Services],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, services = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    services.auth.add_user("root", PASSWORD, "admin", actor="system:test")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        console = Console(browser, url)
        page = console.page
        try:
            console.sign_in("root", "/console/admin/users")
            expect(page).to_have_url(f"{url}/console/admin/users")
            page.get_by_label("Username", exact=True).fill("bob")
            page.locator("#new-password").fill("a long enough password")
            page.locator("#new-role").select_option("reviewer")
            page.get_by_label("Queues").fill("nudity, violence")
            page.get_by_role("button", name="Add account").click()
            expect(page.locator("#done")).to_have_text("The account was added.")
            bob = page.locator("tr[data-user=bob]")
            expect(bob.locator(".role")).to_have_text("reviewer")
            console.shot("01-users-added")

            bob.locator("select[name=role]").select_option("policy_editor")
            bob.get_by_role("button", name="Change role").click()
            expect(bob.locator(".role")).to_have_text("policy editor")
            # Too short a password is refused with the reason, on the page.
            bob.locator("input[name=password]").fill("short")
            bob.get_by_role("button", name="Reset password").click()
            expect(page.locator("#error")).to_contain_text("at least")
            bob = page.locator("tr[data-user=bob]")
            bob.locator("input[name=password]").fill("another long password")
            bob.get_by_role("button", name="Reset password").click()
            expect(page.locator("#done")).to_contain_text("password was reset")
            page.locator("tr[data-user=bob]").get_by_role("button", name="Disable").click()
            expect(page.locator("tr[data-user=bob] .status")).to_have_text("disabled")
            console.shot("02-users-changed")
            assert services.auth.get_user("bob").disabled
            assert services.auth.get_user("bob").role == "policy_editor"

            page.get_by_role("link", name="API keys").click()
            page.get_by_label("Name (what it is for)").fill("upload-service")
            page.get_by_label("Tenant").fill("shop")
            page.get_by_label("moderations:write").check()
            page.get_by_role("button", name="Create key").click()
            key = page.locator("#new-key").inner_text()
            assert key.startswith("mgk_")
            console.shot("03-key-created-shown-once")
            assert services.auth.verify_key(key) is not None
            page.goto(f"{url}/console/admin/keys")
            expect(page.locator("#new-key")).to_have_count(0)  # never shown again
            assert key not in page.content()
            key_id = key.split("_")[1]
            page.locator(f"tr[data-key='{key_id}']").get_by_role("button", name="Revoke").click()
            expect(page.locator(f"tr[data-key='{key_id}'] .status")).to_contain_text("revoked")
            assert services.auth.verify_key(key) is None

            page.get_by_role("link", name="Webhooks").click()
            page.get_by_label("Tenant").fill("shop")
            page.get_by_label("URL").fill("http://127.0.0.1:9/hooks")
            page.get_by_label("moderation.completed").check()
            page.get_by_role("button", name="Register endpoint").click()
            expect(page.locator("#new-secret")).not_to_be_empty()
            expect(page.locator("#endpoints tbody tr")).to_have_count(1)
            console.shot("04-webhook-registered")
            (endpoint,) = services.webhooks.store.active_endpoints("shop")
            assert endpoint.events == ("moderation.completed",)
            # An internal address not on the allow list is refused, with the reason.
            page.get_by_label("URL").fill("http://169.254.169.254/latest")
            page.get_by_role("button", name="Register endpoint").click()
            expect(page.locator("#error")).to_contain_text("link-local address")
            page.locator(f"tr[data-endpoint='{endpoint.id}']").get_by_role(
                "button", name="Delete"
            ).click()
            expect(page.locator("#done")).to_contain_text("endpoint was deleted")
            assert services.webhooks.store.active_endpoints("shop") == []

            page.get_by_role("link", name="Retention").click()
            page.get_by_label("Tenant").fill("shop")
            page.get_by_label("Originals: days after the final decision").fill("30")
            page.get_by_label("Thumbnails: days").fill("90")
            page.get_by_role("button", name="Save").click()
            row = page.locator("tr[data-tenant=shop]")
            expect(row).to_contain_text("30 days")
            expect(row).to_contain_text("kept")
            console.shot("05-retention")
            retention = services.retention.get("shop")
            assert (retention.originals_days, retention.previews_days) == (30, None)
        finally:
            browser.close()
    assert not console.blocked, console.blocked
    assert [name for name, actor in changes(services) if actor == "root"] == [
        "user.created",
        "user.changed",  # role
        "user.changed",  # password
        "user.changed",  # disabled
        "api_key.created",
        "api_key.revoked",
        "webhook.created",
        "webhook.deleted",
        "retention.changed",
    ]


def test_policy_editors_test_backtest_approve_and_activate(
    server: tuple[str, Services],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, services = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    services.auth.add_user("ana", PASSWORD, "policy_editor", actor="system:test")
    services.auth.add_user("ben", PASSWORD, "policy_editor", actor="system:test")
    services.auth.add_user("rita", PASSWORD, "reviewer", actor="system:test")
    for confidence in (30.0, 65.0, 85.0, 97.0):
        labels = [
            {"Name": "Explicit Nudity", "Confidence": confidence, "ParentName": "Explicit"},
            {"Name": "Explicit", "Confidence": confidence, "ParentName": ""},
        ]
        add_moderation(services.sessions, labels=labels, review=False, final_action="allow")
    seed = (POLICIES / "seed.yaml").read_text()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        console = Console(browser, url)
        page = console.page
        try:
            console.sign_in("ana", "/console/policies")
            expect(page.locator("section[data-surface=default] .active-version")).to_have_text(
                "none"
            )
            # A mistake: shown at its line and column, the line marked, nothing saved.
            page.get_by_label("Policy YAML").fill(BROKEN_POLICY)
            page.get_by_role("button", name="Check and save").click()
            problems = page.locator("#problems li")
            expect(problems).to_have_count(1)
            expect(problems.first).to_contain_text("line 4, column 3")
            expect(problems.first).to_contain_text("Explicit Nudity")  # did you mean
            expect(page.locator("#src-4")).to_have_class("bad")
            console.shot("10-policy-errors-at-line-and-column")
            assert services.policies.versions() == []

            page.get_by_label("Policy YAML").fill(seed)
            page.get_by_role("button", name="Check and save").click()
            expect(page.locator("h1")).to_contain_text("seed")
            version = page.url.split("/console/policies/")[1].split("?")[0]
            expect(page.locator("#activate")).to_be_disabled()
            expect(page.locator("#gate-missing")).to_contain_text("test cases have not been run")

            page.get_by_label("Cases YAML").fill(WRONG_CASES)
            page.get_by_role("button", name="Run cases").click()
            expect(page.locator("#cases-summary")).to_contain_text("0/1 cases passed")
            expect(page.locator("#cases tr.fail")).to_contain_text("expected allow, got block")
            expect(page.locator("#activate")).to_be_disabled()
            console.shot("11-cases-failed-activation-refused")

            page.get_by_label("Cases YAML").fill((POLICIES / "seed.cases.yaml").read_text())
            page.get_by_role("button", name="Run cases").click()
            expect(page.locator("#cases-summary")).to_contain_text(
                re.compile(r"(\d+)/\1 cases passed")
            )

            page.get_by_role("button", name="Backtest against stored history").click()
            expect(page.locator("#bt-total")).to_have_text("4")
            charts = page.locator("#charts svg.chart")
            expect(charts.first).to_be_visible()
            assert page.locator("#charts polyline.series-flagged").count() >= 1
            console.shot("12-backtest-report-and-charts")
            page.get_by_role("link", name="Back to seed").click()

            # Cases pass, a backtest is attached; her own approval does not count for her.
            expect(page.locator("#gate-missing")).to_contain_text("approval by another")
            page.get_by_role("button", name="Approve for default").click()
            expect(page.locator("#activate")).to_be_disabled()
            console.shot("13-waiting-for-a-second-editor")

            # Ben approves; then Ana can activate.
            page.get_by_role("button", name="Sign out").click()
            console.sign_in("ben", f"/console/policies/{version}")
            page.get_by_role("button", name="Approve for default").click()
            expect(page.locator("#gate-approvals .approver")).to_have_count(2)
            page.get_by_role("button", name="Sign out").click()
            console.sign_in("ana", f"/console/policies/{version}")
            expect(page.locator("#activate")).to_be_enabled()
            page.get_by_role("button", name="Activate on default").click()
            expect(page.locator("#gate")).to_contain_text("This version is active on default")
            console.shot("14-activated")
            active = services.policies.active_for("default")
            assert active is not None and active.version == version

            # A second version: its diff against the active one.
            page.goto(f"{url}/console/policies")
            revised = seed.replace("description: Policy table", "description: Revised table")
            page.get_by_label("Policy YAML").fill(revised)
            page.get_by_role("button", name="Check and save").click()
            expect(page.locator("#diff .del")).to_contain_text("description: Policy table")
            expect(page.locator("#diff .add")).to_contain_text("description: Revised table")
            console.shot("15-diff-against-active")

            # The second version goes live (through the same gate, without the browser);
            # then Ana rolls the surface back from the policies page.
            second = page.url.split("/console/policies/")[1].split("?")[0]
            gov = services.governance
            gov.run_cases(second, (POLICIES / "seed.cases.yaml").read_text(), actor="user:x")
            gov.backtest(second, "default", actor="user:x")
            ben = services.auth.get_user("ben").id
            gov.approve(second, "default", actor=f"user:{ben}")
            gov.activate(second, "default", actor=f"user:{services.auth.get_user('ana').id}")
            page.goto(f"{url}/console/policies")
            history = page.locator("section[data-surface=default] table.history tbody tr")
            expect(history).to_have_count(2)
            page.get_by_role("button", name="Roll back default to the version before").click()
            expect(page.locator("#gate")).to_contain_text("This version is active on default")
            assert services.policies.active_for("default").version == version  # type: ignore[union-attr]
            page.goto(f"{url}/console/policies")
            expect(history).to_have_count(3)
            expect(history.first).to_contain_text("rollback")
            console.shot("16-surfaces-and-versions-after-rollback")
        finally:
            browser.close()

        # A reviewer has no policy pages.
        browser = launch(playwright)
        try:
            reviewer = Console(browser, url)
            reviewer.sign_in("rita", "/console")
            expect(reviewer.page.get_by_role("link", name="Policies")).to_have_count(0)
            answer = reviewer.page.goto(f"{url}/console/policies")
            assert answer is not None and answer.status == 403
        finally:
            browser.close()
    assert not console.blocked, console.blocked
    recorded = changes(services)
    assert ("policy.activated", "ana") in recorded
    assert ("policy.rolled_back", "ana") in recorded
    # Ana's and Ben's approvals in the browser, Ben's of the second version.
    assert [actor for name, actor in recorded if name == "policy.approved"] == ["ana", "ben", "ben"]
    assert [name for name, actor in recorded if actor == "ana"][:3] == [
        "policy.saved",
        "policy.tested",
        "policy.tested",
    ]
