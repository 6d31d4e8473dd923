"""Joining a study in headless Chromium: a wrong join code is explained; the consent choices
"use the material without my data" and "decline" end the flow without study data.

Runs on the ``study_site`` fixture (an evaluation service and SPA gateway per test).
"""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.serving.browser import Contexts
from tests.serving.conftest import STUDY_EMAIL, STUDY_PASSWORD, StudySite


def test_join_errors_and_the_consent_choices(study_site: StudySite, people: Contexts) -> None:
    """A wrong code is explained; no_data and decline end the flow without study data."""
    http = httpx.Client(base_url=study_site.url, timeout=30)
    assert http.post(
        "/api/instructor/login", json={"email": STUDY_EMAIL, "password": STUDY_PASSWORD}
    )
    study = http.post(
        "/api/instructor/studies", json={"title": "Consent check", "consent_text": "Agree?"}
    ).json()
    assert http.post(f"/api/instructor/studies/{study['id']}/open").status_code == 200
    try:
        page = people.page(1024, 768)
        page.goto(study_site.url + "/study.html")
        page.get_by_label("Join code").fill("ZZZZZZ")
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_role("alert")).to_contain_text("no study has this join code")
        page.get_by_label("Join code").fill(study["join_code"].lower())
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_test_id("consent-text")).to_have_text("Agree?")
        page.get_by_role("button", name="Use the material without my data being used").click()
        expect(page.get_by_role("heading", name="Use the material")).to_be_visible()
        page.get_by_role("button", name="Read the tutorial").click()
        expect(page.get_by_test_id("tutorial")).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name="Use the material")).to_be_visible()

        other = people.page(1280, 720)
        other.goto(study["join_link"])
        other.get_by_role("button", name="Join").click()
        other.get_by_role("button", name="Decline").click()
        expect(other.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(other.get_by_role("button", name="Withdraw from the study")).to_have_count(0)
        progress = http.get(f"/api/instructor/studies/{study['id']}/progress").json()
        assert progress["counts"] == {"unassigned": {"free_use": 1, "declined": 1}}
    finally:
        http.post(f"/api/instructor/studies/{study['id']}/close")
