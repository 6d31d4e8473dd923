"""ASGI middleware of the gateway: Prometheus request metrics and security headers.

Both are plain ASGI (not ``BaseHTTPMiddleware``), so they add no per-request task. The
body limit is the shared one (:mod:`services.common.body_limit`).
"""

from __future__ import annotations

import json
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.cross_site import CROSS_SITE_MESSAGE, is_cross_site_write


class RequestMetrics:
    """Count and time requests by method, route template and status."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "cnn101_gateway_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "cnn101_gateway_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = _route_template(scope)
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
            self.requests.labels(scope["method"], route, str(status["code"])).inc()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


# The SPA is served from this origin only: scripts and styles from its own files (no inline
# script, no CDN), pictures also as data:/blob: URLs (canvas, webcam, uploads), and it may
# be framed only by itself (the study page embeds the explorer in a same-origin iframe).
SPA_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
# FastAPI's interactive API pages load Swagger UI / ReDoc from a CDN with an inline boot
# script: they get their own, wider policy, and nothing else does.
API_DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "frame-ancestors 'self'",
    )
)
API_DOCS_PATHS = ("/docs", "/redoc")
# Browsers that reached the gateway over TLS keep using TLS for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=()"),
)


class SecurityHeaders:
    """Add the security headers to every response, and refuse cross-site writes (CSRF).

    A state-changing request whose ``Origin`` names another host, or that the browser
    marks ``Sec-Fetch-Site: cross-site``/``same-site``, gets 403 before any handler runs:
    the instructor's cookie is ``SameSite=Lax``, which does not stop a page on another
    port of the same host (same site) from posting a form.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = API_DOCS_POLICY if path.startswith(API_DOCS_PATHS) else SPA_POLICY
        extra = [(b"content-security-policy", policy.encode()), *SECURITY_HEADERS]
        if scope.get("scheme") == "https":  # behind TLS (uvicorn --proxy-headers sets it)
            extra.append(HSTS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        if is_cross_site_write(scope):
            body = json.dumps(
                {"error": {"code": "cross_site_request", "message": CROSS_SITE_MESSAGE}}
            ).encode()
            await with_headers(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await with_headers({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, with_headers)
