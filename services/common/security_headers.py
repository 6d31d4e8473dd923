"""The security headers every HTTP response of the platform carries, whichever service sent
it: the gateway (pages, API) and the study service (a student's requests, which a reverse
proxy in front may send to it directly: infra/nginx/cnn101.conf, infra/k8s/ingress.yaml).

Plain ASGI (not ``BaseHTTPMiddleware``): no per-request task. A header the app set itself
is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Header = tuple[bytes, bytes]

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
# Browsers that reached the platform over TLS keep using TLS for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=()"),
)


# Encoded once: every response of both services carries one of these.
_SPA_HEADERS: tuple[Header, ...] = (
    (b"content-security-policy", SPA_POLICY.encode()),
    *SECURITY_HEADERS,
)
_API_DOCS_HEADERS: tuple[Header, ...] = (
    (b"content-security-policy", API_DOCS_POLICY.encode()),
    *SECURITY_HEADERS,
)


def headers_for(scope: Scope) -> tuple[Header, ...]:
    """The headers for a response to ``scope``: its content policy, the common ones, and
    HSTS when the browser came over TLS (uvicorn's proxy headers set the scheme)."""
    path: str = scope["path"]
    headers = _API_DOCS_HEADERS if path.startswith(API_DOCS_PATHS) else _SPA_HEADERS
    return (*headers, HSTS) if scope.get("scheme") == "https" else headers


def sending_with(send: Send, extra: Sequence[Header]) -> Send:
    """``send`` that adds to the response's start each of ``extra`` the app did not set."""

    async def with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            message["headers"] = [
                *message.get("headers", []),
                *((name, value) for name, value in extra if name not in present),
            ]
        await send(message)

    return with_headers


class HeadersByDefault:
    """Add to every HTTP response each header of :meth:`headers` that the app did not set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def headers(self, scope: Scope) -> Sequence[Header]:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, sending_with(send, self.headers(scope)))


class SecurityHeaders(HeadersByDefault):
    """Add :func:`headers_for` to every HTTP response."""

    def headers(self, scope: Scope) -> Sequence[Header]:
        return headers_for(scope)
