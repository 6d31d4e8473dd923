"""Owners in the model studio: instructor B cannot act on instructor A's models and jobs;
the admin (the study's first instructor) can; every act and refusal is in the audit log.

Run against the real studio and the real study service (tests/studio/conftest.py), on
SQLite and on the shared PostgreSQL database, where the admin is whoever came first.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.studio.conftest import RecordingQueue, Studio, write_model

TRAIN: dict[str, Any] = {
    "title": "Net",
    "dataset": "builtin",
    "blocks": 2,
    "convs_per_block": 1,
    "filters": 4,
    "kernel_size": 3,
    "input_size": 32,
    "epochs": 2,
}


def admin(studio: Studio) -> httpx.Client:
    return studio.admin()


def train(client: httpx.Client, name: str) -> httpx.Response:
    return client.post("/api/studio/models/train", json={**TRAIN, "name": name})


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_b_cannot_add_versions_to_publish_or_cancel_a_s_models(
    studio: Studio, queue: RecordingQueue, models_dir: Path
) -> None:
    the_admin = admin(studio)
    a, b = studio.signed_in(), studio.signed_in()
    name = f"a_net_{uuid.uuid4().hex[:6]}"
    first = train(a, name)
    assert first.status_code == 202 and first.json()["owner_id"] is not None
    job_id = first.json()["job_id"]
    # B may not queue a new version under A's name, by training or by import.
    refused(train(b, name), 403, "not_your_model")
    imported = b.post(
        "/api/studio/models/import",
        data={"name": name},
        files=[("files", ("model.keras", b"x", "application/octet-stream"))],
    )
    refused(imported, 403, "not_your_model")
    # B neither sees nor cancels A's job; it does not exist for B.
    refused(b.get(f"/api/studio/jobs/{job_id}"), 404, "unknown_job")
    refused(b.post(f"/api/studio/jobs/{job_id}/cancel"), 404, "unknown_job")
    assert job_id not in [j["job_id"] for j in b.get("/api/studio/jobs").json()["jobs"]]
    assert job_id in [j["job_id"] for j in a.get("/api/studio/jobs").json()["jobs"]]
    assert job_id in [j["job_id"] for j in the_admin.get("/api/studio/jobs").json()["jobs"]]
    assert len(queue.sent) == 1

    # Once A's model is in the folder, only A (and the admin) may publish it.
    write_model(models_dir, name, 1, title="A's net", source="trained")
    publish = f"/api/studio/models/{name}/published"
    refused(b.put(publish, json={"published": True}), 403, "not_your_model")
    by_name = {m["name"]: m for m in b.get("/api/studio/models").json()["models"]}
    assert by_name[name]["may_manage"] is False and by_name[name]["published"] is False
    assert a.put(publish, json={"published": True}).json()["published"] is True
    assert the_admin.put(publish, json={"published": False}).json()["published"] is False
    mine = {m["name"]: m for m in a.get("/api/studio/models").json()["models"]}
    assert mine[name]["may_manage"] is True and mine["tiny_vgg"]["may_manage"] is False
    cancelled = the_admin.post(f"/api/studio/jobs/{job_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"


def test_a_folder_nobody_owns_is_the_admin_s(
    studio: Studio, queue: RecordingQueue, models_dir: Path
) -> None:
    """A model trained before owners existed (or from the command line) has no owner."""
    the_admin, teacher = admin(studio), studio.signed_in()
    name = f"legacy_{uuid.uuid4().hex[:6]}"
    write_model(models_dir, name, 1, title="Old", source="trained")
    refused(train(teacher, name), 403, "not_your_model")
    publish = f"/api/studio/models/{name}/published"
    refused(teacher.put(publish, json={"published": True}), 403, "not_your_model")
    published = the_admin.put(publish, json={"published": True})
    assert published.status_code == 200 and published.json()["owner_id"] is not None
    assert queue.sent == []


def test_the_admin_reads_what_was_done_and_refused(studio: Studio, queue: RecordingQueue) -> None:
    the_admin = admin(studio)
    a, b = studio.signed_in(), studio.signed_in()
    name = f"logged_{uuid.uuid4().hex[:6]}"
    job_id = train(a, name).json()["job_id"]
    train(b, name)
    b.post(f"/api/studio/jobs/{job_id}/cancel")
    a.post(f"/api/studio/jobs/{job_id}/cancel")
    for path in ("/api/studio/audit", "/api/studio/audit.csv"):
        refused(a.get(path), 403, "admin_only")
        refused(studio.anonymous.get(path), 401, "not_authenticated")
    entries = the_admin.get("/api/studio/audit", params={"limit": 500}).json()["entries"]
    ours = [
        (e["action"], e["outcome"], e["target"])
        for e in reversed(entries)
        if e["target"] in (name, f"job {job_id}")
    ]
    assert ours == [
        ("model.train", "ok", name),
        ("model.train", "refused", name),
        ("job.cancel", "refused", f"job {job_id}"),
        ("job.cancel", "ok", f"job {job_id}"),
    ]
    assert all(e["client"] == "127.0.0.1" for e in entries if e["target"] == name)
    assert entries[0]["actor"] is not None and entries[0]["actor_id"] is not None
    exported = the_admin.get("/api/studio/audit.csv")
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["action"] for r in rows} >= {"model.train", "job.cancel"}


def test_a_shared_model_is_managed_by_the_colleagues_it_is_shared_with(
    studio: Studio, queue: RecordingQueue, models_dir: Path
) -> None:
    a, b, c = studio.signed_in(), studio.signed_in(), studio.signed_in()
    ids = {
        name: httpx.get(f"{studio.study_url}/api/instructor/me", cookies=client.cookies).json()[
            "id"
        ]
        for name, client in (("a", a), ("b", b), ("c", c))
    }
    colleagues = httpx.get(f"{studio.study_url}/api/instructor/colleagues", cookies=a.cookies)
    assert {ids["b"], ids["c"]} <= {x["id"] for x in colleagues.json()}
    assert ids["a"] not in {x["id"] for x in colleagues.json()}
    name = f"shared_{uuid.uuid4().hex[:6]}"
    assert train(a, name).status_code == 202
    write_model(models_dir, name, 1, title="Ours", source="trained")
    shares = f"/api/studio/models/{name}/shares"
    refused(b.put(shares, json={"instructor_ids": [ids["b"]]}), 403, "not_your_model")
    shared = a.put(shares, json={"instructor_ids": [ids["b"], ids["a"]]})
    assert shared.status_code == 200, shared.text
    assert shared.json()["shared_with"] == [ids["b"]]  # the owner is not "shared with"
    # B may now publish it and add a version; B may not share it further; C may do nothing.
    publish = f"/api/studio/models/{name}/published"
    assert b.put(publish, json={"published": True}).json()["published"] is True
    a.post(f"/api/studio/jobs/{a.get('/api/studio/jobs').json()['jobs'][0]['job_id']}/cancel")
    assert train(b, name).status_code == 202
    refused(b.put(shares, json={"instructor_ids": [ids["c"]]}), 403, "not_your_model")
    refused(c.put(publish, json={"published": False}), 403, "not_your_model")
    seen_by = {m["name"]: m for m in b.get("/api/studio/models").json()["models"]}[name]
    assert (seen_by["may_manage"], seen_by["may_share"]) == (True, False)
    # Withdrawing the share withdraws the rights.
    assert a.put(shares, json={"instructor_ids": []}).json()["shared_with"] == []
    refused(b.put(publish, json={"published": False}), 403, "not_your_model")
    refused(a.put(shares, json={"instructor_ids": [0]}), 422, "invalid_request")
