"""Unpublished models are invisible to students and anonymous callers, in listing and serving.

Real services: inference and activations over a models folder holding the default model and
a ``draft`` nobody published, the studio that keeps the published list, the study service
that says who is an instructor, and a gateway in front (its list kept 0.2 s here).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from services.pipeline.architecture import Architecture
from tests.databases import PASSWORD, new_instructor
from tests.exports import export_untrained
from tests.serving.conftest import Stack, own_model_services
from tests.serving.stack import GatewayThread, wait_until
from tests.studio_stack import start_studio, start_study, studio_settings

DRAFT = Architecture(input_size=32, blocks=2, convs_per_block=1, filters=4, kernel_size=3)
DIGEST = "ab" * 32


@dataclass
class Site:
    gateway: str
    study: GatewayThread
    studio: GatewayThread
    admin: httpx.Client  # signed in at the study service: the first instructor

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway, timeout=60)


@pytest.fixture(scope="module")
def site(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("published")
    base_path = root / "models"
    export_untrained(base_path, "tiny_vgg", version=1, seed=11)
    export_untrained(base_path, "draft", version=1, arch=DRAFT, seed=5)
    database_url = f"sqlite:///{root / 'site.db'}"
    study = start_study(database_url)
    studio = start_studio(studio_settings(database_url, study.url, model_base_path=base_path))
    email = new_instructor(database_url)
    login = httpx.post(
        f"{study.url}/api/instructor/login", json={"email": email, "password": PASSWORD}
    )
    assert login.json()["role"] == "admin"
    try:
        with own_model_services(
            stack,
            base_path,
            ["tiny_vgg", "draft"],
            "published",
            model_name="tiny_vgg",
            studio_url=studio.url,
            evaluation_url=study.url,
            published_models_ttl_seconds=0.2,
        ) as own:
            admin = httpx.Client(base_url=own.gateway.url, cookies=login.cookies, timeout=60)
            yield Site(own.gateway.url, study, studio, admin)
    finally:
        studio.stop()
        study.stop()


def draft_routes(client: httpx.Client) -> list[int]:
    """The answers of every route that names the draft model."""
    return [
        client.get("/api/models/draft").status_code,
        client.get("/api/models/draft/versions/1").status_code,
        client.get("/api/models/draft/versions/1/weights").status_code,
        client.get(f"/api/models/draft/versions/1/activations/{DIGEST}").status_code,
        client.get("/api/examples", params={"model": "draft"}).status_code,
        client.post(
            "/api/activations", params={"model": "draft"}, files={"file": ("a.png", b"x")}
        ).status_code,
    ]


def listed(client: httpx.Client) -> list[str]:
    return [m["name"] for m in client.get("/api/models").json()["models"]]


def publish(site: Site, published: bool) -> None:
    answer = site.admin.put("/api/studio/models/draft/published", json={"published": published})
    assert answer.status_code == 200, answer.text


def test_an_unpublished_model_does_not_exist_for_students(site: Site) -> None:
    with site.anonymous() as student:
        assert listed(student) == ["tiny_vgg"]
        assert draft_routes(student) == [404] * 6
        assert student.get("/api/models/draft").json()["error"]["code"] == "not_found"
        # The default model is always there.
        assert student.get("/api/models/tiny_vgg").status_code == 200
        # A cookie that is no instructor's session changes nothing.
        student.cookies.set("cnn101_instructor", "forged.value")
        assert draft_routes(student) == [404] * 6


def test_an_instructor_previews_it_before_publishing(site: Site) -> None:
    assert site.admin.get("/api/models/draft").status_code == 200
    assert site.admin.get("/api/models/draft/versions/1/weights").status_code == 200
    examples = site.admin.get("/api/examples", params={"model": "draft"})
    assert examples.status_code == 200


def test_publishing_shows_it_and_withdrawing_hides_it_again(site: Site) -> None:
    with site.anonymous() as student:
        publish(site, True)
        wait_until(lambda: "draft" in listed(student), "the draft is listed once published")
        assert student.get("/api/models/draft").status_code == 200
        publish(site, False)
        wait_until(lambda: "draft" not in listed(student), "the draft is hidden again")
        assert student.get("/api/models/draft").status_code == 404


def test_with_the_studio_away_the_last_list_stays(site: Site) -> None:
    with site.anonymous() as student:
        publish(site, True)
        wait_until(lambda: "draft" in listed(student), "the draft is listed once published")
        site.studio.stop()
        for _ in range(3):
            assert sorted(listed(student)) == ["draft", "tiny_vgg"]
            assert student.get("/api/models/draft").status_code == 200
