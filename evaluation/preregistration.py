"""A study's pre-registration: what it planned, written when it opened and never changed.

A result is only confirmatory if the analysis was fixed before the data existed. Opening a
study therefore writes one canonical JSON document (sorted keys, as evaluation/freeze.py)
with its SHA-256: the design (conditions, the stratified permuted-block allocation, the
form-order counterbalancing, the seed, the time limits), the exact item versions of the
study's snapshot, the analysis plan as evaluation/analysis*.py implement it, the power plan
for the expected class size (evaluation/power.py), the software version and the time.
Nothing writes the row again; the results and the report cite its hash, and the instructor
downloads it to deposit (e.g. on OSF) before students answer.

This module must not import evaluation.analysis (which imports it for the citation), nor
FastAPI: the report worker, whose image has none, reads it through the analysis. The
route's refusals are in evaluation/routes/preregistration.py.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from evaluation.analysis_ancova import EXACT_RANK_MAX_N
from evaluation.assignment import BLOCK_SIZES
from evaluation.items.snapshot import study_items_by_form
from evaluation.material_citation import preregistered
from evaluation.models import CONDITIONS, FORM_ORDERS, Study, StudyPreregistration
from evaluation.power import plan
from evaluation.scoring import SCORE_BANDS
from evaluation.sections_plan import sections_design, sections_plan

FORMAT = "cnn101-preregistration/1"
# The class size the power plan assumes when the instructor did not give one.
DEFAULT_EXPECTED_STUDENTS = 40
ALPHA = 0.05
# The results' sections the plan does not list: the report labels them exploratory.
EXPLORATORY = ("correctness per concept", "the item plot")


def _software(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # run from a source tree without installing
        return "unknown"


def canonical(document: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same document always has the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _design(study: Study) -> dict[str, Any]:
    bands = "pre-test score band (correct/total: below 1/3 low, below 2/3 mid, else high)"
    if study.design_version >= 2:
        form_order = {
            "sequences": ["ml_yes", "ml_no"],
            "sequence_of": "the prior machine-learning answer, given at consent",
            "drawn": "at consent, before the pre-test",
        }
        condition_sequence = "<band>|ml_<yes|no>|<AB|BA>: stratum and form order"
    else:
        form_order = {"sequences": ["all"], "sequence_of": "the whole study", "drawn": "at consent"}
        condition_sequence = "<band>|ml_<yes|no>: stratum"
    return {
        "design_version": study.design_version,
        "conditions": list(CONDITIONS),
        "time_limits_seconds": {
            "pre_test": study.pre_test_seconds,
            "learning": study.learning_seconds,
            "post_test": study.post_test_seconds,
        },
        "assignment_seed": study.assignment_seed,
        "allocation": {
            "method": "stratified permuted blocks",
            "block_sizes": list(BLOCK_SIZES),
            "block": "each block holds every arm equally often, in random order",
            "generator": 'random.Random("<seed>:<kind>:<sequence>") (Python), '
            "evaluation.assignment.block_sequence",
            "strata": {
                "score_bands": list(SCORE_BANDS),
                "band_rule": bands,
                "prior_ml": ["ml_yes", "ml_no"],
            },
            "condition": {"drawn": "after the pre-test", "sequence": condition_sequence},
            "form_order": {"arms": list(FORM_ORDERS), **form_order},
        },
        "forms": {
            "counterbalancing": "AB: form A as pre-test and B as post-test; BA: the reverse",
            "parallel": "each position of form A and B tests the same concept",
        },
    }


def _items(session: Session, study: Study) -> list[dict[str, Any]]:
    return [
        {
            "key": item.key,
            "version": item.version,
            "item_id": item.id,
            "form": form,
            "position": item.position,
            "concept": item.concept,
            "stem": item.stem,
            "options": list(item.options),
            "correct_index": item.correct_index,
        }
        for form, items in study_items_by_form(session, study.id).items()
        for item in items
    ]


def analysis_plan() -> dict[str, Any]:
    """The analyses evaluation/analysis*.py compute, in the words of the plan."""
    rank = (
        f"exact when both groups have at most {EXACT_RANK_MAX_N} students and no gain is "
        "tied, otherwise the normal approximation with tie and continuity correction"
    )
    return {
        "alpha": ALPHA,
        "sides": "two-sided",
        "outcome": "post-test score: the proportion of the post-test form's items answered "
        "correctly (0-1), unanswered items counting as wrong",
        "population": "complete cases: assigned participants who started the post-test, "
        "scored when it ended",
        "intention_to_treat": {
            "population": "every randomised (assigned) participant who did not withdraw, "
            "in the assigned condition",
            "imputation": "a missing post-test is replaced by the pre-test score (baseline "
            "carried forward: zero gain)",
            "model": "the primary model; adjusted difference with its 95 % CI, reported "
            "beside the complete-case one",
            "results_field": "itt",
        },
        "primary": {
            "name": "ANCOVA",
            "model": "post ~ condition + pre + form_order (OLS); form order (BA vs AB) is "
            "left out when only one order occurs or the model would be rank-deficient or "
            "leave no residual degree of freedom",
            "estimate": "adjusted difference cnn101 minus conventional with its 95 % "
            "confidence interval (t distribution, residual df), two-sided p; standardised "
            "by the pooled SD of the post-test scores",
            "decision": f"the arms differ if p < {ALPHA:g}",
            "results_field": "ancova_detail",
        },
        "secondary": [
            {
                "name": "ANCOVA without form order",
                "model": "post ~ condition + pre: adjusted difference, SE, t, F, p, partial "
                "eta squared",
                "results_field": "ancova",
            },
            {
                "name": "Welch's t on gains (post - pre), Hedges' g with its 95 % CI",
                "results_field": "gain_test",
            },
            {"name": f"Mann-Whitney U on gains, {rank}", "results_field": "gain_rank_test"},
        ],
        "sensitivity": [
            "homogeneity of slopes: F and p of condition x pre-test added to the primary "
            "model; flagged when p < .05",
            "HC3 heteroscedasticity-robust standard error and z-based p of condition in the "
            "primary model",
        ],
        "descriptive": [
            "per condition n, pre-test, post-test and gain mean and SD, Hake's normalised "
            "gain on the condition means",
            "KR-20 per form and phase; item difficulty and corrected item-total discrimination",
            "UMUX-Lite (0-100) and mental effort (1-9) per condition",
            "flow of students (joined, consented, randomised, analysed, withdrawn)",
        ],
        "exploratory": [
            "correctness per concept, condition and phase",
            "the item plot (difficulty against discrimination)",
            "anything not listed in this plan, e.g. the interaction events",
        ],
        "undefined": "a statistic that cannot be computed (a condition without complete "
        "cases, fewer than 4, a pre-test that does not vary, every post-test at ceiling) is "
        "reported as undefined with the reason, never replaced",
        "multiplicity": "one primary test; secondary and sensitivity analyses are not "
        "corrected for multiplicity",
    }


def expected_students(study: Study) -> int:
    return study.expected_students or DEFAULT_EXPECTED_STUDENTS


def document(session: Session, study: Study, now: datetime) -> dict[str, Any]:
    """The pre-registration of ``study`` as it opens (its snapshot already taken)."""
    power = plan(expected_students(study), alpha=ALPHA)
    return {
        "format": FORMAT,
        "registered_at": now.isoformat(),
        "study": {
            "id": study.id,
            "title": study.title,
            "consent_text": study.consent_text,
            "created_at": study.created_at.isoformat(),
            "opened_at": now.isoformat(),
        },
        "design": {
            **_design(study),
            **sections_design(study),
            # What the conventional arm studies (documents written before it was recorded
            # lack this key; the built-in tutorial was the only material then).
            "conventional_material": preregistered(session, study.id),
        },
        "items": _items(session, study),
        "analysis_plan": {**analysis_plan(), **sections_plan(study)},
        "power_plan": {
            "expected_students": expected_students(study),
            "expected_students_source": "instructor"
            if study.expected_students
            else f"default ({DEFAULT_EXPECTED_STUDENTS})",
            **power.model_dump(mode="json"),
        },
        "software": {
            "cnn101": _software("cnn101"),
            "python": platform.python_version(),
            "numpy": _software("numpy"),
            "scipy": _software("scipy"),
        },
    }


def register(session: Session, study: Study, now: datetime) -> StudyPreregistration:
    """Write ``study``'s pre-registration as it opens (the caller commits); once only."""
    if session.get(StudyPreregistration, study.id) is not None:
        raise ValueError(f"study {study.id} is already pre-registered")
    content = canonical(document(session, study, now))
    row = StudyPreregistration(
        study_id=study.id,
        registered_at=now,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
    )
    session.add(row)
    session.flush()
    return row


class PreregistrationCitation(BaseModel):
    """What the results and the report say about the pre-registration."""

    registered_at: datetime
    sha256: str
    follows_plan: bool
    statement: str
    exploratory: list[str]


def citation(session: Session, study_id: int) -> PreregistrationCitation | None:
    """The citation of the study's pre-registration; None when it has none (opened before
    migration 0010)."""
    row = session.get(StudyPreregistration, study_id)
    if row is None:
        return None
    statement = (
        f"Pre-registered when the study opened on {row.registered_at:%Y-%m-%d %H:%M} UTC, "
        f"SHA-256 {row.sha256}. The analysis reported "
        "follows the plan: the primary analysis is its ANCOVA with form order; the "
        "secondary, sensitivity and descriptive analyses are the ones it lists. Exploratory "
        f"(not in the plan): {', '.join(EXPLORATORY)}."
    )
    return PreregistrationCitation(
        registered_at=row.registered_at,
        sha256=row.sha256,
        follows_plan=True,
        statement=statement,
        exploratory=list(EXPLORATORY),
    )
