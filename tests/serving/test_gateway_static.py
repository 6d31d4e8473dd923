"""The gateway's SPA files and compression: precompressed siblings, cache headers, JSON gzip.

A gateway of our own serves a small SPA folder this test writes (with ``.gz`` / ``.br``
siblings, as the Vite build makes them), in front of the shared serving stack.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.serving.conftest import Stack
from tests.serving.stack import GatewayThread
from tests.serving.test_spa_e2e import SPA_DIR

INDEX = b"<!doctype html><title>CNN 101</title>" + b"<!-- padding -->" * 100
SCRIPT = b"export const answer = 42;\n" * 200
BROTLI_STAND_IN = b"brotli bytes (served as they are, never decoded by the gateway)"


@pytest.fixture(scope="module")
def spa_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spa")
    (folder / "assets").mkdir()
    (folder / "index.html").write_bytes(INDEX)
    (folder / "index.html.gz").write_bytes(gzip.compress(INDEX))
    (folder / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    (folder / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(SCRIPT))
    (folder / "assets" / "index-abc123.js.br").write_bytes(BROTLI_STAND_IN)
    (folder / "assets" / "small-abc123.css").write_bytes(b"body{margin:0}")
    return folder


@pytest.fixture(scope="module")
def spa(stack: Stack, spa_folder: Path) -> Iterator[GatewayThread]:
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                spa_dir=spa_folder,
                broker_url=stack.redis.url_for(1),
                result_backend=stack.redis.url_for(1),
            )
        )
    )
    gateway.start()
    yield gateway
    gateway.stop()


def _get(url: str, accept_encoding: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (httpx would otherwise decode it)."""
    with (
        httpx.Client(timeout=30) as client,
        client.stream("GET", url, headers={"Accept-Encoding": accept_encoding, **headers}) as r,
    ):
        return r, b"".join(r.iter_raw())


def test_hashed_assets_are_precompressed_and_cached_for_a_year(spa: GatewayThread) -> None:
    url = f"{spa.url}/assets/index-abc123.js"
    brotli, body = _get(url, "gzip, deflate, br")
    assert brotli.headers["content-encoding"] == "br"
    assert body == BROTLI_STAND_IN
    assert brotli.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert brotli.headers["vary"] == "Accept-Encoding"
    assert brotli.headers["content-type"].startswith("text/javascript")
    gzipped, body = _get(url, "gzip, deflate")
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == SCRIPT
    assert int(gzipped.headers["content-length"]) == len(body) < len(SCRIPT)
    refused, body = _get(url, "br;q=0, gzip")
    assert refused.headers["content-encoding"] == "gzip"
    plain, body = _get(url, "identity")
    assert "content-encoding" not in plain.headers
    assert body == SCRIPT
    # One entity in three codings: one ETag, and a revalidation is answered with 304.
    assert brotli.headers["etag"] == gzipped.headers["etag"] == plain.headers["etag"]
    revalidated, body = _get(url, "gzip", **{"If-None-Match": gzipped.headers["etag"]})
    assert revalidated.status_code == 304
    assert body == b""


def test_pages_are_revalidated_and_files_without_siblings_served_plain(
    spa: GatewayThread,
) -> None:
    page, body = _get(spa.url + "/", "gzip")
    assert page.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == INDEX
    assert page.headers["cache-control"] == "no-cache"
    css, body = _get(f"{spa.url}/assets/small-abc123.css", "gzip, br")
    assert "content-encoding" not in css.headers
    assert body == b"body{margin:0}"
    missing, _ = _get(f"{spa.url}/assets/missing.js", "gzip")
    assert missing.status_code == 404


def test_json_is_gzipped_and_bundles_are_sent_as_cached(spa: GatewayThread, stack: Stack) -> None:
    listing, body = _get(f"{spa.url}/api/examples", "gzip")
    assert listing.status_code == 200
    assert listing.headers["content-encoding"] == "gzip"
    examples = json.loads(gzip.decompress(body))
    assert len(body) < len(gzip.decompress(body)) / 3
    example = examples["examples"][0]["id"]
    bundle, body = _get(f"{spa.url}/api/examples/{example}/activations", "gzip, br")
    assert bundle.status_code == 200
    assert "content-encoding" not in bundle.headers  # float32 barely shrinks: bytes as cached
    assert int(bundle.headers["content-length"]) == len(body)
    _, plain = _get(f"{spa.url}/api/examples/{example}/activations", "identity")
    assert plain == body
    small, body = _get(f"{spa.url}/api/models", "gzip")
    assert "content-encoding" not in small.headers  # under 1 KB: not worth compressing
    assert json.loads(body)["default"] == "tiny_vgg"


def test_the_build_writes_the_siblings_the_gateway_serves() -> None:
    """The SPA build (vite.config.ts's precompress plugin) leaves .gz and .br beside its code."""
    scripts = sorted((SPA_DIR / "assets").glob("*.js"))
    assert scripts, f"no scripts in {SPA_DIR}/assets: build the SPA first"
    # Files under 1 KB are not worth compressing: the plugin leaves them alone.
    for script in (script for script in scripts if script.stat().st_size >= 1024):
        assert gzip.decompress(script.with_name(script.name + ".gz").read_bytes()) == (
            script.read_bytes()
        )
        assert script.with_name(script.name + ".br").is_file()


def test_the_example_list_is_encoded_once_and_revalidated(spa: GatewayThread) -> None:
    url = f"{spa.url}/api/examples"
    gzipped, body = _get(url, "gzip")
    plain, plain_body = _get(url, "identity")
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(body) == plain_body
    assert json.loads(plain_body)["examples"]
    assert gzipped.headers["etag"] == plain.headers["etag"]
    assert gzipped.headers["cache-control"] == "no-cache"
    assert gzipped.headers["vary"] == "Accept-Encoding"
    assert gzipped.headers["content-type"] == "application/json"
    again, _ = _get(url, "gzip", **{"If-None-Match": gzipped.headers["etag"]})
    assert again.status_code == 304
    other, _ = _get(url, "gzip", **{"If-None-Match": '"something else"'})
    assert other.status_code == 200


def test_a_page_rewritten_on_disk_is_served_anew(spa: GatewayThread, spa_folder: Path) -> None:
    """A page once sent is answered from memory, until a new build changes the file."""
    page = spa_folder / "about.html"
    page.write_bytes(b"<p>first build</p>")
    first, body = _get(f"{spa.url}/about.html", "gzip")
    assert body == b"<p>first build</p>"
    assert _get(f"{spa.url}/about.html", "gzip")[1] == body
    page.write_bytes(b"<p>the second build</p>")
    page.with_name("about.html.gz").write_bytes(gzip.compress(b"<p>the second build</p>"))
    second, body = _get(f"{spa.url}/about.html", "gzip")
    assert second.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == b"<p>the second build</p>"
    assert second.headers["etag"] != first.headers["etag"]
    page.unlink()
    page.with_name("about.html.gz").unlink()
    gone, _ = _get(f"{spa.url}/about.html", "gzip")
    assert gone.status_code == 404
