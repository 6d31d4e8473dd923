"""The item bank in the instructor's dashboard, in headless Chromium: edit an item, refuse a
broken CSV whole, import an export back.

Runs on the ``study_site`` fixture (an evaluation service and SPA gateway per test).
Screenshots go to /tmp/cnn101-spa/study-*.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.serving.browser import Contexts, shot
from tests.serving.conftest import StudySite, log_in


def test_item_bank_edit_import_export(
    study_site: StudySite, people: Contexts, tmp_path: Path
) -> None:
    """Edit an item, refuse a broken CSV whole, import an export back."""
    page = people.page(1280, 720)
    log_in(page, study_site)
    page.get_by_role("button", name="Item bank").click()
    rows = page.locator(".items-table tbody tr")
    expect(rows).to_have_count(26)
    page.get_by_role("button", name="Edit A01").click()
    editor = page.get_by_role("form", name="Edit item A01")
    editor.get_by_label("Explanation").fill("Edited in the dashboard: 64 - 3 + 1 = 62.")
    editor.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("status")).to_have_text("Saved A01.")
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    exported = httpx.get(
        study_site.url + "/api/instructor/items/export.json", cookies=cookies
    ).json()
    by_key = {item["key"]: item for item in exported["items"]}
    assert by_key["A01"]["explanation"] == "Edited in the dashboard: 64 - 3 + 1 = 62."

    # A broken CSV is refused whole, with the reason; a valid JSON export imports back.
    bad = tmp_path / "broken.csv"
    bad.write_text("key,form\nA01,A\n", encoding="utf-8")
    page.get_by_label("Import JSON or CSV…").set_input_files(str(bad))
    expect(page.get_by_role("alert")).to_contain_text("broken.csv was not imported")
    expect(page.get_by_role("alert")).to_contain_text("missing columns")
    good = tmp_path / "bank.json"
    good.write_text(json.dumps(exported), encoding="utf-8")
    page.get_by_label("Import JSON or CSV…").set_input_files(str(good))
    expect(page.get_by_role("status")).to_contain_text("Imported bank.json: 0 new")
    expect(rows).to_have_count(26)
    shot(page, "study-instructor-items")

    # While a study is open, every item says why it is locked, and no Edit is offered
    # (it used to open the editor and then fail with the server's HTTP 409).
    api = httpx.Client(base_url=study_site.url, cookies=cookies)
    created = api.post(
        "/api/instructor/studies",
        json={
            "title": "Week 3",
            "consent_text": "You may take part.",
            "learning_seconds": 600,
            "pre_test_seconds": 300,
            "post_test_seconds": 300,
        },
    )
    assert created.status_code == 201, created.text
    assert api.post(f"/api/instructor/studies/{created.json()['id']}/open").status_code == 200
    page.reload()
    page.get_by_role("button", name="Item bank").click()
    expect(page.get_by_test_id("bank-locked")).to_have_text(
        "Items are locked: the study 'Week 3' is open; close it before changing items."
    )
    expect(page.get_by_test_id("locked-A01")).to_have_text("Locked")
    expect(page.get_by_role("button", name="Edit A01")).to_have_count(0)
    expect(page.locator(".items-table").get_by_role("button")).to_have_count(0)
    shot(page, "study-instructor-items-locked")
