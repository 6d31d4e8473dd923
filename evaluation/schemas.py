"""Request and response bodies, split by role (instructor, student, item bank)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from evaluation.sections import check_names

Form = Literal["A", "B"]
QuizPhase = Literal["pre", "post"]
ConsentChoice = Literal["participate", "no_data", "decline"]
MAX_EVENT_PAYLOAD_CHARS = 2048


# JSON nested deeper than this is refused: no student page sends more than a few levels,
# and a walk of unbounded depth is a way to exhaust the server's stack.
MAX_NESTING = 32


def _contains_nul(value: Any) -> bool:
    """Whether any string in ``value`` holds a NUL; walked without recursion, depth-bounded."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ValueError(f"nested deeper than {MAX_NESTING} levels")
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple):
            pending.extend((part, depth + 1) for part in item)
    return False


class StrictModel(BaseModel):
    """Unknown fields and NUL characters (which PostgreSQL text cannot hold) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="after")
    def _no_nul_characters(self) -> Self:
        for name in type(self).model_fields:
            if _contains_nul(getattr(self, name)):
                raise ValueError(f"{name}: NUL characters are not allowed")
        return self


# --- item bank -------------------------------------------------------------------------


class ItemData(StrictModel):
    """One item as stored, imported and exported."""

    key: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    form: Form
    position: int = Field(ge=1, le=999)
    concept: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    stem: str = Field(min_length=1, max_length=4000)
    options: list[str] = Field(min_length=2, max_length=6)
    correct_index: int = Field(ge=0)
    explanation: str = Field(min_length=1, max_length=4000)
    # Read-only (the listing's reason an item cannot be edited now, its version, owner and
    # whether a study used it): accepted and ignored on input, so a client can send back
    # what it read; never stored from input, never exported.
    locked: SkipJsonSchema[str | None] = Field(default=None, exclude=True, max_length=400)
    version: SkipJsonSchema[int | None] = Field(default=None, exclude=True, ge=1)
    owner_id: SkipJsonSchema[int | None] = Field(default=None, exclude=True)
    owner: SkipJsonSchema[str | None] = Field(default=None, exclude=True, max_length=254)
    in_use: SkipJsonSchema[bool | None] = Field(default=None, exclude=True)

    @field_validator("options")
    @classmethod
    def _options_distinct_and_filled(cls, options: list[str]) -> list[str]:
        if any(not option.strip() or len(option) > 500 for option in options):
            raise ValueError("every option needs between 1 and 500 characters")
        if len(set(options)) != len(options):
            raise ValueError("options must be distinct")
        return options

    @field_validator("correct_index")
    @classmethod
    def _correct_index_in_range(cls, index: int, info: ValidationInfo) -> int:
        options = info.data.get("options")
        if options is not None and index >= len(options):
            raise ValueError(f"option {index + 1} does not exist ({len(options)} options)")
        return index


class ItemStored(ItemData):
    """An item version of the bank as the signed-in instructor sees it."""

    id: int
    # Why this instructor cannot edit or retire it (built-in, or another's), else null.
    locked: str | None = None
    # 1, 2, ...: an edit of a version a study used adds the next one under the same key.
    version: int = 1
    # Its owner (null: built-in, read-only for everyone).
    owner_id: int | None = None
    owner: str | None = None
    # A study used this version (answers, or a snapshot): an edit makes a new version.
    in_use: bool = False


class ItemForStudent(BaseModel):
    """An item as a student sees it during a quiz: no answer, no explanation."""

    id: int
    position: int
    stem: str
    options: list[str]


class ItemReview(BaseModel):
    """An item after the study, with the student's choice and the explanation."""

    id: int
    phase: QuizPhase
    form: Form
    position: int
    concept: str
    stem: str
    options: list[str]
    correct_index: int
    explanation: str
    your_choice: int | None
    correct: bool


class ImportResult(BaseModel):
    created: int
    updated: int


# --- instructor ------------------------------------------------------------------------


class LoginRequest(StrictModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class InstructorPublic(BaseModel):
    id: int
    email: str
    # "admin" (the first instructor: every study and studio resource) or "instructor".
    role: Literal["admin", "instructor"]


class SessionState(BaseModel):
    """The signed-in instructor, or None."""

    instructor: InstructorPublic | None


class StudyCreate(StrictModel):
    title: str = Field(min_length=1, max_length=200)
    consent_text: str = Field(min_length=1, max_length=20000)
    learning_seconds: int = Field(default=20 * 60, ge=1, le=4 * 3600)
    pre_test_seconds: int = Field(default=10 * 60, ge=1, le=2 * 3600)
    post_test_seconds: int = Field(default=10 * 60, ge=1, le=2 * 3600)
    assignment_seed: int | None = Field(default=None, ge=0, le=2**62)
    # Students expected to take both tests: the pre-registration's power plan (absent: 40).
    expected_students: int | None = Field(default=None, ge=6, le=10_000)
    # Course sections (0-20 unique names of 1-40 characters); each is its own stratum.
    sections: list[str] = Field(default=[], max_length=20)

    @field_validator("sections")
    @classmethod
    def _sections_valid(cls, names: list[str]) -> list[str]:
        return check_names(names)


class StudyShares(StrictModel):
    instructor_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=100)


class StudyUpdate(StrictModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    consent_text: str | None = Field(default=None, min_length=1, max_length=20000)
    learning_seconds: int | None = Field(default=None, ge=1, le=4 * 3600)
    pre_test_seconds: int | None = Field(default=None, ge=1, le=2 * 3600)
    post_test_seconds: int | None = Field(default=None, ge=1, le=2 * 3600)
    expected_students: int | None = Field(default=None, ge=6, le=10_000)
    # [] removes the sections.
    sections: list[str] | None = Field(default=None, max_length=20)

    @field_validator("sections")
    @classmethod
    def _sections_valid(cls, names: list[str] | None) -> list[str] | None:
        return None if names is None else check_names(names)


class StudyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    consent_text: str
    conditions: list[str]
    learning_seconds: int
    pre_test_seconds: int
    post_test_seconds: int
    status: str
    join_code: str
    join_link: str
    # Whose study it is (the admin sees every instructor's), and whom it is shared with.
    owner_email: str
    shared_with: list[int]
    assignment_seed: int
    # Null: not given, the power plan assumes 40.
    expected_students: int | None
    # The course sections students choose from when they consent; empty: none.
    sections: list[str] = []
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    # The SHA-256 of the pre-registration written when it opened (null: a draft, or a
    # study opened before pre-registrations existed): GET …/preregistration.json.
    preregistration_sha256: str | None


# --- student ---------------------------------------------------------------------------


class JoinRequest(StrictModel):
    code: str = Field(min_length=1, max_length=32)


class JoinResponse(BaseModel):
    token: str
    participant_code: str
    study_title: str
    consent_text: str
    # The course sections to choose from at consent (their index is sent); empty: none.
    sections: list[str] = []


class ConsentRequest(StrictModel):
    choice: ConsentChoice
    prior_ml: bool | None = None
    # The index of the student's course section in the study's list; required to
    # participate when the study has sections (evaluation/sections.py).
    section: int | None = Field(default=None, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _prior_ml_when_participating(self) -> ConsentRequest:
        if self.choice == "participate" and self.prior_ml is None:
            raise ValueError("prior_ml (have you studied machine learning before?) is required")
        return self


class PhaseView(BaseModel):
    phase: str
    form: str | None
    # The learning phase says which material to show: cnn101 or conventional.
    condition: str | None = None
    started_at: datetime
    deadline_at: datetime
    seconds_left: float
    finished_at: datetime | None
    items: list[ItemForStudent] = []
    answered: dict[int, int] = {}


class StudentState(BaseModel):
    """Everything the SPA needs to resume after a reload."""

    participant_code: str
    study_title: str
    study_status: str
    # Repeated here so a student who lost the join reply still reads what they consent to.
    consent_text: str
    step: str
    consent: str | None
    condition: str | None
    phase: PhaseView | None
    # The study's course sections and the one the student chose (index; null: none).
    sections: list[str] = []
    section: int | None = None


class AnswerRequest(StrictModel):
    submission_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    phase: QuizPhase
    item_id: int = Field(ge=1, le=2**31 - 1)
    choice_index: int = Field(ge=0, le=5)


class AnswerReceipt(BaseModel):
    submission_id: str
    phase: str
    item_id: int
    choice_index: int
    answered_at: datetime


class AssignmentResult(BaseModel):
    condition: str
    stratum: str


class EventIn(StrictModel):
    kind: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    client_time_ms: int = Field(ge=0, le=2**53)
    payload: dict[str, Any] = {}

    @field_validator("payload")
    @classmethod
    def _payload_small(cls, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            encoded = json.dumps(payload, allow_nan=False)
        except ValueError as exc:
            raise ValueError("payload must be plain JSON (no NaN or Infinity)") from exc
        if len(encoded) > MAX_EVENT_PAYLOAD_CHARS:
            raise ValueError(f"payload larger than {MAX_EVENT_PAYLOAD_CHARS} characters")
        return payload


class EventsRequest(StrictModel):
    events: list[EventIn] = Field(min_length=1)


class EventsReceipt(BaseModel):
    stored: int


class QuestionnaireRequest(StrictModel):
    umux_capabilities: int = Field(ge=1, le=7)
    umux_ease: int = Field(ge=1, le=7)
    mental_effort: int = Field(ge=1, le=9)


class Outcome(BaseModel):
    pre_score: int
    pre_total: int
    post_score: int
    post_total: int
    items: list[ItemReview]
