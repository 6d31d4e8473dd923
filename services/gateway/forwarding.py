"""The HTTP client that forwards a browser's request to a service behind the gateway.

A class's quiz answers all pass through here, so its CPU per request counts: aiohttp takes
about 0.1 ms of CPU per request where httpx takes 1.0 ms (scripts/bench_http_clients.py,
against one nginx on the same machine; docs/sizing.md). The gateway's other calls to these
services (the published models, health checks, material uploads that stream) keep httpx.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

# The services' uvicorn closes an idle connection after 5 s; the gateway drops its own well
# before, or a request sent on a connection being closed at that moment fails (a student's
# answer would get 503: the load test met 2 in 32,000 answers).
UPSTREAM_KEEPALIVE_SECONDS = 2.0
MAX_CONNECTIONS = 100


class UpstreamUnavailableError(Exception):
    """The service did not answer (refused, reset, timed out)."""


@dataclass(frozen=True)
class UpstreamAnswer:
    """The service's answer, read in full."""

    status: int
    body: bytes
    headers: CIMultiDictProxy[str]


class Forwarder:
    """Kept-alive connections to one service; no cookie is ever kept (each browser's own
    cookie is forwarded with its request, a kept one would be sent for everyone)."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: an aiohttp session belongs to the event loop that runs it.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS, keepalive_timeout=UPSTREAM_KEEPALIVE_SECONDS
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=self.timeout,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return self._session

    async def send(
        self, method: str, path_and_query: str, body: bytes, headers: dict[str, str]
    ) -> UpstreamAnswer:
        """``path_and_query`` already percent-encoded, sent as it is."""
        url = URL(self.base_url + path_and_query, encoded=True)
        try:
            async with self._client().request(
                method, url, data=body or None, headers=headers, allow_redirects=False
            ) as response:
                return UpstreamAnswer(response.status, await response.read(), response.headers)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise UpstreamUnavailableError(str(error) or type(error).__name__) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
