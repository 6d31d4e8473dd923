"""Every gateway route runs on the event loop: no sync dependency, no sync endpoint.

FastAPI sends a sync dependency or endpoint to a worker thread for every request; the
gateway keeps no database, so such a hop is pure overhead on the path every student's
cached example takes (two per request until December 2026: the state and the published
models, read from ``app.state``). Blocking work goes to the decode pool or a thread on
purpose, in the route's own code.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Route

from services.common.route_table import endpoints
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _runs_on_the_loop(call: Any) -> bool:
    target = call if inspect.isroutine(call) else call.__call__  # an instance's own __call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def test_every_route_and_dependency_of_the_gateway_is_async() -> None:
    served = endpoints(create_app(GatewaySettings()))
    assert len(served) > 20
    sync = sorted(
        {
            f"{endpoint.path}: {getattr(call, '__qualname__', call)}"
            for endpoint in served
            for call in _route_calls(endpoint.route)
            if not _runs_on_the_loop(call)
        }
    )
    assert sync == []


def _route_calls(route: object) -> Iterator[Any]:
    if isinstance(route, APIRoute):
        yield from _calls(route.dependant)
    elif isinstance(route, Route):
        yield route.endpoint
