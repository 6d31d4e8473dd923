"""The model studio as tests run it: under uvicorn, beside a real study service.

The studio asks the study service (over HTTP) who a session cookie belongs to, so a test
of the studio runs both, on one database, and signs in at the study like a browser does.
"""

from __future__ import annotations

import httpx

from evaluation.app import create_app as create_study_app
from services.database.schema import utcnow
from services.studio.app import create_app as create_studio_app
from services.studio.deps import Clock
from services.studio.job_queue import ModelJobQueue
from services.studio.settings import StudioSettings
from tests.databases import PASSWORD, new_instructor
from tests.evaluation.conftest import make_settings
from tests.serving.stack import GatewayThread


def start_study(database_url: str) -> GatewayThread:
    """The study service under uvicorn on a free port: where instructors sign in."""
    server = GatewayThread(create_study_app(make_settings(database_url)))
    server.start()
    return server


def studio_settings(database_url: str, study_url: str, **overrides: object) -> StudioSettings:
    values: dict[str, object] = {
        "studio_database_url": database_url,
        "evaluation_url": study_url,
        **overrides,
    }
    return StudioSettings.model_validate(values)


def start_studio(
    settings: StudioSettings, clock: Clock = utcnow, model_queue: ModelJobQueue | None = None
) -> GatewayThread:
    server = GatewayThread(create_studio_app(settings, clock=clock, model_queue=model_queue))
    server.start()
    return server


def signed_in_client(study_url: str, database_url: str, base_url: str) -> httpx.Client:
    """A client of ``base_url`` signed in (at the study service) as a fresh instructor."""
    email = new_instructor(database_url)
    login = httpx.post(
        f"{study_url}/api/instructor/login",
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    return httpx.Client(base_url=base_url, cookies=login.cookies, timeout=30)
