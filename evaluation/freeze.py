"""A closed study's results, fixed at closing.

The measured fault: editing or adding an item of the shared bank after a study closed
rewrote that study's scores, exports and statistics (post-test mean .721 -> .670). Closing
now computes everything the instructor can read (participant counts, the analysis, the
plots' data, the answers, participants and allocations exports) once, stores it as one
canonical JSON document (sorted keys) with its SHA-256, and every later read serves that
document. Studies closed before migration 0008 are frozen on their first read. What is
frozen is computed from the study's snapshot of item versions (evaluation/items/snapshot.py),
as everything about an open study is, so the bank as it is at closing plays no part.

Withdrawal after closing is refused (evaluation/routes/student.py): the published
results are final; the consent text says so.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from evaluation.analysis import PlotData, Results, analyse, plot_data
from evaluation.export import allocation_rows, answer_rows, participant_rows
from evaluation.models import Participant, Study, StudyFreeze


def participant_counts(session: Session, study_id: int) -> dict[str, int]:
    def count(*conditions: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(Participant)
        return int(session.scalar(query.where(Participant.study_id == study_id, *conditions)) or 0)

    return {
        "joined": count(),
        "participated": count(Participant.consent == "participate"),
        "assigned": count(Participant.condition.is_not(None)),
        "completed": count(Participant.completed_at.is_not(None)),
    }


def _canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def freeze(session: Session, study: Study, now: datetime) -> StudyFreeze:
    """Compute and store what ``study``'s results are (the caller commits)."""
    document = {
        "counts": participant_counts(session, study.id),
        "results": analyse(session, study.id).model_dump(mode="json"),
        "plots": plot_data(session, study.id).model_dump(mode="json"),
        "exports": {
            "answers": answer_rows(session, study.id),
            "participants": participant_rows(session, study.id),
            "allocations": allocation_rows(session, study.id),
        },
    }
    content = _canonical(document)
    row = StudyFreeze(
        study_id=study.id,
        frozen_at=now,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
    )
    session.add(row)
    session.flush()
    return row


class Frozen:
    """A closed study's frozen document, read back."""

    def __init__(self, row: StudyFreeze) -> None:
        self.sha256 = row.sha256
        self.frozen_at = row.frozen_at
        self._document: dict[str, Any] = json.loads(row.content)

    @property
    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self._document["counts"].items()}

    @property
    def results(self) -> Results:
        return Results.model_validate(self._document["results"])

    @property
    def plots(self) -> PlotData:
        return PlotData.model_validate(self._document["plots"])

    def export(self, table: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._document["exports"][table]
        return rows


def frozen(session: Session, study: Study, now: datetime) -> Frozen:
    """The closed ``study``'s frozen results (frozen now if it closed before 0008)."""
    if study.status != "closed":
        raise ValueError(f"study {study.id} is {study.status}: only a closed study is frozen")
    row = session.get(StudyFreeze, study.id)
    if row is None:
        row = freeze(session, study, now)
        session.commit()
    return Frozen(row)
