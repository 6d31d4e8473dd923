"""Every endpoint an app serves, read from its routing table (not its OpenAPI document, which
leaves out hidden routes such as ``/metrics``)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, Route

Endpoint = tuple[str, str]  # method, path template


def endpoints(app: FastAPI) -> set[Endpoint]:
    return set(_walk(app.routes, ""))


def _walk(routes: Iterable[BaseRoute], prefix: str) -> Iterable[Endpoint]:
    for route in routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, prefix + route.path
        elif isinstance(route, Mount):
            yield "GET", f"{prefix}{route.path}/{{path}}"
        elif (router := getattr(route, "original_router", None)) is not None:
            # FastAPI >= 0.160 keeps an included router as one route with its prefix.
            context = getattr(route, "include_context", None)
            yield from _walk(router.routes, prefix + getattr(context, "prefix", ""))
        else:
            raise AssertionError(f"a kind of route the access table does not know: {route!r}")
