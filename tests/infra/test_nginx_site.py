"""The nginx recipe (infra/nginx/cnn101.conf), run as shipped by a real nginx.

docs/serving.md tells a site to put this file in front of the gateway; a typo in it, a
location that lets a manifest out, or a proxy that drops the Host header (the gateway's
CSRF check compares Origin with Host) would only show on the instructor's machine. Only the
port, the upstream and the static root are replaced (services/common/nginx_site.py).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn

from services.common import nginx_site
from tests.serving.stack import free_port

BUNDLE = "static/tiny-vgg/1/0123456789abcdef/bundles/" + "a" * 64 + ".bin"
SPRITE = "static/tiny-vgg/1/0123456789abcdef/sprites/" + "b" * 64 + ".png"
MANIFEST = "static/tiny-vgg/1/0123456789abcdef/manifest.json"
# A render's temporary file: on disk, but not a name of the layout.
PARTIAL = "static/tiny-vgg/1/0123456789abcdef/bundles/tmpk2j4x.bin"


class _Gateway(BaseHTTPRequestHandler):
    """Stands in for the gateway: answers every path with the Host header it received."""

    def do_GET(self) -> None:
        body = f"gateway {self.path} host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


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
    ):
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(data)
    for folder in [base, *(p for p in base.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    port = free_port()
    config = nginx_site.write_config(base / "nginx", port, gateway.server_port, base / "static")
    process = nginx_site.start(config, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        gateway.shutdown()
        gateway.server_close()
        shutil.rmtree(base, ignore_errors=True)


def test_the_shipped_site_passes_nginx_t(nginx_bin: str, tmp_path: Path) -> None:
    config = nginx_site.write_config(tmp_path, free_port(), free_port(), tmp_path / "static")
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


def test_nginx_drops_idle_gateway_connections_before_the_gateway_does() -> None:
    """An idle upstream connection the gateway (uvicorn) has just closed, reused by nginx,
    is a 502 for a POST (nginx does not resend it): the load test met two in 16,000 answers.
    nginx's upstream keep-alive must end first."""
    upstream = re.search(
        r"upstream cnn101_gateway \{(.*?)\}", nginx_site.SITE_FILE.read_text(), re.S
    )
    assert upstream is not None
    timeout = re.search(r"keepalive_timeout (\d+)s;", upstream.group(1))
    assert timeout is not None, "the upstream block sets no keepalive_timeout (nginx: 60 s)"
    gateway_keep_alive = uvicorn.Config(
        app="services.gateway.app:create_worker_app"
    ).timeout_keep_alive  # the gateway's: default
    assert int(timeout.group(1)) < gateway_keep_alive
