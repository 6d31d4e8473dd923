"""Data-set zips are checked off the studio's event loop, bounded before any decoding.

The measured attack: a 10 MB zip of 168 blank 4096x4096 PNGs was decoded in the request,
and every other request of the service waited 47 s. Here, against the real studio (under
uvicorn) and the real study service: the upload is answered at once, other requests are
served while a heavy zip is checked, a zip declaring too many pixels is refused from the
headers alone, a stopped service checks again what it left unchecked, and uploads beyond
the pending bound are turned away.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.database.engine import make_engine, make_session_factory
from services.pipeline.custom_data import DatasetLimits
from services.studio.dataset_checks import DatasetChecker
from services.studio.migrations import upgrade_database
from services.studio.models import StudioDataset
from tests.databases import FakeClock, db_session
from tests.serving.stack import GatewayThread
from tests.studio.conftest import checked
from tests.studio_stack import signed_in_client, start_studio, start_study, studio_settings
from tests.studio_zips import png_header_only, same_picture_zip, shapes_zip, solid_png

HEAVY = same_picture_zip(solid_png(4096), per_class=10)  # 335 M pixels, seconds to decode


@pytest.fixture
def study(sqlite_url: str) -> Iterator[GatewayThread]:
    server = start_study(sqlite_url)
    try:
        yield server
    finally:
        server.stop()


def studio(study: GatewayThread, url: str, **settings: object) -> GatewayThread:
    values: dict[str, object] = {
        "studio_min_images_per_class": 5,
        "studio_max_zip_bytes": 20 * 1024 * 1024,
        **settings,
    }
    return start_studio(studio_settings(url, study.url, **values))


def upload(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post("/api/studio/datasets", files={"file": ("set.zip", data, "application/zip")})


def test_a_zip_declaring_too_many_pixels_is_refused_from_its_headers(
    study: GatewayThread, sqlite_url: str
) -> None:
    """32 PNGs declaring 4096x4096 each (537 M pixels) whose pixels cannot be decoded: the
    refusal names the total, so no picture was decoded (a decode would fail otherwise)."""
    server = studio(study, sqlite_url)
    try:
        teacher = signed_in_client(study.url, sqlite_url, server.url)
        bomb = same_picture_zip(png_header_only(4096, 4096), per_class=16)
        assert len(bomb) < 10_000
        body = checked(teacher, upload(teacher, bomb))
        assert body["status"] == "invalid"
        assert "more than 500,000,000 pixels together" in body["error"], body
    finally:
        server.stop()


def test_other_requests_are_served_while_a_heavy_zip_is_checked(
    study: GatewayThread, sqlite_url: str
) -> None:
    server = studio(study, sqlite_url)
    try:
        teacher = signed_in_client(study.url, sqlite_url, server.url)
        checked(teacher, upload(teacher, shapes_zip(per_class=5)))  # the worker is started
        started = time.perf_counter()
        answer = upload(teacher, HEAVY)
        answered_in = time.perf_counter() - started
        assert answer.status_code == 202 and answer.json()["status"] == "checking"
        latencies: list[float] = []
        done = threading.Event()

        def follow() -> None:
            # The service's health, and a read of the database through the same session.
            with httpx.Client(base_url=server.url, cookies=teacher.cookies, timeout=30) as other:
                while not done.is_set():
                    for path in ("/health", "/api/studio/datasets"):
                        began = time.perf_counter()
                        assert other.get(path).status_code == 200
                        latencies.append(time.perf_counter() - began)
                    time.sleep(0.02)

        follower = threading.Thread(target=follow)
        follower.start()
        try:
            body = checked(teacher, answer, timeout=120)
        finally:
            done.set()
            follower.join()
        assert body["status"] == "ready" and body["images"] == 20, body
        assert len(latencies) >= 10  # the service kept answering during the check
        ordered = sorted(latencies)
        print(
            f"upload answered in {answered_in * 1000:.0f} ms; during the check "
            f"{len(ordered)} other requests: median {statistics.median(ordered) * 1000:.1f} ms,"
            f" p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.1f} ms,"
            f" max {ordered[-1] * 1000:.1f} ms"
        )
    finally:
        server.stop()


def test_uploads_beyond_the_pending_bound_are_turned_away(
    study: GatewayThread, sqlite_url: str
) -> None:
    server = studio(study, sqlite_url, studio_max_pending_checks=1)
    try:
        teacher = signed_in_client(study.url, sqlite_url, server.url)
        first = upload(teacher, HEAVY)
        assert first.status_code == 202
        second = upload(teacher, HEAVY)
        assert second.status_code == 503, second.text
        assert second.json()["error"]["code"] == "checks_busy"
        assert int(second.headers["retry-after"]) > 0
        assert checked(teacher, first, timeout=120)["status"] == "ready"
        assert upload(teacher, shapes_zip(per_class=5)).status_code == 202
    finally:
        server.stop()


def left_checking(url: str, dataset_id: str, archive: bytes) -> None:
    """A data set row as an upload leaves it: stored, not checked yet."""
    with db_session(url) as session:
        session.add(
            StudioDataset(
                id=dataset_id,
                instructor_id=None,
                filename="left.zip",
                classes=[],
                images=0,
                warnings=[],
                size_bytes=len(archive),
                archive=archive,
                created_at=FakeClock().now,
                status="checking",
            )
        )
        session.commit()


def migrated(url: str) -> None:
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()


def live_workers() -> set[int]:
    """This process's worker processes (multiprocessing's ``spawn_main``) that still run,
    not zombies, from /proc; multiprocessing's resource tracker is not one."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if state != "Z" and int(parent) == os.getpid() and b"spawn_main" in command:
            found.add(int(stat.parent.name))
    return found


def test_a_check_that_takes_too_long_is_stopped_and_the_next_one_still_runs(
    sqlite_url: str,
) -> None:
    """The slow check's process is ended (not left decoding beside its replacement), and
    the zip queued behind it is still checked (not dropped with the replaced pool)."""
    migrated(sqlite_url)
    slow, quick = "a" * 32, "b" * 32
    left_checking(sqlite_url, slow, HEAVY)  # about 3 s of decoding
    left_checking(sqlite_url, quick, shapes_zip(per_class=5))
    engine = make_engine(sqlite_url)
    limits = DatasetLimits(max_zip_bytes=20 * 1024 * 1024, min_images_per_class=5)
    before = live_workers()

    async def run() -> set[int]:
        checker = DatasetChecker(make_session_factory(engine), limits, FakeClock(), 1, 0.5)
        try:
            checker.start(slow)
            checker.start(quick)
            await asyncio.wait_for(checker.wait_idle(), 90)
            return live_workers() - before
        finally:
            await checker.close()

    try:
        running = asyncio.run(run())
        with db_session(sqlite_url) as session:
            slow_row = session.get(StudioDataset, slow)
            quick_row = session.get(StudioDataset, quick)
            assert slow_row is not None and quick_row is not None
            assert slow_row.status == "invalid", slow_row.status
            assert "took longer than" in (slow_row.error or "")
            assert quick_row.status == "ready" and quick_row.images == 15, quick_row.error
        assert len(running) <= 1, f"{running}: the timed-out check still runs"
        deadline = time.monotonic() + 10
        while live_workers() - before:
            assert time.monotonic() < deadline, "the check processes outlived the checker"
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_a_zip_left_checking_by_a_stop_is_checked_at_the_next_start(
    study: GatewayThread, sqlite_url: str, tmp_path: Path
) -> None:
    migrated(sqlite_url)
    left_checking(sqlite_url, "c" * 32, shapes_zip(per_class=5))
    server = studio(study, sqlite_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            with db_session(sqlite_url) as session:
                row = session.get(StudioDataset, "c" * 32)
                assert row is not None
                if row.status != "checking":
                    break
            assert time.monotonic() < deadline, "the left-over zip was not checked"
            time.sleep(0.1)
        assert row.status == "ready" and row.images == 15 and row.checked_at is not None
    finally:
        server.stop()
