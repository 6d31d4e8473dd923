"""The studio's other requests while data-set zips are checked: the pixel bomb, a heavy zip.

The measured attack: a 9.9 MB zip of 168 blank 4096x4096 PNGs, decoded on the service's
event loop, made every other request wait 47 s. This starts the study service and the
studio (their own SQLite database in a temporary folder, uvicorn on free ports, the
default limits), signs in, and for each zip uploads it and asks ``GET /health`` and
``GET /api/studio/datasets`` every 20 ms until its check is done. Prints how long the
upload took to be answered, how long the check took, its outcome, and the latencies of
the other requests (median, p95, max):

    .venv/bin/python scripts/bench_upload_bomb.py
"""

from __future__ import annotations

import io
import os
import socket
import statistics
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from PIL import Image

from evaluation.app import create_app as study_app
from evaluation.auth import create_instructor
from evaluation.settings import EvaluationSettings
from services.database.engine import make_engine, make_session_factory
from services.studio.app import create_app as studio_app
from services.studio.settings import StudioSettings

PASSWORD = "benchmark-orchard-violin-58"


class Served:
    """An app under uvicorn on a free port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def blank_png(size: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (255, 255, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_of(picture: bytes, classes: int, per_class: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for label in range(classes):
            for index in range(per_class):
                archive.writestr(f"class{label}/{index:03d}.png", picture)
    return buffer.getvalue()


def measure(client: httpx.Client, studio: str, name: str, data: bytes) -> None:
    started = time.perf_counter()
    answer = client.post("/api/studio/datasets", files={"file": ("set.zip", data)})
    answered = time.perf_counter() - started
    dataset = answer.json()["dataset_id"]
    latencies: list[float] = []
    with httpx.Client(base_url=studio, cookies=client.cookies, timeout=120) as other:
        while True:
            for path in ("/health", "/api/studio/datasets"):
                began = time.perf_counter()
                other.get(path).raise_for_status()
                latencies.append(time.perf_counter() - began)
            body = client.get(f"/api/studio/datasets/{dataset}").json()
            if body["status"] != "checking":
                break
            time.sleep(0.02)
    checked = time.perf_counter() - started
    ordered = sorted(latencies)
    outcome = body["status"] + (f" ({body['error'][:70]}...)" if body["error"] else "")
    print(
        f"{name}: {len(data) / 1e6:.1f} MB, answered {answer.status_code} in "
        f"{answered * 1000:.0f} ms, checked in {checked:.2f} s: {outcome}\n"
        f"  other requests meanwhile: {len(ordered)}, median "
        f"{statistics.median(ordered) * 1000:.1f} ms, p95 "
        f"{ordered[int(0.95 * (len(ordered) - 1))] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    )


def main() -> None:
    for variable in [name for name in os.environ if name.startswith("CNN101_")]:
        del os.environ[variable]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        study = Served(
            study_app(
                EvaluationSettings(
                    evaluation_database_url=url,
                    evaluation_bootstrap_instructor=None,
                    evaluation_secret_key_file=Path(folder) / "key",
                )
            )
        )
        studio = Served(
            studio_app(
                StudioSettings(
                    studio_database_url=url,
                    evaluation_url=study.url,
                    studio_max_zip_bytes=20 * 1024 * 1024,
                )
            )
        )
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            create_instructor(session, "bench@school.example", PASSWORD)
        engine.dispose()
        login = httpx.post(
            f"{study.url}/api/instructor/login",
            json={"email": "bench@school.example", "password": PASSWORD},
        )
        client = httpx.Client(base_url=studio.url, cookies=login.cookies, timeout=120)
        picture = blank_png(4096)
        print(f"load average: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
        try:
            measure(
                client, studio.url, "pixel bomb, 168 blank 4096x4096 PNGs", zip_of(picture, 2, 84)
            )
            measure(client, studio.url, "heavy but allowed, 20 of them", zip_of(picture, 2, 10))
        finally:
            client.close()
            studio.stop()
            study.stop()


if __name__ == "__main__":
    main()
