"""Instructors' own data sets: a zip with one folder per class, validated, then kept."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from fastapi import APIRouter, UploadFile, status
from sqlalchemy import select

from services.common.errors import ApiError
from services.pipeline.custom_data import DatasetLimits, InvalidDatasetError, inspect_zip
from services.studio.auth import InstructorDep
from services.studio.deps import NowDep, SessionDep, SettingsDep
from services.studio.models import StudioDataset
from services.studio.schemas import DatasetClass, DatasetCreated, DatasetInfo, DatasetList
from services.studio.settings import StudioSettings
from services.studio.uploads import read_capped

router = APIRouter(prefix="/api/studio", tags=["model studio"])


def dataset_limits(settings: StudioSettings) -> DatasetLimits:
    return DatasetLimits(
        max_zip_bytes=settings.studio_max_zip_bytes,
        max_uncompressed_bytes=settings.studio_max_unzipped_bytes,
        max_files=settings.studio_max_files,
        min_images_per_class=settings.studio_min_images_per_class,
        max_images_per_class=settings.studio_max_images_per_class,
        max_classes=settings.studio_max_classes,
        max_image_pixels=settings.studio_max_image_pixels,
    )


@router.post("/datasets", status_code=status.HTTP_201_CREATED)
async def upload_dataset(
    file: UploadFile,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> DatasetCreated:
    """Validate a zip (one folder per class) and keep it for training."""
    data = await read_capped(file, settings.studio_max_zip_bytes, "the zip")
    try:
        summary = inspect_zip(data, dataset_limits(settings))
    except InvalidDatasetError as error:
        raise ApiError(400, "invalid_dataset", str(error)) from None
    classes = [{"name": c.name, "images": c.images} for c in summary.classes]
    dataset = StudioDataset(
        id=uuid.uuid4().hex,
        instructor_id=instructor.id,
        filename=PurePosixPath(file.filename or "dataset.zip").name[:255],
        classes=classes,
        images=summary.images,
        warnings=list(summary.warnings),
        size_bytes=len(data),
        archive=data,
        created_at=now,
    )
    session.add(dataset)
    session.commit()
    return DatasetCreated(
        dataset_id=dataset.id,
        classes=[DatasetClass.model_validate(c) for c in classes],
        images=summary.images,
        warnings=list(summary.warnings),
    )


@router.get("/datasets")
def list_datasets(instructor: InstructorDep, session: SessionDep) -> DatasetList:
    """This instructor's data sets, newest first (without their images)."""
    rows = session.execute(
        select(
            StudioDataset.id, StudioDataset.classes, StudioDataset.images, StudioDataset.created_at
        )
        .where(StudioDataset.instructor_id == instructor.id)
        .order_by(StudioDataset.created_at.desc())
    ).all()
    return DatasetList(
        datasets=[
            DatasetInfo(
                dataset_id=row.id,
                classes=[DatasetClass.model_validate(c) for c in row.classes],
                images=row.images,
                created_at=row.created_at,
            )
            for row in rows
        ]
    )
