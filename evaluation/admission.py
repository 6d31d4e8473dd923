"""Admit a bounded number of requests at once; the rest wait their turn on the event loop.

Why: FastAPI runs each sync dependency and then the endpoint as separate thread-pool jobs.
A request whose dependency has checked out a database connection then waits for a free
thread to run its endpoint; when every thread is meanwhile blocked waiting for a
connection, nothing moves until the pool times out (a class of 200 acting at once hit
exactly this). With fewer requests in flight than connections and threads, no request
ever waits for either, and the queue forms where waiting costs nothing.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

# Below the smallest pool the engine builds (SQLite's 5 + 10 overflow; PostgreSQL has 40)
# and the 40 worker threads; a request holds one connection for milliseconds.
DEFAULT_LIMIT = 12

POSTGRESQL_LIMIT = 4
"""On PostgreSQL every request's writes are a thread of their own, and the threads take
turns holding the interpreter's lock between the database's answers: with 12 of them in
flight a quiz answer cost 2.7-3.5 ms of CPU, with 4 of them 2.1 ms, and the service
answered 1.3-1.7 times as many a second (scripts/bench_answers.py, 16 clients;
docs/sizing.md). On SQLite a process's writes share one thread (write_groups.py) and a
group holds every write that waits, so it keeps :data:`DEFAULT_LIMIT`."""


def admission_limit(database_url: str) -> int:
    """How many requests a process of the study service admits at once on this database:
    SQLite's, as :func:`services.database.engine.make_engine` tells it, writes in groups."""
    return (
        DEFAULT_LIMIT if make_url(database_url).get_backend_name() == "sqlite" else POSTGRESQL_LIMIT
    )


class AdmissionLimit:
    """ASGI middleware: at most ``limit`` HTTP requests inside the app at any moment."""

    def __init__(
        self, app: ASGIApp, limit: int = DEFAULT_LIMIT, exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        # Paths that hold no database connection (a long file download): never queued.
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)
