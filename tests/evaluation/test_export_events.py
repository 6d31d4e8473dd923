"""The learning phase's interaction events, exported after closing (issue 18 part 3)."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from evaluation.export_events import EVENT_CODEBOOK, IN_MEMORY_BYTES
from tests.evaluation.conftest import instructor_client
from tests.evaluation.helpers import consent, create_open_study, join

BATCH = 200  # the service's default batch limit


def _send(client: TestClient, headers: dict[str, str], count: int, start: int = 0) -> None:
    for first in range(start, start + count, BATCH):
        events = [
            {
                "kind": "explorer.neuron_clicked",
                "client_time_ms": 1_700_000_000_000 + n,
                "payload": {"layer": "conv_1_1", "index": n % 10, "note": "=SUM(A1) ünïcode"},
            }
            for n in range(first, min(start + count, first + BATCH))
        ]
        response = client.post("/api/student/events", json={"events": events}, headers=headers)
        assert response.status_code == 200, response.text


def test_events_are_exported_once_closed_as_csv_and_json(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    base = f"/api/instructor/studies/{study['id']}/export"
    first, second = join(client, study["join_code"]), join(client, study["join_code"])
    consent(client, first)
    consent(client, second)
    # Enough rows that the spooled export leaves memory for the disk (each row ~200 bytes).
    many = IN_MEMORY_BYTES // 150
    _send(client, first, many)
    _send(client, second, 3)
    # Not while the study is open: outcomes and raw data come after closing.
    refused = admin.get(f"{base}/events.csv")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "study_not_closed"
    assert admin.post(f"/api/instructor/studies/{study['id']}/close").status_code == 200

    as_csv = admin.get(f"{base}/events.csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert list(rows[0]) == list(EVENT_CODEBOOK)
    assert len(rows) == many + 3
    assert len({row["participant"] for row in rows}) == 2
    assert json.loads(rows[0]["payload"]) == {
        "index": 0,
        "layer": "conv_1_1",
        "note": "=SUM(A1) ünïcode",
    }
    per_student: dict[str, list[int]] = {}
    for row in rows:
        per_student.setdefault(row["participant"], []).append(int(row["client_time_ms"]))
    assert sorted(len(times) for times in per_student.values()) == [3, many]
    # Each student's events in the order they were sent.
    assert all(times == sorted(times) for times in per_student.values())

    as_json = admin.get(f"{base}/events.json").json()
    assert as_json["codebook"] == EVENT_CODEBOOK
    assert len(as_json["rows"]) == many + 3
    assert as_json["rows"][0]["payload"]["layer"] == "conv_1_1"
    assert admin.get(f"{base}/codebook").json()["events"] == EVENT_CODEBOOK
    # Events cannot be added once closed, so the export cannot change.
    _late = client.post(
        "/api/student/events",
        json={"events": [{"kind": "late", "client_time_ms": 1, "payload": {}}]},
        headers=first,
    )
    assert _late.status_code == 409
    assert len(admin.get(f"{base}/events.json").json()["rows"]) == many + 3


def test_no_session_no_events(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    assert admin.post(f"/api/instructor/studies/{study['id']}/close").status_code == 200
    client.cookies.clear()
    assert client.get(f"/api/instructor/studies/{study['id']}/export/events.csv").status_code == 401
