"""The study's pre-registration, byte for byte as it was written when the study opened."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from evaluation.auth import InstructorDep
from evaluation.deps import RowId, SessionDep
from evaluation.models import Study, StudyPreregistration
from evaluation.studies import owned_study
from services.common.errors import ApiError

router = APIRouter(prefix="/api/instructor/studies/{study_id}", tags=["preregistration"])


def registered(session: Session, study: Study) -> StudyPreregistration:
    """The study's stored pre-registration; 404 with the reason when there is none."""
    if study.status == "draft":
        raise ApiError(
            404,
            "no_preregistration",
            "a draft has no pre-registration yet: it is written when the study opens",
        )
    row = session.get(StudyPreregistration, study.id)
    if row is None:
        raise ApiError(
            404,
            "no_preregistration",
            "this study opened before pre-registrations were written (migration 0010)",
        )
    return row


@router.get(
    "/preregistration.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def preregistration(study_id: RowId, instructor: InstructorDep, session: SessionDep) -> Response:
    """The stored document (not re-serialised: its bytes are what the SHA-256 in ``ETag``,
    the results and the report name), as a download to deposit, e.g. on OSF; 404 for a
    draft, which has none yet."""
    study = owned_study(session, instructor, study_id)
    row = registered(session, study)
    return Response(
        row.content.encode(),
        media_type="application/json",
        headers={
            "ETag": f'"{row.sha256}"',
            "Content-Disposition": (
                f'attachment; filename="study-{study.id}-preregistration.json"'
            ),
            "Cache-Control": "no-store",
        },
    )
