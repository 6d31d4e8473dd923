"""Every endpoint an app serves, read from its routing table (not its OpenAPI document,
which leaves out hidden routes such as ``/metrics``), with the route that serves it.

The access table in docs/security.md is generated from this walk (scripts/access_table.py)
and tests/reliability/test_access.py checks it against the running platform.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, Route


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, as routed: ``/api/models/{name}``
    route: BaseRoute


def endpoints(app: FastAPI) -> list[Endpoint]:
    return list(_walk(app.routes, ""))


def _walk(routes: Iterable[BaseRoute], prefix: str) -> Iterable[Endpoint]:
    for route in routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield Endpoint(method, prefix + route.path, route)
        elif isinstance(route, Mount):
            yield Endpoint("GET", f"{prefix}{route.path}/{{path}}", route)
        elif (router := getattr(route, "original_router", None)) is not None:
            # FastAPI >= 0.160 keeps an included router as one route with its prefix.
            context = getattr(route, "include_context", None)
            yield from _walk(router.routes, prefix + getattr(context, "prefix", ""))
        else:
            raise AssertionError(f"a kind of route the access table does not know: {route!r}")
