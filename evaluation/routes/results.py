"""The instructor's results and raw-data exports, available once a study is closed."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.analysis import PlotData, Results
from evaluation.audit import Action, record
from evaluation.auth import InstructorDep
from evaluation.deps import NowDep, RowId, SessionDep
from evaluation.export import (
    CODEBOOK,
    codebook_for,
    rows_to_csv,
)
from evaluation.export_events import EVENT_CODEBOOK, stream, write_events
from evaluation.freeze import frozen
from evaluation.models import Instructor, Study, StudyReport
from evaluation.report import CeleryReportQueue, ReportQueue
from evaluation.settings import EvaluationSettings
from evaluation.studies import owned_study
from services.common.errors import ApiError

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/instructor/studies/{study_id}", tags=["results"])


def get_report_queue(request: Request) -> ReportQueue:
    """The app's report queue; by default Celery on ``CNN101_BROKER_URL``, made on first use."""
    queue = getattr(request.app.state, "report_queue", None)
    if queue is None:
        queue = CeleryReportQueue(cast(EvaluationSettings, request.app.state.settings).broker_url)
        request.app.state.report_queue = queue
    return cast(ReportQueue, queue)


ReportQueueDep = Annotated[ReportQueue, Depends(get_report_queue)]
# A build takes seconds; one queued or running this long was lost (say, with its broker),
# so asking again starts a new one instead of waiting for it forever.
REPORT_GIVEN_UP_AFTER = timedelta(minutes=10)
# What a new request overwrites, restored when the queue refuses it (the html stays).
_REPORT_COLUMNS = (
    "build_id",
    "status",
    "percent",
    "step",
    "requested_at",
    "started_at",
    "finished_at",
    "error",
)


class ReportStatus(BaseModel):
    """A report build: ``queued`` → ``running`` (percent, step) → ``done`` or ``failed``."""

    status: str
    percent: int
    step: str
    build_id: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    html_url: str | None


def _report_status(row: StudyReport) -> ReportStatus:
    done = row.status == "done"
    return ReportStatus(
        status=row.status,
        percent=row.percent,
        step=row.step,
        build_id=row.build_id,
        requested_at=row.requested_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        html_url=f"/api/instructor/studies/{row.study_id}/report.html" if done else None,
    )


def _closed(study: Study) -> Study:
    if study.status != "closed":
        raise ApiError(409, "study_not_closed", "outcomes are shown once the study is closed")
    return study


@router.get("/results")
def results(
    study_id: RowId, instructor: InstructorDep, session: SessionDep, now: NowDep, response: Response
) -> Results:
    """The analysis, as frozen when the study closed (``X-Results-SHA256``: of the frozen
    document, the same for every later read)."""
    study = _closed(owned_study(session, instructor, study_id))
    fixed = frozen(session, study, now)
    response.headers["X-Results-SHA256"] = fixed.sha256
    return fixed.results


@router.get("/plots")
def plots(study_id: RowId, instructor: InstructorDep, session: SessionDep, now: NowDep) -> PlotData:
    """The data the dashboard's plots draw (shape in evaluation/README.md), frozen."""
    study = _closed(owned_study(session, instructor, study_id))
    return frozen(session, study, now).plots


@router.post("/report/build", status_code=status.HTTP_202_ACCEPTED)
def start_report(
    *,
    study_id: RowId,
    request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    queue: ReportQueueDep,
    now: NowDep,
) -> ReportStatus:
    """Queue a build of the HTML report; while one is queued or running, return that one."""
    study = _closed(owned_study(session, instructor, study_id))
    # The study row's lock makes two simultaneous requests queue one build, not two.
    session.execute(select(Study.id).where(Study.id == study.id).with_for_update())
    row = session.get(StudyReport, study.id)
    if (
        row is not None
        and row.status in {"queued", "running"}
        and now - row.requested_at < REPORT_GIVEN_UP_AFTER
    ):
        return _report_status(row)
    previous = None if row is None else {c: getattr(row, c) for c in _REPORT_COLUMNS}
    if row is None:
        row = StudyReport(study_id=study.id)
        session.add(row)
    row.build_id, row.status, row.percent, row.step = uuid.uuid4().hex, "queued", 0, "queued"
    row.requested_at, row.started_at, row.finished_at, row.error = now, None, None, None
    record(
        session,
        request,
        now,
        Action.REPORT_BUILD,
        instructor=instructor,
        target=f"study {study.id}",
        detail={"build": row.build_id},
    )
    session.commit()
    try:
        queue.enqueue(study.id, row.build_id)
    except Exception as error:
        logger.warning("report build for study %s not queued: %s", study.id, error)
        if previous is None:
            session.delete(row)
        else:
            for column, value in previous.items():
                setattr(row, column, value)
        session.commit()  # as before the request: a refusal changes nothing
        raise ApiError(
            503, "queue_unavailable", "the report worker's queue cannot be reached; try again"
        ) from None
    return _report_status(row)


def _report_row(session: Session, study: Study) -> StudyReport:
    row = session.get(StudyReport, study.id)
    if row is None:
        raise ApiError(404, "no_report", "no report has been requested for this study")
    return row


@router.get("/report")
def report_status(
    study_id: RowId, instructor: InstructorDep, session: SessionDep
) -> ReportStatus | None:
    """The latest build's state and progress; null when none was asked for yet (200, so
    the results page's first look is not an error in the browser's console)."""
    row = session.get(StudyReport, owned_study(session, instructor, study_id).id)
    return None if row is None else _report_status(row)


@router.get("/report.html", response_class=HTMLResponse)
def report_html(
    *,
    study_id: RowId,
    request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """The finished report: one HTML file, nothing to fetch, no script allowed to run."""
    row = _report_row(session, owned_study(session, instructor, study_id))
    if row.status != "done" or row.html is None:
        raise ApiError(409, "report_not_ready", f"the report is {row.status} ({row.percent} %)")
    html = row.html
    record(
        session,
        request,
        now,
        Action.REPORT_DOWNLOAD,
        instructor=instructor,
        target=f"study {study_id}",
    )
    session.commit()
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Content-Disposition": f'inline; filename="study-{study_id}-report.html"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/export/codebook")
def codebook(
    study_id: RowId, instructor: InstructorDep, session: SessionDep
) -> dict[str, dict[str, str]]:
    owned_study(session, instructor, study_id)
    return {**CODEBOOK, "events": EVENT_CODEBOOK}


def _exported(
    session: Session,
    request: Request,
    instructor: Instructor,
    study_id: int,
    now: datetime,
    *,
    table: str,
    fmt: str,
) -> Study:
    """The instructor's closed study, with the export recorded in the audit log."""
    study = _closed(owned_study(session, instructor, study_id))
    record(
        session,
        request,
        now,
        Action.EXPORT,
        instructor=instructor,
        target=f"study {study.id}",
        detail={"table": table, "format": fmt},
    )
    session.commit()
    return study


@router.get(
    "/export/events.{fmt}",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def export_events(
    *,
    study_id: RowId,
    fmt: Literal["json", "csv"],
    request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> StreamingResponse:
    """One row per interaction event of the learning phase (evaluation/export_events.py)."""
    study = _exported(session, request, instructor, study_id, now, table="events", fmt=fmt)
    spool = write_events(session, study.id, fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return StreamingResponse(
        stream(spool),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="study-{study.id}-events.{fmt}"'},
    )


@router.get(
    "/export/{table}.{fmt}",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def export_table(
    *,
    study_id: RowId,
    table: Literal["answers", "participants", "allocations"],
    fmt: Literal["json", "csv"],
    request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> Any:
    """Tidy raw data: one row per answer, per participant, or per allocated slot, as
    frozen when the study closed."""
    study = _exported(session, request, instructor, study_id, now, table=table, fmt=fmt)
    rows = frozen(session, study, now).export(table)
    book = codebook_for(table, rows)
    if fmt == "json":
        return {"codebook": book, "rows": rows}
    return Response(
        rows_to_csv(rows, list(book)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="study-{study.id}-{table}.csv"'},
    )
