"""Instructors' own data sets: a zip with one folder per class, stored, then checked.

The upload is answered at once (202, ``checking``); the zip is checked in a worker process
(services/studio/dataset_checks.py) and the dashboard follows ``GET .../datasets/{id}``
until it is ``ready`` or ``invalid``. Only a ready data set can be trained on.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Annotated, cast

from fastapi import APIRouter, Path, Request, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import defer

from services.common.errors import ApiError
from services.studio.audit import Action, record
from services.studio.auth import Instructor, InstructorDep
from services.studio.dataset_checks import DatasetChecker
from services.studio.deps import NowDep, SessionDep, SettingsDep
from services.studio.models import StudioDataset
from services.studio.schemas import (
    DATASET_ID,
    DatasetClass,
    DatasetInfo,
    DatasetList,
    DatasetStatus,
)
from services.studio.uploads import read_capped

router = APIRouter(prefix="/api/studio", tags=["model studio"])
DatasetIdPath = Annotated[str, Path(pattern=DATASET_ID)]
CHECK_RETRY_SECONDS = 10


def _info(row: StudioDataset) -> DatasetInfo:
    return DatasetInfo(
        dataset_id=row.id,
        filename=row.filename,
        status=cast(DatasetStatus, row.status),
        error=row.error,
        classes=[DatasetClass.model_validate(c) for c in row.classes],
        images=row.images,
        warnings=list(row.warnings),
        created_at=row.created_at,
        checked_at=row.checked_at,
    )


@router.post("/datasets", status_code=status.HTTP_202_ACCEPTED)
async def upload_dataset(
    *,
    file: UploadFile,
    request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> DatasetInfo:
    """Keep a zip (one folder per class) and check it in the background."""
    checker = cast(DatasetChecker, request.app.state.dataset_checker)
    data = await read_capped(file, settings.studio_max_zip_bytes, "the zip")
    if checker.pending() >= settings.studio_max_pending_checks:
        raise ApiError(
            503,
            "checks_busy",
            "several zips are being checked; upload this one again in a few seconds",
            {"Retry-After": str(CHECK_RETRY_SECONDS)},
        )
    dataset = StudioDataset(
        id=uuid.uuid4().hex,
        instructor_id=instructor.id,
        filename=PurePosixPath((file.filename or "dataset.zip").replace("\\", "/")).name[:255],
        classes=[],
        images=0,
        warnings=[],
        size_bytes=len(data),
        archive=data,
        created_at=now,
        status="checking",
    )
    session.add(dataset)
    record(
        session,
        request,
        now,
        Action.DATASET_UPLOAD,
        instructor,
        target=f"dataset {dataset.id}",
        detail={"bytes": len(data), "file": dataset.filename},
    )
    session.commit()
    checker.start(dataset.id)
    return _info(dataset)


def _visible(row: StudioDataset | None, instructor: Instructor, dataset_id: str) -> StudioDataset:
    if row is None or not instructor.may_act_on(row.instructor_id):
        raise ApiError(404, "unknown_dataset", f"no data set {dataset_id}")
    return row


@router.get("/datasets/{dataset_id}")
def get_dataset(
    dataset_id: DatasetIdPath, instructor: InstructorDep, session: SessionDep
) -> DatasetInfo:
    """One data set: ``checking``, ``ready`` (its classes) or ``invalid`` (why)."""
    return _info(_visible(session.get(StudioDataset, dataset_id), instructor, dataset_id))


@router.get("/datasets")
def list_datasets(instructor: InstructorDep, session: SessionDep) -> DatasetList:
    """This instructor's data sets (the admin's: everyone's), newest first."""
    query = select(StudioDataset).order_by(StudioDataset.created_at.desc()).limit(200)
    if not instructor.is_admin:
        query = query.where(StudioDataset.instructor_id == instructor.id)
    # The archive column is not loaded: a list must not read every zip.
    rows = session.scalars(query.options(defer(StudioDataset.archive)))
    return DatasetList(datasets=[_info(row) for row in rows])
