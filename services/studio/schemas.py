"""The model studio's request and response bodies (its OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.jobs import JobKind, JobStatus
from services.common.model_store import Source

# A model name a student may see; lower case, digits and underscores.
SLUG = r"^[a-z][a-z0-9_]{1,39}$"
# Any model folder may be published, also one copied in by hand (importing allows "-").
MODEL_FOLDER = r"^[a-z0-9][a-z0-9_-]{0,39}$"
JOB_ID = r"^[0-9a-f]{32}$"
DATASET_ID = JOB_ID


class ModelEntry(BaseModel):
    name: str
    title: str
    versions: list[int]
    latest: int
    source: Source
    classes: list[str]
    accuracy: float | None
    published: bool
    card: str
    created_at: datetime
    # The instructor whose first job claimed the name (None: the admin's alone).
    owner_id: int | None
    # The colleagues the owner shares it with (instructor ids).
    shared_with: list[int]
    # Whether the caller may publish it or add versions (owner, a colleague it is shared
    # with, or the admin; never the default), and whether they may share it (owner, admin).
    may_manage: bool
    may_share: bool


class ModelList(BaseModel):
    default: str
    models: list[ModelEntry]


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    published: bool


class DatasetClass(BaseModel):
    name: str
    images: int


DatasetStatus = Literal["checking", "ready", "invalid"]


class DatasetInfo(BaseModel):
    """A data set: ``checking`` until its worker is done, then ``ready`` or ``invalid``."""

    dataset_id: str
    filename: str
    status: DatasetStatus
    # Why the zip cannot be used (``invalid`` only).
    error: str | None
    classes: list[DatasetClass]
    images: int
    warnings: list[str]
    created_at: datetime
    checked_at: datetime | None


class DatasetList(BaseModel):
    datasets: list[DatasetInfo]


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instructor_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=100)


class TrainRequest(BaseModel):
    """A variant to train; every bound is the studio's, so a class-sized job stays short."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SLUG)
    title: str | None = Field(default=None, min_length=1, max_length=80)
    dataset: str = Field(pattern=r"^(builtin|[0-9a-f]{32})$")
    blocks: int = Field(ge=1, le=4)
    convs_per_block: int = Field(ge=1, le=3)
    filters: int = Field(ge=2, le=32)
    kernel_size: Literal[3, 5]
    input_size: int = Field(ge=32, le=64)
    epochs: int = Field(ge=1, le=60)

    @field_validator("input_size")
    @classmethod
    def _multiple_of_eight(cls, value: int) -> int:
        if value % 8:
            raise ValueError("must be a multiple of 8 (32, 40, 48, 56 or 64)")
        return value


class EpochRecord(BaseModel):
    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float


class JobProgress(BaseModel):
    epoch: int
    epochs: int
    history: list[EpochRecord]


class JobResult(BaseModel):
    name: str
    version: int
    accuracy: float | None


class Job(BaseModel):
    job_id: str
    kind: JobKind
    name: str
    status: JobStatus
    config: dict[str, Any]
    progress: JobProgress
    error: str | None
    result: JobResult | None
    created_at: datetime
    finished_at: datetime | None
    owner_id: int | None


class JobList(BaseModel):
    jobs: list[Job]


class StudentModel(BaseModel):
    name: str
    title: str
    latest: int
    classes: list[str]
    accuracy: float | None


class StudentModelList(BaseModel):
    default: str
    models: list[StudentModel]
