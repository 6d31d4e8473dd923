"""ASGI middleware of the gateway: Prometheus request metrics, and the security headers
(:mod:`services.common.security_headers`) with the cross-site check.

Both are plain ASGI (not ``BaseHTTPMiddleware``), so they add no per-request task. The
body limit is the shared one (:mod:`services.common.body_limit`).
"""

from __future__ import annotations

import json
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.cross_site import CROSS_SITE_MESSAGE, is_cross_site_write
from services.common.security_headers import headers_for, sending_with


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
        with_headers = sending_with(send, headers_for(scope))
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
