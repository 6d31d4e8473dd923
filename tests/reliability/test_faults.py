"""Break each part of the running platform while students work, and watch what they see.

The platform runs as processes (tests/reliability/platform.py). Students are asyncio
clients that keep answering quiz items (retrying with the same ``submission_id``, replaying
answers already acknowledged), opening example activations and uploading new pictures,
all pinned to model version 1. Meanwhile the test kills with SIGKILL and restarts Redis,
the inference service, the activation-cache service, the worker and the evaluation
service, and cuts and restores PostgreSQL. PostgreSQL is the machine's shared server, which
a test must not kill: evaluation reaches it through a TCP proxy the test owns, and cutting
the proxy (every connection reset, new ones refused) stands in for the database dying.

Every response a student gets is a correct result (version 1, the requested image) or a
503 with ``Retry-After``; nothing hangs; every acknowledged answer is stored exactly once;
and the platform recovers by itself after each part comes back. Version 2 appearing
mid-session does not change what a student pinned to version 1 sees.
"""

from __future__ import annotations

import asyncio
import functools
import io
import random
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from PIL import Image
from sqlalchemy import select

from evaluation.models import Answer, Participant
from tests.evaluation.conftest import db_session
from tests.reliability.conftest import boot_platform
from tests.reliability.platform import ProcessPlatform
from tests.reliability.test_access import login, open_study

STUDENTS = 4
DOWN_SECONDS = 3.0
RECOVERY_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path
) -> Iterator[ProcessPlatform]:
    """A platform of this module's own, since these tests break it."""
    running = boot_platform(tmp_path_factory.mktemp("faults"), real_data_dir)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Log:
    """Everything the students saw."""

    statuses: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    acknowledged: dict[str, tuple[int, int]] = field(default_factory=dict)  # id: item, choice
    expected_answers: int = 0

    def saw(self, kind: str, response: httpx.Response) -> None:
        self.statuses[f"{kind} {response.status_code}"] += 1
        if response.status_code == 503:
            if not response.headers.get("retry-after", "").isdigit():
                self.violations.append(f"{kind}: 503 without Retry-After")
        elif response.status_code != 200:
            self.violations.append(f"{kind}: {response.status_code} {response.text[:200]}")


def random_png(rng: random.Random) -> bytes:
    pixels = np.random.default_rng(rng.randrange(2**32)).integers(0, 256, (48, 48, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def check_bundle(kind: str, response: httpx.Response, log: Log, digest: str | None) -> None:
    """A 200 bundle must be version 1's, for the image asked for."""
    if response.status_code != 200:
        return
    bundle = activations_pb2.ActivationBundle.FromString(response.content)
    if response.headers["x-model-version"] != "1" or bundle.model_version != 1:
        log.violations.append(f"{kind}: version {bundle.model_version} served to a pinned view")
    if digest is not None and bundle.image_digest != digest:
        log.violations.append(f"{kind}: another image's bundle")


async def student(
    base: str, join_code: str, examples: list[dict[str, str]], log: Log, stop: asyncio.Event
) -> None:
    rng = random.Random(join_code)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (await client.post("/api/student/join", json={"code": join_code})).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        consent = {"choice": "participate", "prior_ml": False}
        assert (await client.post("/api/student/consent", json=consent)).status_code == 204
        items = (await client.post("/api/student/phases/pre/start")).json()["items"]
        log.expected_answers += len(items)
        pending = [(f"{token[:12]}-{item['id']}", item["id"], rng.randrange(4)) for item in items]
        mine: dict[str, tuple[int, int]] = {}
        while not stop.is_set() or pending:
            await asyncio.sleep(rng.uniform(0.1, 0.4))
            try:
                await one_step(client, rng, pending=pending, mine=mine, examples=examples, log=log)
            except httpx.TransportError as error:  # the gateway never goes away: a hang
                log.violations.append(f"transport error {type(error).__name__}")
            if stop.is_set() and pending:
                await asyncio.sleep(0.5)


async def one_step(
    client: httpx.AsyncClient,
    rng: random.Random,
    *,
    pending: list[tuple[str, int, int]],
    mine: dict[str, tuple[int, int]],
    examples: list[dict[str, str]],
    log: Log,
) -> None:
    action = rng.randrange(4)
    if action == 0 and (pending or mine):
        # The next answer, or a replay of one of this student's acknowledged answers.
        submission, item, choice = (
            pending[0] if pending else rng.choice([(k, *v) for k, v in mine.items()])
        )
        body = {
            "submission_id": submission,
            "phase": "pre",
            "item_id": item,
            "choice_index": choice,
        }
        response = await client.post("/api/student/answers", json=body)
        log.saw("answer", response)
        if response.status_code == 200:
            receipt = response.json()
            if (receipt["item_id"], receipt["choice_index"]) != (item, choice):
                log.violations.append(f"answer: receipt {receipt} for {body}")
            log.acknowledged[submission] = mine[submission] = (item, choice)
            if pending and pending[0][0] == submission:
                pending.pop(0)
    elif action == 1:
        example = rng.choice(examples)
        response = await client.get(f"/api/examples/{example['id']}/activations?version=1")
        log.saw("example", response)
        check_bundle("example", response, log, example["digest"])
    elif action == 2:
        example = rng.choice(examples)
        url = f"/api/models/tiny_vgg/versions/1/activations/{example['digest']}"
        response = await client.get(url)
        if response.status_code == 404:  # not computed yet: the browser asks by example
            return
        log.saw("bundle", response)
        check_bundle("bundle", response, log, example["digest"])
    else:
        files = {"file": ("photo.png", random_png(rng), "image/png")}
        response = await client.post("/api/activations?version=1", files=files)
        log.saw("upload", response)
        check_bundle("upload", response, log, None)


def upload_works(platform: ProcessPlatform) -> bool:
    files = {"file": ("p.png", random_png(random.Random()), "image/png")}
    response = httpx.post(f"{platform.gateway_url}/api/activations", files=files, timeout=10)
    return response.status_code == 200


def study_works(platform: ProcessPlatform) -> bool:
    return httpx.get(f"{platform.evaluation_url}/health", timeout=5).status_code == 200


def cache_works(platform: ProcessPlatform) -> bool:
    ready = httpx.get(f"{platform.gateway_url}/health/ready", timeout=5).json()
    return bool(ready["checks"]["cache"] == "ok") and upload_works(platform)


def worker_works(platform: ProcessPlatform) -> bool:
    started = httpx.post(
        f"{platform.gateway_url}/api/models/tiny_vgg/versions/1/warm", timeout=10
    ).json()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = httpx.get(f"{platform.gateway_url}{started['status_url']}", timeout=5).json()
        if state["state"] == "SUCCESS":
            return True
        time.sleep(0.2)
    return False


PROBES: dict[str, Callable[[ProcessPlatform], bool]] = {
    "redis": cache_works,
    "inference": upload_works,
    "activations": upload_works,
    "worker": worker_works,
    "evaluation": study_works,
    "postgresql": study_works,
}


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def break_everything(
    platform: ProcessPlatform, recovery: dict[str, tuple[float, float]], stop: asyncio.Event
) -> None:
    """Kill and restart each part in turn; per part, the seconds from the restart until it
    listens again, and from then until students' requests through it succeed."""
    await asyncio.sleep(3)
    for part, probe in PROBES.items():
        if part == "postgresql":
            assert platform.proxy is not None
            platform.proxy.cut()
        else:
            await asyncio.to_thread(platform.kill, part)
        await asyncio.sleep(DOWN_SECONDS)
        if part == "postgresql":
            assert platform.proxy is not None
            platform.proxy.restore()
        else:
            platform.start(part)
        port = platform.ports.get(part)
        back = 0.0
        if port is not None:
            back = await asyncio.to_thread(
                platform.seconds_until,
                f"{part} listens again",
                functools.partial(port_open, port),
                RECOVERY_TIMEOUT,
            )
        works = await asyncio.to_thread(
            platform.seconds_until,
            f"{part} works again",
            functools.partial(probe, platform),
            RECOVERY_TIMEOUT,
        )
        recovery[part] = (round(back, 1), round(works, 1))
        if part == "inference":
            platform.add_model_version(2)  # a training run publishes a new version
        await asyncio.sleep(2)
    stop.set()


def test_students_see_results_or_503s_and_no_answer_is_lost(broken: ProcessPlatform) -> None:
    admin = httpx.Client(base_url=broken.gateway_url, timeout=30)
    study = open_study(admin, login(admin, broken.database_url), pre_test_seconds=7200)
    examples = admin.get("/api/examples").json()["examples"][:20]
    log = Log()
    recovery: dict[str, tuple[float, float]] = {}

    async def session() -> None:
        stop = asyncio.Event()
        await asyncio.gather(
            break_everything(broken, recovery, stop),
            *(
                student(broken.gateway_url, str(study["join_code"]), examples, log, stop)
                for _ in range(STUDENTS)
            ),
        )

    started = time.monotonic()
    asyncio.run(asyncio.wait_for(session(), timeout=600))
    print(
        f"\nfaults: {sum(log.statuses.values())} requests in {time.monotonic() - started:.0f} s,"
        f" by kind and status {dict(sorted(log.statuses.items()))};"
        f" seconds (restart to listening, listening to working): {recovery}"
    )
    assert Counter(log.violations) == Counter()
    assert sum(n for key, n in log.statuses.items() if key.endswith(" 503")) > 0
    newest = admin.get("/api/models/tiny_vgg").json()
    assert newest["version"] == 2  # the new version is there, yet pinned views kept 1

    with db_session(broken.database_url) as db:
        rows = db.execute(
            select(Answer.submission_id, Answer.item_id, Answer.choice_index)
            .join(Participant, Participant.id == Answer.participant_id)
            .where(Participant.study_id == study["id"])
        ).all()
    stored = {row.submission_id: (row.item_id, row.choice_index) for row in rows}
    assert len(rows) == len(stored)  # no submission twice
    assert stored == log.acknowledged  # every acknowledged answer, nothing else
    assert len(rows) == log.expected_answers  # every item of every student's form


def test_job_endpoints_answer_503_while_redis_is_down(broken: ProcessPlatform) -> None:
    """Jobs are queued and followed through Redis: with Redis away, starting one or asking
    for its state is a 503, not a 500 (or a 20 s wait); and the gateway's queue client
    works again once Redis is back, without a restart."""
    broken.kill("redis")
    try:
        status = httpx.get(f"{broken.gateway_url}/api/tasks/some-task", timeout=30)
        assert status.status_code == 503, status.text
        assert status.headers["retry-after"].isdigit()
        assert status.json()["error"]["code"] == "queue_unavailable"
        warm = httpx.post(f"{broken.gateway_url}/api/models/tiny_vgg/versions/1/warm", timeout=30)
        assert warm.status_code == 503, warm.text
        assert warm.headers["retry-after"].isdigit()
    finally:
        broken.start("redis")
    broken.seconds_until("warm-ups run again", functools.partial(worker_works, broken), 60)
