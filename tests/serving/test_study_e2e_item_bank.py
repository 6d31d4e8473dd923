"""The item bank in the instructor's dashboard, in headless Chromium: owners and versions,
edit one's own item, refuse a broken CSV whole, import an export back, a new version while
a study is open.

Runs on the ``study_site`` fixture (an evaluation service and SPA gateway per test).
Screenshots go to /tmp/cnn101-spa/study-*.png.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from evaluation.items.bank import DEFAULT_ITEMS
from tests.serving.browser import Contexts, shot
from tests.serving.conftest import StudySite, log_in


def test_item_bank_edit_import_export(
    study_site: StudySite, people: Contexts, tmp_path: Path
) -> None:
    """Built-in items are read-only; import and edit one's own item (in place while unused);
    refuse a broken CSV whole; import an export back; once a study used the item, an edit
    makes version 2, which the bank shows and the open study does not get."""
    page = people.page(1280, 720)
    log_in(page, study_site)
    page.get_by_role("button", name="Item bank").click()
    rows = page.locator(".items-table tbody tr")
    expect(rows).to_have_count(len(DEFAULT_ITEMS))
    _built_in_is_read_only(page)

    own = tmp_path / "mine.json"
    own.write_text(json.dumps({"items": [MINE]}), encoding="utf-8")
    page.get_by_label("Import JSON or CSV…").set_input_files(str(own))
    expect(page.get_by_role("status")).to_contain_text("Imported mine.json: 1 new")
    expect(rows).to_have_count(len(DEFAULT_ITEMS) + 1)
    page.get_by_role("button", name="Edit MINE14").click()
    editor = page.get_by_role("form", name="Edit item MINE14")
    editor.get_by_label("Explanation").fill("Edited in the dashboard: max(0, -3) = 0.")
    editor.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("status")).to_have_text("Saved MINE14.")
    expect(page.get_by_test_id("version-MINE14")).to_have_text("1")
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    exported = httpx.get(
        study_site.url + "/api/instructor/items/export.json", cookies=cookies
    ).json()
    by_key = {item["key"]: item for item in exported["items"]}
    assert by_key["MINE14"]["explanation"] == "Edited in the dashboard: max(0, -3) = 0."

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
    expect(rows).to_have_count(len(DEFAULT_ITEMS) + 1)
    shot(page, "study-instructor-items")

    # A study opens with the item's version 1; editing it then makes version 2 (the bank
    # shows it), and the open study keeps version 1.
    api = httpx.Client(base_url=study_site.url, cookies=cookies)
    study = _open_study(api)
    version_1 = next(i for i in api.get("/api/instructor/items").json() if i["key"] == "MINE14")
    page.reload()
    page.get_by_role("button", name="Item bank").click()
    expect(page.get_by_test_id("version-MINE14")).to_have_text("1 (in use)")
    page.get_by_role("button", name="Edit MINE14").click()
    editor = page.get_by_role("form", name="Edit item MINE14")
    expect(editor.get_by_test_id("new-version-note")).to_contain_text("version 2")
    editor.get_by_label("Question").fill("What is ReLU(-4)?")
    editor.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("status")).to_contain_text("Saved MINE14 as version 2")
    expect(page.get_by_test_id("version-MINE14")).to_have_text("2")
    expect(rows).to_have_count(len(DEFAULT_ITEMS) + 1)
    expect(page.get_by_role("button", name="Edit A01")).to_have_count(0)
    _student_gets_version_1(study_site.url, study["join_code"], version_1["id"])
    shot(page, "study-instructor-items-versions")


def _built_in_is_read_only(page: Page) -> None:
    """Built-in: owned by nobody, read-only for everyone (no Edit, the reason on hover)."""
    expect(page.get_by_test_id("owner-A01")).to_have_text("built-in")
    expect(page.get_by_test_id("version-A01")).to_have_text("1")
    expect(page.get_by_test_id("locked-A01")).to_have_text("Read-only")
    expect(page.get_by_role("button", name="Edit A01")).to_have_count(0)


def _open_study(api: httpx.Client) -> dict[str, Any]:
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
    opened = api.post(f"/api/instructor/studies/{created.json()['id']}/open")
    assert opened.status_code == 200, opened.text
    study: dict[str, Any] = opened.json()
    return study


def _student_gets_version_1(url: str, join_code: str, version_1: int) -> None:
    """A student of the open study sees the version it opened with (on form A)."""
    student = httpx.post(url + "/api/student/join", json={"code": join_code})
    assert student.status_code == 201, student.text
    headers = {"Authorization": f"Bearer {student.json()['token']}"}
    body = {"choice": "participate", "prior_ml": False}
    consented = httpx.post(url + "/api/student/consent", json=body, headers=headers)
    assert consented.status_code == 204, consented.text
    view = httpx.post(url + "/api/student/phases/pre/start", headers=headers).json()
    if view["form"] == "A":
        stems = {item["id"]: item["stem"] for item in view["items"]}
        assert stems[version_1] == "What is ReLU(-3)?"


MINE = {
    "key": "MINE14",
    "form": "A",
    "position": 24,
    "concept": "relu",
    "stem": "What is ReLU(-3)?",
    "options": ["0", "-3", "3"],
    "correct_index": 0,
    "explanation": "ReLU keeps positive values and sets negative ones to 0.",
}
