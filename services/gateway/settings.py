"""Configuration of the gateway, the only port students use (``CNN101_*`` variables)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from services.common.paths import DEFAULT_STATIC_ROOT, PROJECT_ROOT
from services.common.settings import SharedSettings


def default_workers() -> int:
    """One gateway process per core this process may run on, at most 8."""
    return max(1, min(8, len(os.sched_getaffinity(0))))


class GatewaySettings(SharedSettings):
    """Where to listen, the services behind it, the upload limits, the SPA build."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # Addresses whose X-Forwarded-For uvicorn believes (comma-separated; "*" where only a
    # reverse proxy can reach the gateway, as compose's nginx): the per-client limits and the
    # address forwarded to the study service are then the student's, not the proxy's.
    gateway_trusted_proxies: str = "127.0.0.1"
    # Processes serving HTTP (uvicorn workers), one per core by default, at most 8; each
    # keeps its own in-memory bundle cache and decode pool, and shares Redis (rate limits,
    # presentations) with the others.
    gateway_workers: int = Field(default_factory=default_workers, ge=1)
    activations_target: str = "127.0.0.1:8510"
    activations_timeout_seconds: float = 20.0
    max_upload_bytes: int = 10 * 1024 * 1024
    # 16.8 megapixels: more than any phone photo; what is larger is refused from its header.
    max_upload_pixels: int = 4096 * 4096
    # The most memory one picture's decoding may take (services/gateway/images.py), and
    # how many decode at once (0: one per core, at most 4) and may wait: together they
    # bound the gateway's memory for pictures to 4 x 96 MB, well inside its 1 Gi
    # (services/gateway/decode_pool.py). 64 waiting: a class that all takes a photo at
    # once queues (each waits ~50 ms per photo ahead of it) rather than being turned away;
    # a waiting upload stays in its spooled file (at most 1 MB of it in memory).
    max_decode_bytes: int = 96 * 1024 * 1024
    decode_workers: int = 0
    max_waiting_decodes: int = 64
    spa_dir: Path = PROJECT_ROOT / "frontend" / "dist"
    # The example bundles and sprites the worker renders (its CNN101_STATIC_ROOT), served
    # at /static/ as immutable files (services/gateway/static_bundles.py).
    static_root: Path = DEFAULT_STATIC_ROOT
    # The bytes of the rendered files sent most recently, kept in each gateway process
    # (every example of one model is about 92 MB); 0 sends each from disk (FileResponse).
    static_memory_bytes: int = Field(default=128 * 1024 * 1024, ge=0)
    # Bundles are immutable per (model, version, fingerprint, digest): the gateway keeps the
    # most recent ones in memory so a class opening an example costs no network hop. Sized
    # to hold every example of two models (250 Tiny VGG bundles are about 89 MB) and the
    # class's uploads besides: a smaller cache thrashes when students cycle the examples.
    bundle_memory_bytes: int = 256 * 1024 * 1024
    retry_after_seconds: int = 5
    # Written by ``cnn101 run`` (services/supervisor.py): each process's state and restarts,
    # shown by the readiness check.
    supervisor_status_file: Path | None = None
    evaluation_url: str = "http://127.0.0.1:8001"
    evaluation_timeout_seconds: float = 15.0
    # The conventional arm's uploaded material (services/gateway/routes/material.py): the
    # largest upload (the study service checks each kind's own limit) and how long one
    # upload may take in all (500 MB at 1 MB/s takes about 8 minutes).
    max_material_bytes: int = 500 * 1024 * 1024
    material_upload_timeout_seconds: float = 900.0
    studio_url: str = "http://127.0.0.1:8002"
    studio_timeout_seconds: float = 30.0
    # How long the studio's list of published models is kept before it is asked again.
    published_models_ttl_seconds: float = 5.0
    # Per-client request limits (services/gateway/rate_limits.py) times this; 0 turns them
    # off (a load test that plays a whole lecture hall from one address).
    rate_limit_scale: float = 1.0
    # A presentation nobody changes for this long ends by itself.
    presentation_ttl_seconds: int = 4 * 3600
    # Followers' streams carry a comment this often, so proxies keep them open.
    presentation_heartbeat_seconds: float = 15.0
