"""The study's and the studio's answers are private: no cache (browser, proxy) may keep them.

Every response gets ``Cache-Control: no-store`` unless its route set a policy of its own,
so a shared classroom computer or a caching proxy never hands one person's results,
answers or session to the next.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Scope

from services.common.security_headers import Header, HeadersByDefault

NO_STORE: tuple[Header, ...] = ((b"cache-control", b"no-store"),)


class NoStoreByDefault(HeadersByDefault):
    def headers(self, scope: Scope) -> Sequence[Header]:
        return NO_STORE
