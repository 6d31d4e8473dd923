"""The instructor's results and raw-data exports, available once a study is closed."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from evaluation.analysis import Results, analyse
from evaluation.auth import InstructorDep
from evaluation.deps import RowId, SessionDep
from evaluation.errors import ApiError
from evaluation.export import (
    ANSWER_CODEBOOK,
    CODEBOOK,
    PARTICIPANT_CODEBOOK,
    answer_rows,
    participant_rows,
    rows_to_csv,
)
from evaluation.models import Study
from evaluation.studies import owned_study

router = APIRouter(prefix="/api/instructor/studies/{study_id}", tags=["results"])


def _closed(study: Study) -> Study:
    if study.status != "closed":
        raise ApiError(409, "study_not_closed", "outcomes are shown once the study is closed")
    return study


@router.get("/results")
def results(study_id: RowId, instructor: InstructorDep, session: SessionDep) -> Results:
    study = _closed(owned_study(session, instructor, study_id))
    return analyse(session, study.id)


@router.get("/export/codebook")
def codebook(
    study_id: RowId, instructor: InstructorDep, session: SessionDep
) -> dict[str, dict[str, str]]:
    owned_study(session, instructor, study_id)
    return CODEBOOK


@router.get("/export/{table}.{fmt}")
def export_table(
    *,
    study_id: RowId,
    table: Literal["answers", "participants"],
    fmt: Literal["json", "csv"],
    instructor: InstructorDep,
    session: SessionDep,
) -> Any:
    """Tidy raw data: one row per answer, or one row per participant."""
    study = _closed(owned_study(session, instructor, study_id))
    if table == "answers":
        rows, book = answer_rows(session, study.id), ANSWER_CODEBOOK
    else:
        rows, book = participant_rows(session, study.id), PARTICIPANT_CODEBOOK
    if fmt == "json":
        return {"codebook": book, "rows": rows}
    return Response(
        rows_to_csv(rows, list(book)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="study-{study.id}-{table}.csv"'},
    )
