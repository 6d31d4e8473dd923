"""One set of exported models and one server over them, shared by the read-only tests.

Exports and loads are the slow part, so both happen once per session: ``tiny_vgg``
versions 1 and 2 (different seeds, so their outputs differ) and ``wide``, a second
architecture, without its LiteRT copy so that TensorFlow serves it while LiteRT serves the
others, plus a copy of a version in an exporter-style staging folder that the server must
ignore.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.common.model_store import ASSETS_DIR, LITE_MODEL, LITE_RECORD
from services.inference.server import InferenceServer
from services.pipeline.architecture import Architecture
from services.pipeline.bundle import ModelBundle
from tests.exports import export_untrained
from tests.inference.client import SERVING, Client, connect, start_server, wait_until

WIDE = Architecture(input_size=48, blocks=3, convs_per_block=1, filters=8, kernel_size=5)


@dataclass(frozen=True)
class Exported:
    base_path: Path
    bundles: dict[tuple[str, int], ModelBundle]


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    base = tmp_path_factory.mktemp("models")
    dirs = {
        ("tiny_vgg", 1): export_untrained(base, "tiny_vgg", version=1, seed=0),
        ("tiny_vgg", 2): export_untrained(base, "tiny_vgg", version=2, seed=1),
        ("wide", 1): export_untrained(base, "wide", version=1, arch=WIDE, seed=2),
    }
    # ``wide`` without its LiteRT copy: one server runs both runtimes (runtimes.py).
    for copy in (LITE_MODEL, LITE_RECORD):
        (dirs[("wide", 1)] / ASSETS_DIR / copy).unlink()
    shutil.copytree(dirs[("tiny_vgg", 2)], base / "tiny_vgg" / ".3-staging")
    return Exported(base, {key: ModelBundle.open(path) for key, path in dirs.items()})


@pytest.fixture(scope="session")
def served(exported: Exported) -> Iterator[tuple[InferenceServer, Client]]:
    """A running server over ``exported`` with default settings, once every version is
    loaded, and a client of it (the server's counters tell what it computed)."""
    server, port = start_server(exported.base_path)
    client = connect(port)
    wait_until(lambda: client.health_status() == SERVING, "the server serves")
    yield server, client
    client.channel.close()
    server.stop(grace=0)


@pytest.fixture(scope="session")
def client(served: tuple[InferenceServer, Client]) -> Client:
    """A client of the shared server."""
    return served[1]
