"""Request and response bodies of the conventional arm's material (evaluation/routes/
materials.py, evaluation/routes/student_material.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from evaluation.material_citation import MaterialCitation
from evaluation.schemas import StrictModel


class MaterialPublic(BaseModel):
    """An uploaded PDF or video as its owner (or the admin) sees it."""

    id: int
    title: str
    kind: Literal["pdf", "video"]
    media_type: str
    size_bytes: int
    sha256: str
    original_filename: str
    uploaded_at: datetime
    owner_email: str
    # Chosen by a study (then it cannot be deleted).
    in_use: bool


class StudyMaterialChoice(StrictModel):
    """The conventional arm's material: one of the instructor's uploads, or null for the
    built-in tutorial."""

    material_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class StudyMaterialState(BaseModel):
    """What a study's conventional arm studies; ``editable`` only while it is a draft."""

    study_id: int
    material: MaterialPublic | None
    editable: bool
    citation: MaterialCitation


class StudentMaterial(BaseModel):
    """The uploaded material a conventional-arm student studies in the learning phase;
    ``url`` is signed for this student until the phase ends (no header needed, so a
    ``<video>`` or ``<iframe>`` can load it)."""

    kind: Literal["pdf", "video"]
    title: str
    media_type: str
    size_bytes: int
    url: str
