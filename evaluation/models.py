"""The study database: typed SQLAlchemy 2 tables; the migrations reproduce exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.database.audit import AuditColumns
from services.database.schema import UTCDateTime, naming_metadata, utcnow

CONDITIONS = ("cnn101", "conventional")
FORMS = ("A", "B")
FORM_ORDERS = ("AB", "BA")
QUIZ_PHASES = ("pre", "post")
PHASES = ("pre", "learning", "post")
CONSENT_CHOICES = ("participate", "no_data", "decline")
STUDY_STATUSES = ("draft", "open", "closed")


class Base(DeclarativeBase):
    metadata = naming_metadata()


class Instructor(Base):
    __tablename__ = "instructor"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Part of every session cookie; logout increments it, so a copied cookie dies too.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # The admin (the first instructor) sees and acts on every study and studio resource.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    # 1: form order in one sequence, condition per stratum (studies made before migration
    # 0007); 2: form order per prior-ML group, condition per stratum x form order, so each
    # condition gets both orders equally often (evaluation/assignment.py).
    design_version: Mapped[int] = mapped_column(Integer, default=2, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many students the instructor expects to take both tests: the power plan of the
    # pre-registration (null: not given, the plan assumes 40; evaluation/preregistration.py).
    expected_students: Mapped[int | None] = mapped_column(Integer)
    # The course sections the students come from (e.g. ["Mon 9:00", "Tue 14:00"]), each
    # its own stratum (evaluation/sections.py); null or empty: none, as before migration 0011.
    sections: Mapped[list[str] | None] = mapped_column(JSON)

    owner: Mapped[Instructor] = relationship()
    preregistration: Mapped[StudyPreregistration | None] = relationship(viewonly=True)
    shares: Mapped[list[StudyShare]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="StudyShare.instructor_id"
    )


class StudyShare(Base):
    """A colleague the owner shares a study with: they run it and read its results as the
    owner does (but do not share it further)."""

    __tablename__ = "study_share"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    instructor_id: Mapped[int] = mapped_column(
        ForeignKey("instructor.id", ondelete="CASCADE"), primary_key=True
    )


class Item(Base):
    """One version of a multiple-choice item of form A or B; parallel items share a concept.

    ``key`` names the item's lineage: an edit of a version a study used (answers or a
    study's snapshot refer to it) adds a row with the same key and ``version`` + 1, so
    what a study used never changes (evaluation/items/versions.py). ``is_current`` marks
    the version the bank offers to new studies (none once retired); among current
    versions keys and form positions are unique. ``owner_id`` null: built-in, read-only.
    """

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("form IN ('A', 'B')", name="form"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(
            "uq_item_current_key",
            "key",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current"),
        ),
        Index(
            "uq_item_current_form_position",
            "form",
            "position",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("instructor.id", ondelete="RESTRICT"), index=True
    )
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    form: Mapped[str] = mapped_column(String(1))
    position: Mapped[int] = mapped_column(Integer)
    concept: Mapped[str] = mapped_column(String(60), index=True)
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    correct_index: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[Instructor | None] = relationship()


class StudyItem(Base):
    """The exact item versions a study uses, taken when it opens: its forms from then on.

    Students' pages, scoring, analysis, exports and the freeze read these rows, never the
    live bank, so later edits or new items cannot change an open or closed study.
    """

    __tablename__ = "study_item"
    __table_args__ = (UniqueConstraint("study_id", "form", "position"),)

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    form: Mapped[str] = mapped_column(String(1))
    position: Mapped[int] = mapped_column(Integer)


class AllocationCounter(Base):
    """The next free slot of one block sequence (form order, or condition per stratum)."""

    __tablename__ = "allocation_counter"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    stratum: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_index: Mapped[int] = mapped_column(Integer, default=0)


class AllocationLog(Base):
    """Every slot ever taken of every sequence, kept when its participant withdraws (the
    row then names nobody), so the randomisation can be audited from the data: the slots of
    a sequence are 0, 1, 2, ... without gaps, each with the arm the seed gave it."""

    __tablename__ = "allocation_log"
    __table_args__ = (UniqueConstraint("study_id", "kind", "sequence", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[str] = mapped_column(String(60))
    slot: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str] = mapped_column(String(20))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("study_id", "code"),)

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
    # Index (0-based) of the student's section in study.sections; null: the study has none.
    section: Mapped[int | None] = mapped_column(Integer)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attempts: Mapped[list[PhaseAttempt]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", passive_deletes=True
    )
    # Loaded with the participant by the token lookup (evaluation/auth.py::participant_for),
    # which every student request makes: the session's identity map holds objects only
    # weakly, so without this reference the study read with it is gone before it is used.
    study: Mapped[Study] = relationship()


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


class StudyFreeze(Base):
    """What a closed study's results are, fixed when it closed: the counts, the analysis,
    the plots' data and the three exports, as one canonical JSON document and its SHA-256.
    Later edits of the item bank (or anything else) cannot change them
    (evaluation/freeze.py)."""

    __tablename__ = "study_freeze"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))


class StudyPreregistration(Base):
    """What a study planned, written when it opened and never changed: the design, the exact
    item versions, the analysis and power plans, as one canonical JSON document and its
    SHA-256, which the results and the report cite (evaluation/preregistration.py)."""

    __tablename__ = "study_preregistration"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Deferred: the study listing reads the hash of every study, not its document.
    content: Mapped[str] = mapped_column(Text, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))


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


class AuditEntry(AuditColumns, Base):
    """The study's append-only audit log (logins, studies, exports, withdrawals)."""

    __tablename__ = "audit_entry"


MATERIAL_KINDS = ("pdf", "video")


class Material(Base):
    """A document or lecture video an instructor uploaded for the conventional arm; its
    bytes are on disk named by their SHA-256 (evaluation/material_store.py)."""

    __tablename__ = "material"
    __table_args__ = (
        CheckConstraint("kind IN ('pdf', 'video')", name="kind"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("instructor.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    owner: Mapped[Instructor] = relationship()


class StudyMaterial(Base):
    """The conventional arm's material of one study (no row: the built-in tutorial);
    chosen while a draft, fixed once it opens. A material in use cannot be deleted."""

    __tablename__ = "study_material"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        ForeignKey("material.id", ondelete="RESTRICT"), index=True
    )

    material: Mapped[Material] = relationship()
