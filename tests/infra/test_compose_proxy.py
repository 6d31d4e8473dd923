"""docker-compose.yml's proxy, run here as the nginx image runs it, without a Docker engine:
its entrypoint script (infra/nginx/compose/40-cnn101-site.sh) writes the shipped site with
compose's upstreams, and nginx serves it under the proxy's main file
(infra/nginx/compose/nginx.conf). Only the paths the image fixes and the listening port are
moved into a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.common import nginx_site
from tests.infra.standins import running_nginx, serving_standins
from tests.serving.stack import free_port

COMPOSE_DIR = nginx_site.SITE_FILE.parent / "compose"
SCRIPT = COMPOSE_DIR / "40-cnn101-site.sh"
MAIN_FILE = COMPOSE_DIR / "nginx.conf"


def _write_site(
    site_file: Path, out: Path, gateway: str, study: str
) -> subprocess.CompletedProcess[str]:
    """The entrypoint script as the image runs it (``sh``), with the compose environment."""
    env = {
        **os.environ,
        "CNN101_SITE_FILE": str(site_file),
        "CNN101_SITE_OUT": str(out),
        "CNN101_PROXY_GATEWAY": gateway,
        "CNN101_PROXY_STUDY": study,
    }
    return subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_the_script_points_the_shipped_site_at_compose_s_services(tmp_path: Path) -> None:
    out = tmp_path / "default.conf"
    written = _write_site(nginx_site.SITE_FILE, out, "gateway:8000", "evaluation:8001")
    assert written.returncode == 0, written.stderr
    site = out.read_text()
    upstreams = dict(re.findall(r"upstream (cnn101_\w+) \{.*?server ([^;]+);", site, re.S))
    assert upstreams == {"cnn101_gateway": "gateway:8000", "cnn101_study": "evaluation:8001"}
    # Nothing else changed: the recipe of docs/serving.md is what compose runs.
    shipped = nginx_site.SITE_FILE.read_text()
    assert site == shipped.replace("server 127.0.0.1:8000;", "server gateway:8000;").replace(
        "server 127.0.0.1:8001;", "server evaluation:8001;"
    )


def test_the_script_refuses_a_site_whose_upstreams_it_cannot_find(tmp_path: Path) -> None:
    """A proxy started on a site it could not rewrite would send the class to 127.0.0.1."""
    changed = tmp_path / "cnn101.conf"
    changed.write_text(nginx_site.SITE_FILE.read_text().replace("127.0.0.1:8001", "[::1]:8001"))
    out = tmp_path / "default.conf"
    written = _write_site(changed, out, "gateway:8000", "evaluation:8001")
    assert written.returncode != 0
    assert "evaluation:8001" in written.stderr
    assert not out.exists() and not list(tmp_path.glob("default.conf*"))


@pytest.fixture
def proxy() -> Iterator[str]:
    """nginx under the proxy's main file with the site the script wrote, in front of
    stand-ins for the gateway and the study service."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is needed: apt-get install nginx-light (.ci/run installs it)")
    # nginx's workers run as another user: the folder must be readable to them.
    base = Path(tempfile.mkdtemp(prefix="cnn101-compose-proxy-"))
    base.chmod(0o755)
    with serving_standins() as (gateway_port, study_port):
        config, port = _proxy_config(base, f"127.0.0.1:{gateway_port}", f"127.0.0.1:{study_port}")
        try:
            with running_nginx(config, port) as url:
                yield url
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _proxy_config(base: Path, gateway: str, study: str) -> tuple[Path, int]:
    """The site as the script writes it into ``base/conf.d``, on a free port, under the
    proxy's main file: ``(main file, port)``."""
    conf_d = base / "conf.d"
    conf_d.mkdir()
    site = conf_d / "default.conf"
    written = _write_site(nginx_site.SITE_FILE, site, gateway, study)
    assert written.returncode == 0, written.stderr
    port = free_port()
    site.write_text(site.read_text().replace("listen 80;", f"listen 127.0.0.1:{port};"))
    main = MAIN_FILE.read_text()
    assert "include /etc/nginx/conf.d/*.conf;" in main
    # Where the image keeps its pid, log and temporary files, moved into the folder.
    config = base / "nginx.conf"
    config.write_text(
        nginx_site.PROCESS_FILES.format(dir=base)
        + "\n"
        + main.replace("include /etc/nginx/conf.d/*.conf;", f"include {conf_d}/*.conf;").replace(
            "http {", "http {\n  " + nginx_site.TEMP_PATHS.format(dir=base), 1
        )
    )
    return config, port


def test_the_proxy_sends_answers_to_the_study_and_the_rest_to_the_gateway(proxy: str) -> None:
    answer = httpx.post(
        f"{proxy}/api/student/answers", json={"choice_index": 1}, headers={"Host": "hall:8000"}
    )
    assert (answer.status_code, answer.text) == (200, "study /api/student/answers host=hall:8000")
    joined = httpx.post(f"{proxy}/api/student/join", json={"code": "ABCD"})
    assert joined.text.startswith("gateway /api/student/join ")
    page = httpx.get(f"{proxy}/study.html")
    assert page.text.startswith("gateway /study.html ")
    # The SPA's assets: the proxy has no copy of the build, so the gateway sends them.
    asset = httpx.get(f"{proxy}/assets/index-Ab12.js")
    assert asset.text.startswith("gateway /assets/index-Ab12.js ")


def test_the_proxy_has_room_for_a_lecture_hall() -> None:
    """The image's own main file allows 1,024 connections per worker; a class of 1,000
    keeps more (each browser a few, each request an upstream one besides)."""
    main = MAIN_FILE.read_text()
    connections = re.search(r"worker_connections (\d+);", main)
    files = re.search(r"worker_rlimit_nofile (\d+);", main)
    assert connections and files
    assert int(connections.group(1)) >= 8192 and int(files.group(1)) >= 2 * int(
        connections.group(1)
    )


def test_the_image_runs_the_script() -> None:
    """The image's entrypoint skips a script in /docker-entrypoint.d/ that is not executable
    (it logs "Ignoring") and nginx would start on its own welcome page."""
    assert SCRIPT.name.endswith(".sh")
    assert SCRIPT.stat().st_mode & 0o111 == 0o111
    tracked = subprocess.run(
        ["git", "ls-files", "--stage", str(SCRIPT)],
        cwd=SCRIPT.parent,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert tracked.startswith("100755 "), tracked
