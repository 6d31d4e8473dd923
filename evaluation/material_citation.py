"""How the results, the report, the Methods text and the pre-registration name the
conventional arm's material: the built-in tutorial or an uploaded document or video.

Kept free of FastAPI: the report worker reads it through evaluation/analysis.py.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from evaluation.models import StudyMaterial

BUILT_IN = "the built-in tutorial (nine static pages with figures on the same concepts)"


class MaterialCitation(BaseModel):
    """The conventional arm's material; ``sha256`` identifies an upload's exact bytes."""

    kind: Literal["tutorial", "pdf", "video"]
    title: str
    media_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    statement: str


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.1f} KB"


def material_citation(session: Session, study_id: int) -> MaterialCitation:
    """The material of ``study_id``'s conventional arm, with a sentence naming it."""
    chosen = session.get(StudyMaterial, study_id)
    if chosen is None:
        return MaterialCitation(
            kind="tutorial",
            title="CNN 101 tutorial",
            statement=f"The conventional arm studied {BUILT_IN}.",
        )
    material = chosen.material
    what = "document (PDF)" if material.kind == "pdf" else "lecture video"
    return MaterialCitation(
        kind="pdf" if material.kind == "pdf" else "video",
        title=material.title,
        media_type=material.media_type,
        size_bytes=material.size_bytes,
        sha256=material.sha256,
        statement=(
            f'The conventional arm studied an uploaded {what}, "{material.title}" '
            f"({material.media_type}, {_size(material.size_bytes)}, {material.size_bytes} "
            f"bytes, SHA-256 {material.sha256}), served by the platform under the same "
            "time limit as the explorer."
        ),
    )


def preregistered(session: Session, study_id: int) -> dict[str, Any]:
    """The pre-registration's record of the material (studies opened from issue 18/6 on)."""
    cited = material_citation(session, study_id)
    return cited.model_dump(mode="json", exclude={"statement"})
