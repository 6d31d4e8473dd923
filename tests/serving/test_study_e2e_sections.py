"""A study with course sections in headless Chromium: the consent page shows a labelled
section list, and taking part without choosing a section is explained, not sent.

Runs on the ``study_site`` fixture (an evaluation service and SPA gateway per test).
"""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.serving.browser import Contexts
from tests.serving.conftest import STUDY_EMAIL, STUDY_PASSWORD, StudySite


def test_a_student_picks_their_section_before_taking_part(
    study_site: StudySite, people: Contexts
) -> None:
    http = httpx.Client(base_url=study_site.url, timeout=30)
    assert http.post(
        "/api/instructor/login", json={"email": STUDY_EMAIL, "password": STUDY_PASSWORD}
    )
    body = {"title": "Sections", "consent_text": "Agree?", "sections": ["Mon 9:00", "Tue 14:00"]}
    study = http.post("/api/instructor/studies", json=body).json()
    assert http.post(f"/api/instructor/studies/{study['id']}/open").status_code == 200
    try:
        page = people.page(1024, 768)
        page.goto(study["join_link"])
        page.get_by_role("button", name="Join").click()
        section = page.get_by_label("Your course section")
        expect(section).to_be_visible()
        expect(section).to_have_attribute("required", "")
        page.get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Take part in the study").click()
        expect(page.get_by_role("alert")).to_contain_text("choose your section")
        progress = http.get(f"/api/instructor/studies/{study['id']}/progress").json()
        assert progress["counts"] == {"unassigned": {"consent": 1}}  # nothing was stored
        section.select_option(label="Tue 14:00")
        page.get_by_role("button", name="Take part in the study").click()
        expect(page.get_by_role("button", name="Start the pre-test")).to_be_visible()
    finally:
        http.post(f"/api/instructor/studies/{study['id']}/close")
