"""The study database: typed SQLAlchemy 2 tables; the migrations reproduce exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CONDITIONS = ("cnn101", "conventional")
FORMS = ("A", "B")
FORM_ORDERS = ("AB", "BA")
QUIZ_PHASES = ("pre", "post")
PHASES = ("pre", "learning", "post")
CONSENT_CHOICES = ("participate", "no_data", "decline")
STUDY_STATUSES = ("draft", "open", "closed")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps always UTC-aware, also on SQLite, which stores them without a zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime refused: use UTC-aware timestamps")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Instructor(Base):
    __tablename__ = "instructor"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Part of every session cookie; logout increments it, so a copied cookie dies too.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")


class Study(Base):
    __tablename__ = "study"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
        CheckConstraint("learning_seconds > 0", name="learning_positive"),
        CheckConstraint("pre_test_seconds > 0 AND post_test_seconds > 0", name="quiz_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("instructor.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    consent_text: Mapped[str] = mapped_column(Text)
    learning_seconds: Mapped[int] = mapped_column(Integer)
    pre_test_seconds: Mapped[int] = mapped_column(Integer)
    post_test_seconds: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    assignment_seed: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Item(Base):
    """A multiple-choice item of form A or B; parallel items share a concept."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("form", "position"),
        CheckConstraint("form IN ('A', 'B')", name="form"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    form: Mapped[str] = mapped_column(String(1))
    position: Mapped[int] = mapped_column(Integer)
    concept: Mapped[str] = mapped_column(String(60), index=True)
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    correct_index: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AllocationCounter(Base):
    """The next free slot of one block sequence (form order, or condition per stratum)."""

    __tablename__ = "allocation_counter"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    stratum: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_index: Mapped[int] = mapped_column(Integer, default=0)


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        UniqueConstraint("study_id", "form_slot"),
        UniqueConstraint("study_id", "stratum", "condition_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consent: Mapped[str | None] = mapped_column(String(12))
    prior_ml: Mapped[bool | None] = mapped_column(Boolean)
    form_order: Mapped[str | None] = mapped_column(String(2))
    form_slot: Mapped[int | None] = mapped_column(Integer)
    stratum: Mapped[str | None] = mapped_column(String(40))
    condition: Mapped[str | None] = mapped_column(String(20))
    condition_slot: Mapped[int | None] = mapped_column(Integer)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attempts: Mapped[list[PhaseAttempt]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", passive_deletes=True
    )


class PhaseAttempt(Base):
    """The one attempt a participant has at a phase; its deadline is fixed at the start."""

    __tablename__ = "phase_attempt"
    __table_args__ = (UniqueConstraint("participant_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(10))
    form: Mapped[str | None] = mapped_column(String(1))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_reason: Mapped[str | None] = mapped_column(String(12))

    participant: Mapped[Participant] = relationship(back_populates="attempts")


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("participant_id", "item_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"))
    phase: Mapped[str] = mapped_column(String(10))
    choice_index: Mapped[int] = mapped_column(Integer)
    is_correct: Mapped[bool] = mapped_column(Boolean)
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Milliseconds since the phase started, measured by the server.
    elapsed_ms: Mapped[int] = mapped_column(Integer)


class InteractionEvent(Base):
    __tablename__ = "interaction_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    client_time_ms: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class QuestionnaireResponse(Base):
    __tablename__ = "questionnaire_response"
    __table_args__ = (
        CheckConstraint("umux_capabilities BETWEEN 1 AND 7", name="umux_capabilities"),
        CheckConstraint("umux_ease BETWEEN 1 AND 7", name="umux_ease"),
        CheckConstraint("mental_effort BETWEEN 1 AND 9", name="mental_effort"),
    )

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    umux_capabilities: Mapped[int] = mapped_column(Integer)
    umux_ease: Mapped[int] = mapped_column(Integer)
    mental_effort: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


REPORT_STATUSES = ("queued", "running", "done", "failed")


class StudyReport(Base):
    """The HTML report of a closed study, built by the worker; one per study, rebuilt on request.

    ``build_id`` is the Celery task id of the build that owns the row: a build that finds
    another id has been superseded and stops, so a redelivered task cannot overwrite a newer one.
    """

    __tablename__ = "study_report"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),
    )

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    build_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    percent: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)


# --- model studio ------------------------------------------------------------------------

MODEL_JOB_KINDS = ("train", "import")
MODEL_JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class StudioDataset(Base):
    """An instructor's validated zip (one folder per class), kept as a blob.

    A blob in the database rather than a file: the worker that trains on it needs no
    volume shared with the evaluation service.
    """

    __tablename__ = "studio_dataset"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instructor_id: Mapped[int | None] = mapped_column(
        ForeignKey("instructor.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(255))
    classes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    images: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list[str]] = mapped_column(JSON)
    size_bytes: Mapped[int] = mapped_column(Integer)
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelJob(Base):
    """A training or import run on the ``models`` queue, with its progress and outcome.

    ``cancel_requested`` is what the worker's training loop polls; ``heartbeat_at`` tells
    a running job from one whose worker died, and ``attempts`` counts deliveries.
    """

    __tablename__ = "model_job"
    __table_args__ = (
        CheckConstraint("kind IN ('train', 'import')", name="kind"),
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40), index=True)
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
    """Whether students may pick a model (by name; absent means not published)."""

    __tablename__ = "published_model"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
