"""The gateway's connections to the services behind it end before the services' own.

uvicorn closes an idle connection after ``timeout_keep_alive`` (5 s, the study service's
and the studio's setting); a request the gateway sends on such a connection at that moment
fails, and a student's answer gets 503. The load test met this at 1,000 students.
"""

from __future__ import annotations

import uvicorn

from evaluation.app import uvicorn_options
from evaluation.settings import EvaluationSettings
from services.gateway.forwarding import UPSTREAM_KEEPALIVE_SECONDS


def test_the_gateway_drops_idle_upstream_connections_first() -> None:
    options = uvicorn_options(EvaluationSettings())
    service_keep_alive = uvicorn.Config(
        app="evaluation.app:create_app", **options
    ).timeout_keep_alive
    # Well before, not at the same moment: both clocks start when the response is sent.
    assert service_keep_alive / 2 >= UPSTREAM_KEEPALIVE_SECONDS
