"""Property-based fuzzing of both HTTP APIs from their own OpenAPI documents (schemathesis).

Every operation of the gateway and of the evaluation service gets generated requests,
valid and invalid, sent over HTTP to the running processes: no response is a 5xx, and every
response matches what the document promises (status, content type, body schema). The
evaluation service is called with a real student token and a real instructor session, so
the requests reach past the authentication into the handlers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.evaluation.conftest import PASSWORD
from tests.reliability.platform import ProcessPlatform
from tests.reliability.study import add_instructor

# The study's material upload takes the file itself as the body (a PDF or a video): sent
# as raw bytes, like application/octet-stream.
schemathesis.serializer.alias(
    ["application/pdf", "video/mp4", "video/webm"], "application/octet-stream"
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 25


@pytest.fixture(scope="module")
def gateway_schema(platform: ProcessPlatform) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{platform.gateway_url}/openapi.json")


@pytest.fixture(scope="module")
def evaluation_schema(platform: ProcessPlatform) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{platform.evaluation_url}/openapi.json")


@pytest.fixture(scope="module")
def studio_schema(platform: ProcessPlatform) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{platform.studio_url}/openapi.json")


@pytest.fixture(scope="module")
def credentials(platform: ProcessPlatform) -> dict[str, str]:
    """A student of an open study (pre-test started) and its instructor's session cookie."""
    email = add_instructor(platform.database_url)
    with httpx.Client(base_url=platform.evaluation_url, timeout=30) as admin:
        login = admin.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        study = admin.post(
            "/api/instructor/studies", json={"title": "fuzzed", "consent_text": "ok"}
        ).json()
        assert admin.post(f"/api/instructor/studies/{study['id']}/open").status_code == 200
        token = admin.post("/api/student/join", json={"code": study["join_code"]}).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        consent = {"choice": "participate", "prior_ml": False}
        assert admin.post("/api/student/consent", json=consent, headers=bearer).status_code == 204
        assert admin.post("/api/student/phases/pre/start", headers=bearer).status_code == 200
        cookie = admin.cookies["cnn101_instructor"]
    return {"Authorization": f"Bearer {token}", "Cookie": f"cnn101_instructor={cookie}"}


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def fuzz(
    schema: OpenApiSchema, base_url: str, headers: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    """Generated requests (valid and invalid) for every operation; the number sent and a
    line per distinct failed check. (Schemathesis' pytest plugin does not load under
    pytest 9, so the cases are drawn here with Hypothesis directly.)"""
    sent = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document is broken: {result}"
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            count, found = fuzz_operation(operation, mode, base_url, headers)
            sent += count
            failures.extend(found)
    return sent, failures


def fuzz_operation(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str] | None
) -> tuple[int, list[str]]:
    sent = 0
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ_SETTINGS
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        except (Exception, BaseExceptionGroup) as error:  # failed checks, grouped
            first = " | ".join(str(error).strip().splitlines()[:8])
            key = f"{operation.label} [{mode.value}]: {first}"
            if key not in failures:
                failures.append(key)

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid
        assert mode is GenerationMode.NEGATIVE, operation.label
    return sent, failures


def test_gateway_api(gateway_schema: OpenApiSchema, platform: ProcessPlatform) -> None:
    sent, failures = fuzz(gateway_schema, platform.gateway_url)
    print(f"gateway: {sent} generated requests, {len(failures)} distinct failures")
    assert not failures, "\n".join(failures)


def test_evaluation_api(
    evaluation_schema: OpenApiSchema, platform: ProcessPlatform, credentials: dict[str, str]
) -> None:
    sent, failures = fuzz(evaluation_schema, platform.evaluation_url, credentials)
    print(f"evaluation: {sent} generated requests, {len(failures)} distinct failures")
    assert not failures, "\n".join(failures)


def test_studio_api(
    studio_schema: OpenApiSchema, platform: ProcessPlatform, credentials: dict[str, str]
) -> None:
    sent, failures = fuzz(studio_schema, platform.studio_url, credentials)
    print(f"studio: {sent} generated requests, {len(failures)} distinct failures")
    assert not failures, "\n".join(failures)
