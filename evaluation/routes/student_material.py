"""A conventional-arm student's uploaded material during the learning phase.

``GET /api/student/material`` (the participant's token) answers with a URL signed for this
student until their learning phase ends; the file route checks only that signature, so a
``<video>``/``<iframe>`` (which cannot send the token header) loads it, Range requests
seek, and no database connection is held while hundreds of megabytes stream (the route is
exempt from the admission limit, evaluation/admission.py). Refused: a student of the
explorer arm, of a study using the built-in tutorial, or without a condition (404
``no_material``); outside the learning phase (409 ``wrong_step``); a missing, forged or
expired signature (403 ``material_link_invalid``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from itsdangerous import BadSignature, URLSafeSerializer

from evaluation import flow, materials
from evaluation.auth import ParticipantDep
from evaluation.deps import NowDep, SessionDep, SettingsDep
from evaluation.material_schemas import StudentMaterial
from evaluation.routes.materials import file_response
from evaluation.settings import EvaluationSettings
from services.common.errors import ApiError

router = APIRouter(prefix="/api/student", tags=["student"])
FILE_PATH = "/api/student/material/file"


def _signer(settings: EvaluationSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.signing_key, salt="student-material")


@router.get("/material")
def student_material(
    participant: ParticipantDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> StudentMaterial:
    """The uploaded material of the student's conventional arm, while they are learning."""
    material = materials.study_material(session, participant.study_id)
    if participant.condition != "conventional" or material is None:
        raise ApiError(404, "no_material", "there is no uploaded material for you to study")
    grace = timedelta(seconds=settings.evaluation_grace_seconds)
    step = flow.current_step(session, participant, now, grace)
    attempt = flow.attempts_by_phase(session, participant).get("learning")
    if step != "learning" or attempt is None:
        where = "the learning phase has not started" if step == "learning" else f"you are at {step}"
        raise ApiError(409, "wrong_step", f"the material is shown while learning; {where}")
    ticket = {
        "p": participant.id,
        "s": material.sha256,
        "k": material.kind,
        "m": material.media_type,
        "e": (attempt.deadline_at + grace).timestamp(),
    }
    return StudentMaterial(
        kind="pdf" if material.kind == "pdf" else "video",
        title=material.title,
        media_type=material.media_type,
        size_bytes=material.size_bytes,
        url=f"{FILE_PATH}?ticket={_signer(settings).dumps(ticket)}",
    )


@router.get(
    "/material/file",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "video/mp4": {}, "video/webm": {}}}},
)
async def student_material_file(
    ticket: Annotated[str, Query(min_length=1, max_length=1000)],
    settings: SettingsDep,
    now: NowDep,
) -> FileResponse:
    """The file of a signed link from ``GET /material``, until the learning phase ends."""
    data = _ticket(ticket, settings, now)
    return file_response(str(data["s"]), str(data["k"]), str(data["m"]), settings)


def _ticket(ticket: str, settings: EvaluationSettings, now: datetime) -> dict[str, Any]:
    refused = ApiError(
        403, "material_link_invalid", "this link to the material is not valid (any more)"
    )
    try:
        data = _signer(settings).loads(ticket)
    except BadSignature:
        raise refused from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), float | int):
        raise refused
    if now.timestamp() > float(data["e"]):
        raise refused
    return data
