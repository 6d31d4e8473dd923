"""The study's and the model studio's endpoints, forwarded (one origin for the browser).

``/api/student/...`` and ``/api/instructor/...`` go to the study service
(``CNN101_EVALUATION_URL``), ``/api/studio/...`` to the model studio
(``CNN101_STUDIO_URL``), with their method, query, body, cookies and content type, and come
back with the service's status, body and cookies. When a service is unreachable, the
browser gets the gateway's 503 with ``Retry-After``: a stored answer is never acknowledged
unless the service stored it.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from services.common.errors import NOT_FOUND_MESSAGE, ApiError, error_responses
from services.gateway.forwarding import Forwarder, UpstreamUnavailableError
from services.gateway.state import StateDep

router = APIRouter(tags=["study"])

FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "cookie",
    "authorization",
    "accept",
    "idempotency-key",
    "x-csrf-token",
)
FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "set-cookie",
    "cache-control",
    "retry-after",
    "content-disposition",
    "location",
    "etag",
    # The study report (one HTML file with inline CSS) brings its own, stricter policy.
    "content-security-policy",
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UNAVAILABLE_MESSAGES = {
    "study": "The study server is not reachable right now; your answers so far are saved. "
    "The page will try again in a moment.",
    "studio": "The model studio is not reachable right now; nothing was changed. "
    "Try again in a moment.",
}


async def _forward(
    request: Request, forwarder: Forwarder, path: str, retry_after: int, what: str
) -> Response:
    if any(segment in (".", "..") for segment in path.replace("\\", "/").split("/")):
        # `..%2f` arrives decoded: resolved anywhere downstream, it would leave the prefix
        # this route forwards (and reach the service's own documents).
        raise ApiError(404, "not_found", NOT_FOUND_MESSAGE)
    headers = {k: v for k in FORWARDED_REQUEST_HEADERS if (v := request.headers.get(k))}
    if request.client is not None:
        # Who is asking, for the service's own per-client limits (uvicorn trusts it from the
        # gateway's address only: CNN101_*_TRUSTED_PROXIES / --forwarded-allow-ips).
        headers["x-forwarded-for"] = request.client.host
    # The decoded path may hold characters a URL cannot (control characters): forward it
    # percent-encoded, so the service answers 404, not us 500. The query goes on as the
    # browser encoded it.
    target = quote(path, safe="/")
    if query := request.scope.get("query_string", b"").decode("latin-1"):
        target += "?" + quote(query, safe="/?&=%+:@,;!$'()*~")
    try:
        upstream = await forwarder.send(request.method, target, await request.body(), headers)
    except UpstreamUnavailableError as error:
        raise ApiError(
            503,
            f"{what}_unavailable",
            UNAVAILABLE_MESSAGES[what],
            {"Retry-After": str(retry_after)},
        ) from error
    response = Response(content=upstream.body, status_code=upstream.status)
    for name in FORWARDED_RESPONSE_HEADERS:
        for value in upstream.headers.getall(name, ()):
            response.headers.append(name, value)
    return response


async def student(rest: str, request: Request, state: StateDep) -> Response:
    """A student's study step (join, consent, quizzes, questionnaire): see evaluation/."""
    return await _forward(
        request,
        state.study_forwarder,
        f"/api/student/{rest}",
        state.settings.retry_after_seconds,
        "study",
    )


async def instructor(rest: str, request: Request, state: StateDep) -> Response:
    """The instructor's study management and results: see evaluation/."""
    return await _forward(
        request,
        state.study_forwarder,
        f"/api/instructor/{rest}",
        state.settings.retry_after_seconds,
        "study",
    )


async def studio(rest: str, request: Request, state: StateDep) -> Response:
    """The model studio (data sets, training, imports, publishing): see services/studio/."""
    return await _forward(
        request,
        state.studio_forwarder,
        f"/api/studio/{rest}",
        state.settings.retry_after_seconds,
        "studio",
    )


# One route per method, so that each has its own OpenAPI operation id (one route with
# several methods gives them all the same id, which OpenAPI forbids).
for _prefix, _forwarder in (("student", student), ("instructor", instructor), ("studio", studio)):
    for _method in METHODS:
        router.add_api_route(
            f"/api/{_prefix}/{{rest:path}}",
            _forwarder,
            methods=[_method],
            operation_id=f"forward_{_prefix}_{_method.lower()}",
            response_class=Response,
            responses=error_responses(503),
        )
