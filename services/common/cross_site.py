"""Refuse state-changing requests that a browser sent from a page of another origin (CSRF).

The instructor's cookie is ``SameSite=Lax``, which does not cover a page on another port of
the same host; ``Origin`` and ``Sec-Fetch-Site`` do. Requests without them (programs, the
gateway forwarding a same-origin request) pass. Every HTTP service uses this one check.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.errors import error_response

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CROSS_SITE_MESSAGE = "This request came from another site and was refused."


def is_cross_site(scope: Scope) -> bool:
    """Whether the browser says this request comes from a page of another origin."""
    headers: dict[bytes, bytes] = {name.lower(): value for name, value in scope["headers"]}
    if headers.get(b"sec-fetch-site", b"") in (b"cross-site", b"same-site"):
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser, or a same-origin GET-like request
    # Only Host: X-Forwarded-Host is whatever the client chose to send (a reverse proxy in
    # front must pass Host through, as docs/deployment.md says).
    host = headers.get(b"host", b"")
    netloc = origin.split(b"://", 1)[-1]
    return origin == b"null" or netloc.lower() != host.strip().lower()


def is_cross_site_write(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["method"] in UNSAFE_METHODS and is_cross_site(scope)


class CrossSiteGuard:
    """403 for a cross-site write, before any handler runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_cross_site_write(scope):
            response = error_response(403, "cross_site_request", CROSS_SITE_MESSAGE)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
