"""The model studio's tables; its migrations (services/studio/migrations) reproduce them.

An owner is the id of an instructor of the study service, kept as a plain number: the
studio asks the study service who a session belongs to and joins no table of its. A row
whose owner is unknown (made before owners existed) belongs to the admin alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.jobs import JobKind, JobStatus
from services.database.audit import AuditColumns
from services.database.schema import UTCDateTime, naming_metadata, utcnow


def _one_of(column: str, values: type[JobKind] | type[JobStatus]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"


class Base(DeclarativeBase):
    metadata = naming_metadata()


DATASET_STATUSES = ("checking", "ready", "invalid")


class StudioDataset(Base):
    """An instructor's zip (one folder per class), kept as a blob once it is checked.

    A blob in the database rather than a file: the worker that trains on it needs no
    volume shared with the studio service. An upload is stored as ``checking``; the check
    (off the request's event loop) makes it ``ready`` or ``invalid`` with ``error``.
    """

    __tablename__ = "studio_dataset"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in DATASET_STATUSES)})", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instructor_id: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    classes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    images: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list[str]] = mapped_column(JSON)
    size_bytes: Mapped[int] = mapped_column(Integer)
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="ready", server_default="ready")
    error: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModelJob(Base):
    """A training or import run on the ``models`` queue, with its progress and outcome.

    ``cancel_requested`` is what the worker's training loop polls; ``heartbeat_at`` tells
    a running job from one whose worker died, and ``attempts`` counts deliveries.
    """

    __tablename__ = "model_job"
    __table_args__ = (
        CheckConstraint(_one_of("kind", JobKind), name="kind"),
        CheckConstraint(_one_of("status", JobStatus), name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(10))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    task_id: Mapped[str | None] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    files: Mapped[list[ModelJobFile]] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True
    )


class ModelJobFile(Base):
    """One uploaded file of an import job (a .keras/.h5, or model.json and its shards)."""

    __tablename__ = "model_job_file"
    __table_args__ = (UniqueConstraint("job_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("model_job.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    job: Mapped[ModelJob] = relationship(back_populates="files")


class PublishedModel(Base):
    """A studio model by name: its owner, and whether students may pick it.

    The first job under a name claims it for its instructor (``owner_id``); absent, or
    with no owner, a name belongs to the admin alone and is not published.
    """

    __tablename__ = "published_model"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelShare(Base):
    """A colleague the owner of a model name shares it with: they may publish it and add
    versions under it, as the owner may (but not share it further)."""

    __tablename__ = "model_share"

    name: Mapped[str] = mapped_column(
        ForeignKey("published_model.name", ondelete="CASCADE"), primary_key=True
    )
    instructor_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class StudioAuditEntry(AuditColumns, Base):
    """The studio's append-only audit log (publishes, imports, trainings, cancels)."""

    __tablename__ = "studio_audit_entry"
