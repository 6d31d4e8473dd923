"""The admin's pages of the dashboard in Chromium: the audit log shows a refused login with
its address, the account page changes the password under the policy and adds a colleague,
and the colleague (no admin) has no audit log. Real gateway, study service and browser."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.serving.browser import shot
from tests.serving.conftest import STUDY_EMAIL, STUDY_PASSWORD, StudySite, log_in

NEW_PASSWORD = "copper-lantern-meadow-47"
COLLEAGUE = "colleague@study-e2e.example"
COLLEAGUE_PASSWORD = "quiet-orchard-violin-58"


def test_the_admin_reads_the_audit_log_and_manages_accounts(
    page: Page, study_site: StudySite
) -> None:
    wrong = httpx.post(
        f"{study_site.url}/api/instructor/login",
        json={"email": STUDY_EMAIL, "password": "not the password"},
    )
    assert wrong.status_code == 401
    log_in(page, study_site)
    page.get_by_role("button", name="Audit log").click()
    table = page.get_by_test_id("audit-table")
    refused = table.locator('tr[data-action="login"][data-outcome="refused"]')
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(STUDY_EMAIL)
    expect(refused).to_contain_text("127.0.0.1")
    expect(table.locator('tr[data-action="login"][data-outcome="ok"]')).to_have_count(1)
    shot(page, "dashboard-audit-log")

    page.get_by_role("button", name="Account").click()
    page.get_by_label("Current password").fill(STUDY_PASSWORD)
    page.get_by_label("New password", exact=True).fill("aaaaaaaaaa")
    page.get_by_label("New password again").fill("aaaaaaaaaa")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("too easy to guess")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("Password changed")

    page.get_by_label("Email").fill(COLLEAGUE)
    page.get_by_label("First password").fill(COLLEAGUE_PASSWORD)
    page.get_by_role("button", name="Add instructor").click()
    expect(page.get_by_test_id("instructor-accounts")).to_contain_text(COLLEAGUE)
    shot(page, "dashboard-account")
    old = httpx.post(
        f"{study_site.url}/api/instructor/login",
        json={"email": STUDY_EMAIL, "password": STUDY_PASSWORD},
    )
    assert old.status_code == 401

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(COLLEAGUE)
    page.get_by_label("Password").fill(COLLEAGUE_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("button", name="Account")).to_be_visible()
    expect(page.get_by_role("button", name="Audit log")).to_have_count(0)
