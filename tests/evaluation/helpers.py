"""Steps of the student flow and the instructor's set-up, shared by the tests."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from evaluation.items.bank import DEFAULT_ITEMS

CORRECT = {(item.form, item.position): item.correct_index for item in DEFAULT_ITEMS}


def create_open_study(admin: TestClient, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "CNN 101 study",
        "consent_text": "You may take part; your answers are stored pseudonymously.",
        "learning_seconds": 600,
        "pre_test_seconds": 300,
        "post_test_seconds": 300,
        **fields,
    }
    created = admin.post("/api/instructor/studies", json=body)
    assert created.status_code == 201, created.text
    opened = admin.post(f"/api/instructor/studies/{created.json()['id']}/open")
    assert opened.status_code == 200, opened.text
    study: dict[str, Any] = opened.json()
    return study


def join(client: TestClient, code: str) -> dict[str, str]:
    response = client.post("/api/student/join", json={"code": code})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def consent(client: TestClient, headers: dict[str, str], prior_ml: bool = False) -> None:
    response = client.post(
        "/api/student/consent",
        json={"choice": "participate", "prior_ml": prior_ml},
        headers=headers,
    )
    assert response.status_code == 204, response.text


def start(client: TestClient, headers: dict[str, str], phase: str) -> dict[str, Any]:
    response = client.post(f"/api/student/phases/{phase}/start", headers=headers)
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def answer_items(
    client: TestClient, headers: dict[str, str], view: dict[str, Any], n_correct: int
) -> None:
    """Answer every item of a quiz view, the first ``n_correct`` of them correctly."""
    for number, item in enumerate(view["items"]):
        correct = CORRECT.get((view["form"], item["position"]), 0)  # 0: an imported item
        choice = correct if number < n_correct else (correct + 1) % len(item["options"])
        response = client.post(
            "/api/student/answers",
            json={
                "submission_id": uuid.uuid4().hex,
                "phase": view["phase"],
                "item_id": item["id"],
                "choice_index": choice,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text


def finish(client: TestClient, headers: dict[str, str], phase: str) -> None:
    response = client.post(f"/api/student/phases/{phase}/finish", headers=headers)
    assert response.status_code == 200, response.text


def state(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/student/state", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
