"""Whether a study's pre-registration lists an analysis of its plan.

A study opened before the intention-to-treat and section analyses existed has a document
that does not name them; its results still compute them, labelled as not pre-registered
(exploratory), so the citation's "follows the plan" stays true of what the plan named.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from evaluation.models import StudyPreregistration


def planned(session: Session, study_id: int, key: str) -> bool | None:
    """True when the pre-registration's analysis plan has ``key``; None without one."""
    row = session.get(StudyPreregistration, study_id)
    if row is None:
        return None
    plan = json.loads(row.content).get("analysis_plan", {})
    return key in plan
