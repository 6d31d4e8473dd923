"""A class of 200 takes the whole study at once against a real server on PostgreSQL.

The server is its own process (as in service), so it and the 200 simulated students use
both cores. Every student joins, consents, starts the pre-test twice at once, answers
(the first answer of each test sent twice at once, as a retrying network would), asks
for the assignment twice at once, learns for a second, takes the post-test and the
questionnaire. Then the database must hold every answer once, one attempt per phase, and
in each stratum exactly the seed's block sequence.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from evaluation.models import Answer, Participant, PhaseAttempt
from tests.evaluation.conftest import PASSWORD, PostgresDatabases, db_session, new_instructor
from tests.evaluation.helpers import CORRECT, ITEMS_PER_FORM, check_design_2_allocation
from tests.evaluation.test_concurrent_assignment import free_port

CLASS_SIZE = 200
SEED = 424242


@pytest.fixture(scope="module")
def server(postgres: PostgresDatabases) -> Iterator[tuple[str, str]]:
    """``uvicorn`` serving the app factory in a process of its own, on a fresh database."""
    url = postgres.create()
    port = free_port()
    env = os.environ | {
        "CNN101_EVALUATION_DATABASE_URL": url,
        "CNN101_EVALUATION_SECRET_KEY": "test-only-secret-key-0123456789abcdef",
        "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
    }
    command = [sys.executable, "-m", "uvicorn", "evaluation.app:create_app", "--factory"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    # Students idle for seconds between requests keep their connections, as browsers do.
    command += ["--timeout-keep-alive", "120"]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server exited"
            asyncio.run(asyncio.sleep(0.1))
        else:
            pytest.fail("the server did not start")
        yield base, url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _student(client: httpx.AsyncClient, code: str, number: int) -> dict[str, Any]:
    joined = await client.post("/api/student/join", json={"code": code})
    assert joined.status_code == 201, joined.text
    auth = {"Authorization": f"Bearer {joined.json()['token']}"}

    async def post(path: str, copies: int = 1, **kw: Any) -> httpx.Response:
        replies = await asyncio.gather(
            *(client.post(path, headers=auth, **kw) for _ in range(copies))
        )
        for reply in replies:
            assert reply.status_code < 300, (path, reply.text)
        # The same reply each time (bar the countdown, which moves between the two).
        bodies = [{**reply.json(), "seconds_left": None} for reply in replies if reply.content]
        assert all(body == bodies[0] for body in bodies), path
        return replies[0]

    await post("/api/student/consent", json={"choice": "participate", "prior_ml": number % 3 == 0})
    for phase, n_correct in (("pre", number % 14), ("post", (number * 7) % 14)):
        if phase == "post":
            await asyncio.sleep(1.05)  # the learning phase lasts one second
        view = (await post(f"/api/student/phases/{phase}/start", copies=2)).json()
        for position, item in enumerate(view["items"]):
            correct = CORRECT[(view["form"], item["position"])]
            body = {
                "submission_id": f"c{number}-{phase}-{item['id']}",
                "phase": phase,
                "item_id": item["id"],
                "choice_index": correct if position < n_correct else (correct + 1) % 4,
            }
            await post("/api/student/answers", copies=2 if position == 0 else 1, json=body)
        await post(f"/api/student/phases/{phase}/finish")
        if phase == "pre":
            assignment = (await post("/api/student/assignment", copies=2)).json()
            await post("/api/student/phases/learning/start")
    await post(
        "/api/student/questionnaire",
        json={"umux_capabilities": 5, "umux_ease": 6, "mental_effort": 3},
    )
    outcome = (await client.get("/api/student/outcome", headers=auth)).json()
    return {"number": number, "outcome": outcome, "assignment": assignment}


def test_a_class_of_200_runs_the_whole_study_at_once(server: tuple[str, str]) -> None:
    base, url = server
    email = new_instructor(url)
    with httpx.Client(base_url=base, timeout=60) as admin:
        admin.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
        study = admin.post(
            "/api/instructor/studies",
            json={
                "title": "class of 200",
                "consent_text": "ok",
                "learning_seconds": 1,
                "assignment_seed": SEED,
            },
        ).json()
        assert admin.post(f"/api/instructor/studies/{study['id']}/open").status_code == 200

    async def run_class() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=180) as client:
            return await asyncio.gather(
                *(_student(client, study["join_code"], n) for n in range(CLASS_SIZE))
            )

    finished = asyncio.run(run_class())
    assert sorted(f["outcome"]["pre_score"] for f in finished) == sorted(
        n % 14 for n in range(CLASS_SIZE)
    )
    with db_session(url) as session:
        participants = list(
            session.scalars(select(Participant).where(Participant.study_id == study["id"]))
        )
        ids = [p.id for p in participants]
        answers = session.scalars(select(Answer).where(Answer.participant_id.in_(ids))).all()
        attempts = session.scalars(
            select(PhaseAttempt).where(PhaseAttempt.participant_id.in_(ids))
        ).all()
    assert len(participants) == CLASS_SIZE
    assert all(p.completed_at is not None for p in participants)
    # Every answer stored once: both forms per student, retries not counted, none lost.
    assert len(answers) == CLASS_SIZE * 2 * ITEMS_PER_FORM
    assert (
        len({(a.participant_id, a.item_id, a.phase) for a in answers})
        == CLASS_SIZE * 2 * ITEMS_PER_FORM
    )
    # One attempt per phase: nobody has two pre-tests.
    phases = Counter((a.participant_id, a.phase) for a in attempts)
    assert len(phases) == CLASS_SIZE * 3 and set(phases.values()) == {1}
    # The allocation is the seed's permuted-block sequences exactly (design 2).
    assert len(Counter(p.stratum for p in participants)) >= 4
    check_design_2_allocation(participants, SEED)
    # What each student was told is what was stored.
    told = Counter(f["assignment"]["condition"] for f in finished)
    assert told == Counter(p.condition for p in participants)
