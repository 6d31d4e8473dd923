"""A real server on PostgreSQL: forty simultaneous assignments, a class running at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from evaluation.app import create_app
from evaluation.models import CONDITIONS, Answer, Participant, PhaseAttempt
from tests.evaluation.conftest import (
    PASSWORD,
    PostgresDatabases,
    db_session,
    make_settings,
    new_instructor,
)
from tests.evaluation.helpers import CORRECT, ITEMS_PER_FORM, check_design_2_allocation

STUDENTS = 40
SEED = 20200425


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(postgres: PostgresDatabases) -> Iterator[tuple[str, str]]:
    """uvicorn serving the app on a free port over a fresh PostgreSQL database."""
    url = postgres.create()
    port = free_port()
    config = uvicorn.Config(
        create_app(make_settings(url)), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", url
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


async def _simultaneously(
    base: str, method: str, path: str, tokens: list[str], **kw: object
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=STUDENTS, max_keepalive_connections=STUDENTS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        return await asyncio.gather(
            *(
                client.request(method, path, headers={"Authorization": f"Bearer {t}"}, **kw)  # type: ignore[arg-type]
                for t in tokens
            )
        )


def test_forty_simultaneous_assignments_follow_the_block_sequence(server: tuple[str, str]) -> None:
    base, url = server
    email = new_instructor(url)
    with httpx.Client(base_url=base, timeout=30) as admin:
        assert (
            admin.post(
                "/api/instructor/login", json={"email": email, "password": PASSWORD}
            ).status_code
            == 200
        )
        study = admin.post(
            "/api/instructor/studies",
            json={"title": "rush", "consent_text": "ok", "assignment_seed": SEED},
        ).json()
        assert admin.post(f"/api/instructor/studies/{study['id']}/open").status_code == 200
        tokens = [
            admin.post("/api/student/join", json={"code": study["join_code"]}).json()["token"]
            for _ in range(STUDENTS)
        ]
    consents = asyncio.run(
        _simultaneously(
            base,
            "POST",
            "/api/student/consent",
            tokens,
            json={"choice": "participate", "prior_ml": False},
        )
    )
    assert [r.status_code for r in consents] == [204] * STUDENTS
    for path in ("/api/student/phases/pre/start", "/api/student/phases/pre/finish"):
        responses = asyncio.run(_simultaneously(base, "POST", path, tokens))
        assert [r.status_code for r in responses] == [200] * STUDENTS
    # Every student scored 0: one stratum, so the allocation must be its sequence exactly.
    responses = asyncio.run(_simultaneously(base, "POST", "/api/student/assignment", tokens))
    assert [r.status_code for r in responses] == [200] * STUDENTS, [r.text for r in responses]
    assert {r.json()["stratum"] for r in responses} == {"low|ml_no"}

    with db_session(url) as session:
        participants = list(
            session.scalars(select(Participant).where(Participant.study_id == study["id"]))
        )
    check_design_2_allocation(participants, SEED)
    returned = {r.json()["condition"] for r in responses}
    assert returned == set(CONDITIONS)


CLASS_SIZE = 16


async def _student(client: httpx.AsyncClient, code: str, number: int) -> dict[str, object]:
    """One student's whole study, retrying some answers as a flaky network would."""
    token = (await client.post("/api/student/join", json={"code": code})).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    async def post(path: str, **kw: object) -> httpx.Response:
        response = await client.post(path, headers=auth, **kw)  # type: ignore[arg-type]
        assert response.status_code < 300, (path, response.text)
        return response

    await post("/api/student/consent", json={"choice": "participate", "prior_ml": number % 3 == 0})
    for phase, n_correct in (("pre", number % 13), ("post", (number * 5) % 14)):
        if phase == "post":
            await asyncio.sleep(1.05)  # the learning phase lasts one second
        view = (await post(f"/api/student/phases/{phase}/start")).json()
        for position, item in enumerate(view["items"]):
            correct = CORRECT[(view["form"], item["position"])]
            choice = correct if position < n_correct else (correct + 1) % 4
            body = {
                "submission_id": f"s{number}-{phase}-{item['id']}",
                "phase": phase,
                "item_id": item["id"],
                "choice_index": choice,
            }
            copies = 2 if position < 3 else 1  # the same submission sent twice at once
            replies = await asyncio.gather(
                *(post("/api/student/answers", json=body) for _ in range(copies))
            )
            assert len({reply.text for reply in replies}) == 1
        await post(f"/api/student/phases/{phase}/finish")
        if phase == "pre":
            await asyncio.gather(*(post("/api/student/assignment") for _ in range(2)))
            await post("/api/student/phases/learning/start")
    await post(
        "/api/student/questionnaire",
        json={"umux_capabilities": 5, "umux_ease": 6, "mental_effort": 3},
    )
    outcome = (await client.get("/api/student/outcome", headers=auth)).json()
    return {"pre": outcome["pre_score"], "post": outcome["post_score"], "n": number}


def test_a_class_runs_the_whole_study_at_once(server: tuple[str, str]) -> None:
    base, url = server
    email = new_instructor(url)
    with httpx.Client(base_url=base, timeout=30) as admin:
        admin.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
        study = admin.post(
            "/api/instructor/studies",
            json={"title": "class", "consent_text": "ok", "learning_seconds": 1},
        ).json()
        admin.post(f"/api/instructor/studies/{study['id']}/open")

    async def run_class() -> list[dict[str, object]]:
        limits = httpx.Limits(max_connections=CLASS_SIZE * 2)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            return await asyncio.gather(
                *(_student(client, study["join_code"], n) for n in range(CLASS_SIZE))
            )

    outcomes = asyncio.run(run_class())
    expected_pre = sorted(n % 13 for n in range(CLASS_SIZE))
    assert sorted(int(str(o["pre"])) for o in outcomes) == expected_pre
    with db_session(url) as session:
        participants = list(
            session.scalars(select(Participant).where(Participant.study_id == study["id"]))
        )
        ids = [p.id for p in participants]
        answers = session.scalars(select(Answer).where(Answer.participant_id.in_(ids))).all()
        attempts = session.scalars(
            select(PhaseAttempt).where(PhaseAttempt.participant_id.in_(ids))
        ).all()
    assert len(answers) == CLASS_SIZE * 2 * ITEMS_PER_FORM  # every answer once, retries not counted
    assert len(attempts) == CLASS_SIZE * 3  # one attempt per phase
    assert all(p.completed_at is not None for p in participants)
    strata = Counter(p.stratum for p in participants)
    for stratum in strata:
        arms = Counter(p.condition for p in participants if p.stratum == stratum)
        # One sequence per form order, blocks of at most 4: at most 4 apart in a stratum.
        assert abs(arms["cnn101"] - arms["conventional"]) <= 4, (stratum, arms)
    for group in (True, False):  # one form-order sequence per prior-ML group
        orders = Counter(p.form_order for p in participants if p.prior_ml is group)
        assert abs(orders["AB"] - orders["BA"]) <= 2, (group, orders)
