"""Steps of the student flow and the instructor's set-up, shared by the tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from evaluation.items.bank import DEFAULT_ITEMS

CORRECT = {(item.form, item.position): item.correct_index for item in DEFAULT_ITEMS}
# Built-in items on each form (16 since issue 18 part 5): tests count with this, not a literal.
ITEMS_PER_FORM = len(DEFAULT_ITEMS) // 2


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


def answer(
    client: TestClient, headers: dict[str, str], phase: str, item_id: int, choice_index: int = 0
) -> httpx.Response:
    """One quiz answer with a new submission id; the service's response, unchecked."""
    response: httpx.Response = client.post(
        "/api/student/answers",
        json={
            "submission_id": uuid.uuid4().hex,
            "phase": phase,
            "item_id": item_id,
            "choice_index": choice_index,
        },
        headers=headers,
    )
    return response


def answer_items(
    client: TestClient, headers: dict[str, str], view: dict[str, Any], n_correct: int
) -> None:
    """Answer every item of a quiz view, the first ``n_correct`` of them correctly."""
    for number, item in enumerate(view["items"]):
        correct = CORRECT.get((view["form"], item["position"]), 0)  # 0: an imported item
        choice = correct if number < n_correct else (correct + 1) % len(item["options"])
        response = answer(client, headers, view["phase"], item["id"], choice)
        assert response.status_code == 200, response.text


def finish(client: TestClient, headers: dict[str, str], phase: str) -> None:
    response = client.post(f"/api/student/phases/{phase}/finish", headers=headers)
    assert response.status_code == 200, response.text


def state(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/student/state", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_design_2_allocation(participants: list[Any], seed: int) -> None:
    """The allocation is exactly the seed's permuted-block sequences of design 2
    (evaluation/assignment.py): form orders per prior-ML group, conditions per stratum and
    form order, every sequence's slots 0, 1, 2, ... without gaps."""
    from collections import Counter

    from evaluation.assignment import block_sequence
    from evaluation.models import CONDITIONS, FORM_ORDERS

    for group in (True, False):
        members = sorted(
            (p for p in participants if p.prior_ml is group), key=lambda p: p.form_slot
        )
        sequence = "ml_yes" if group else "ml_no"
        assert [p.form_slot for p in members] == list(range(len(members)))
        expected = block_sequence(seed, "form_order", sequence, FORM_ORDERS, len(members))
        assert [p.form_order for p in members] == expected, sequence
    assigned = [p for p in participants if p.condition is not None]
    for key in {(p.stratum, p.form_order) for p in assigned}:
        members = sorted(
            (p for p in assigned if (p.stratum, p.form_order) == key),
            key=lambda p: p.condition_slot,
        )
        assert [p.condition_slot for p in members] == list(range(len(members)))
        sequence = f"{key[0]}|{key[1]}"
        expected = block_sequence(seed, "condition", sequence, CONDITIONS, len(members))
        assert [p.condition for p in members] == expected, sequence
    for stratum in {p.stratum for p in assigned}:
        arms = Counter(p.condition for p in assigned if p.stratum == stratum)
        # Two sequences of blocks of at most 4 (one per form order): at most 4 apart.
        assert abs(arms["cnn101"] - arms["conventional"]) <= 4, (stratum, arms)
