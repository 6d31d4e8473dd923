"""The nginx recipe (infra/nginx/cnn101.conf), run as shipped by a real nginx.

docs/serving.md tells a site to put this file in front of the gateway; a typo in it, a
location that lets a manifest out, or a proxy that drops the Host header (the gateway's
CSRF check compares Origin with Host) would only show on the instructor's machine. Only the
port, the upstream, the static root and the SPA folder are replaced
(services/common/nginx_site.py).
"""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn

from services.common import nginx_site
from tests.infra.standins import EchoingStudy, running_nginx, serving_standins
from tests.serving.stack import free_port

BUNDLE = "static/tiny-vgg/1/0123456789abcdef/bundles/" + "a" * 64 + ".bin"
SPRITE = "static/tiny-vgg/1/0123456789abcdef/sprites/" + "b" * 64 + ".png"
MANIFEST = "static/tiny-vgg/1/0123456789abcdef/manifest.json"
# A render's temporary file: on disk, but not a name of the layout.
PARTIAL = "static/tiny-vgg/1/0123456789abcdef/bundles/tmpk2j4x.bin"
# The SPA's build: a hashed script with the gzip file the build writes beside it.
ASSET = "spa/assets/index-Ab12Cd34.js"
ASSET_BODY = b"console.log('the built script');"


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    found = shutil.which("nginx")
    assert found, "nginx is needed: apt-get install nginx-light (.ci/run installs it)"
    return found


@pytest.fixture
def site(nginx_bin: str) -> Iterator[str]:
    """The shipped site on a free port, in front of a stand-in gateway."""
    # nginx's workers run as another user: the folder and its parents must be readable to
    # them, which pytest's own temporary folders (0700) are not.
    base = Path(tempfile.mkdtemp(prefix="cnn101-nginx-site-"))
    base.chmod(0o755)
    for name, data in (
        (BUNDLE, b"bundle bytes"),
        (SPRITE, b"png bytes"),
        (MANIFEST, b"{}"),
        (PARTIAL, b"half"),
        (ASSET, ASSET_BODY),
        (f"{ASSET}.gz", gzip.compress(ASSET_BODY)),
    ):
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(data)
    for folder in [base, *(p for p in base.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)
    with serving_standins() as (gateway_port, study_port):
        port = free_port()
        config = nginx_site.write_config(
            base / "nginx",
            port,
            gateway_port,
            base / "static",
            study_port=study_port,
            spa_dir=base / "spa",
        )
        try:
            with running_nginx(config, port) as url:
                yield url
        finally:
            shutil.rmtree(base, ignore_errors=True)


def test_the_shipped_site_passes_nginx_t(nginx_bin: str, tmp_path: Path) -> None:
    config = nginx_site.write_config(
        tmp_path, free_port(), free_port(), tmp_path / "static", study_port=free_port()
    )
    checked = nginx_site.check_config(config)
    assert checked.returncode == 0, checked.stderr
    # The check can fail: a site with a broken directive does not pass.
    config.write_text(config.read_text().replace("sendfile on;", "sendfile maybe;", 1))
    assert nginx_site.check_config(config).returncode != 0


def test_rendered_files_come_from_disk_immutable_the_rest_from_the_gateway(site: str) -> None:
    bundle = httpx.get(f"{site}/{BUNDLE}")
    assert (bundle.status_code, bundle.content) == (200, b"bundle bytes")
    assert bundle.headers["content-type"].startswith("application/x-protobuf")
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert bundle.headers["x-content-type-options"] == "nosniff"
    again = httpx.get(f"{site}/{BUNDLE}", headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status_code == 304
    sprite = httpx.get(f"{site}/{SPRITE}")
    assert (sprite.status_code, sprite.headers["content-type"]) == (200, "image/png")
    # Nothing else under /static/ leaves the disk, the manifest included.
    assert httpx.get(f"{site}/{MANIFEST}").status_code == 404
    assert httpx.get(f"{site}/{PARTIAL}").status_code == 404
    # Everything else goes to the gateway, with the browser's Host.
    api = httpx.get(f"{site}/api/examples", headers={"Host": "class.example.edu"})
    assert api.status_code == 200
    assert api.text == "gateway /api/examples host=class.example.edu"


def test_the_spa_assets_come_from_the_build_and_a_missing_one_from_the_gateway(
    site: str,
) -> None:
    """A class's first minute is mostly the pages' scripts and styles: nginx sends them from
    the build, precompressed, with the gateway's headers; an asset the copy lacks (a build
    newer than nginx's copy) still reaches the browser through the gateway."""
    path = ASSET.removeprefix("spa")
    gzipped = httpx.get(f"{site}{path}", headers={"Accept-Encoding": "gzip"})
    assert gzipped.status_code == 200
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.content == ASSET_BODY  # httpx decodes it
    assert gzipped.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert gzipped.headers["x-content-type-options"] == "nosniff"
    # As the gateway types it; a script sent as text/plain with nosniff would not run.
    assert gzipped.headers["content-type"] == "text/javascript"
    plain = httpx.get(f"{site}{path}", headers={"Accept-Encoding": "identity"})
    assert (plain.status_code, plain.content) == (200, ASSET_BODY)
    assert "content-encoding" not in plain.headers
    missing = httpx.get(f"{site}/assets/index-Zz99.js")
    assert missing.status_code == 200
    assert missing.text.startswith("gateway /assets/index-Zz99.js ")


def test_a_students_study_requests_go_to_the_study_service_but_the_join(site: str) -> None:
    """The class's peak is quiz answers: nginx sends them to the study service itself, with
    the browser's Host (its CSRF check) and address. The security headers are the study
    service's own (tests/evaluation/test_security_headers.py): nginx adds none, which would
    send each twice. Joining stays with the gateway, which limits joins per network."""
    answer = httpx.post(
        f"{site}/api/student/answers",
        json={"choice_index": 1},
        headers={"Host": "class.example.edu", "X-Forwarded-For": "10.9.9.9"},
    )
    assert answer.status_code == 200
    assert answer.text == "study /api/student/answers host=class.example.edu"
    assert not {"x-content-type-options", "x-frame-options"} & set(answer.headers)
    state = httpx.get(f"{site}/api/student/state?x=1")
    assert state.text.startswith("study /api/student/state?x=1 ")
    # A site on another port than 80: the Host the services compare Origin with keeps it.
    netloc = site.removeprefix("http://")
    posted = httpx.post(f"{site}/api/student/answers", headers={"Origin": site})
    assert posted.text == f"study /api/student/answers host={netloc}"
    joined = httpx.post(f"{site}/api/student/join", json={"code": "ABCD"})
    assert joined.text.startswith("gateway /api/student/join ")
    # The instructor's side is not a student's: it still goes through the gateway.
    instructor = httpx.get(f"{site}/api/instructor/studies")
    assert instructor.text.startswith("gateway /api/instructor/studies ")


def test_nginx_drops_idle_gateway_connections_before_the_gateway_does() -> None:
    """An idle upstream connection the gateway (uvicorn) has just closed, reused by nginx,
    is a 502 for a POST (nginx does not resend it): the load test met two in 16,000 answers.
    nginx's upstream keep-alive must end first."""
    upstreams = re.findall(
        r"upstream (cnn101_\w+) \{(.*?)\}", nginx_site.SITE_FILE.read_text(), re.S
    )
    assert {name for name, _ in upstreams} == {"cnn101_gateway", "cnn101_study"}
    # Both services run uvicorn with its default keep-alive.
    keep_alive = uvicorn.Config(app="services.gateway.app:create_worker_app").timeout_keep_alive
    for name, block in upstreams:
        timeout = re.search(r"keepalive_timeout (\d+)s;", block)
        assert timeout is not None, f"{name} sets no keepalive_timeout (nginx: 60 s)"
        assert int(timeout.group(1)) < keep_alive


class _CountingStudy(EchoingStudy):
    """A study service that keeps connections alive (as uvicorn does) and counts them."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the response's head and body in one round trip
    connections = 0
    lock = threading.Lock()

    def setup(self) -> None:
        super().setup()
        with _CountingStudy.lock:
            _CountingStudy.connections += 1


def test_nginx_renews_its_study_connections_so_every_worker_gets_a_share(
    nginx_bin: str, tmp_path: Path
) -> None:
    """The study service's workers share one listening socket; a connection stays with the
    worker that accepted it. nginx reused its few kept-alive connections for as long as
    they were busy, and in the 1,000-student load test one worker served the class for 20 s
    while the other sat idle. A connection that nginx renews every second is accepted anew,
    by whichever worker is free to accept it first."""
    _CountingStudy.connections = 0
    study = ThreadingHTTPServer(("127.0.0.1", 0), _CountingStudy)
    threading.Thread(target=study.serve_forever, daemon=True).start()
    port = free_port()
    config = nginx_site.write_config(
        tmp_path / "nginx", port, free_port(), tmp_path / "static", study_port=study.server_port
    )
    process = nginx_site.start(config, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            started = time.monotonic()
            sent = 0
            while time.monotonic() - started < 3.5:  # one request at a time, for 3.5 s
                assert browser.get("/api/student/state").text.startswith("study ")
                sent += 1
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=10)
        study.shutdown()
        study.server_close()
    # Kept alive for a second at most: at least 3 connections, and far fewer than requests.
    assert 3 <= _CountingStudy.connections < sent / 10, (_CountingStudy.connections, sent)
