"""The study's and the studio's answers are private: no cache (browser, proxy) may keep them.

Every response gets ``Cache-Control: no-store`` unless its route set a policy of its own,
so a shared classroom computer or a caching proxy never hands one person's results,
answers or session to the next.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.security_headers import sending_with

NO_STORE = [(b"cache-control", b"no-store")]


class NoStoreByDefault:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, sending_with(send, NO_STORE))
