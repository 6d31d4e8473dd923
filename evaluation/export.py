"""Raw data export: one row per answer and one per participant, with codebooks."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.items.snapshot import study_form_sizes
from evaluation.models import (
    AllocationLog,
    Answer,
    Item,
    Participant,
    PhaseAttempt,
    QuestionnaireResponse,
    Study,
)
from evaluation.sections import section_name

ANSWER_CODEBOOK: dict[str, str] = {
    "study_id": "the study's identifier",
    "participant": "pseudonymous participant code (P-XXXXXX); no names are collected",
    "prior_ml": "answer to 'have you studied machine learning before?' (true/false)",
    "form_order": "AB: form A as pre-test and B as post-test; BA: the reverse",
    "stratum": "assignment stratum: pre-test score band (low/mid/high) | prior ML (ml_yes/no)",
    "condition": "cnn101 (interactive explorer) or conventional (static material)",
    "condition_slot": "index of the participant's slot in the stratum's block sequence",
    "phase": "pre (pre-test) or post (post-test)",
    "form": "A or B: the parallel form answered in this phase",
    "item_key": "stable item identifier, e.g. A03",
    "item_version": "version of the item the study's snapshot holds (1, 2, ...): an edited "
    "item keeps its key and gets a new version, so key and version name the exact wording",
    "position": "position of the item on its form (1-based)",
    "concept": "the concept the item tests; parallel items share it",
    "choice_index": "the option chosen (0-based)",
    "correct_index": "the correct option (0-based)",
    "is_correct": "1 if the chosen option is correct, else 0",
    "phase_started_at": "server time (UTC, ISO 8601) when the phase started",
    "answered_at": "server time (UTC, ISO 8601) when the answer was stored",
    "elapsed_ms": "milliseconds from the phase start to the answer, server clock",
}
PARTICIPANT_CODEBOOK: dict[str, str] = {
    "study_id": "the study's identifier",
    "participant": "pseudonymous participant code (P-XXXXXX)",
    "consent": "participate; no_data and decline rows carry no other data",
    "prior_ml": "answer to 'have you studied machine learning before?' (true/false)",
    "form_order": "AB or BA (pre-test form, post-test form)",
    "stratum": "assignment stratum: pre-test score band | prior ML",
    "section": "the course section the student chose (its name); empty if the study has "
    "none. Strata and sequences end in |s<index>, its 0-based place in the study's list",
    "condition": "cnn101 or conventional; empty if never assigned",
    "condition_slot": "index of the participant's slot in the stratum's block sequence",
    "pre_correct": "number of pre-test items answered correctly (unanswered count as wrong)",
    "pre_items": "number of items on the pre-test form",
    "post_correct": "number of post-test items answered correctly; empty if not taken",
    "post_items": "number of items on the post-test form",
    "pre_finish_reason": "submitted (handed in) or time_limit",
    "post_finish_reason": "submitted (handed in) or time_limit",
    "umux_capabilities": "UMUX-Lite: 'its capabilities meet my requirements', 1-7",
    "umux_ease": "UMUX-Lite: 'it is easy to use', 1-7",
    "mental_effort": "one-item mental effort rating (Paas), 1 very low to 9 very high",
    "joined_at": "server time (UTC) of joining",
    "assigned_at": "server time (UTC) of the condition assignment",
    "completed_at": "server time (UTC) the questionnaire was submitted",
}
ALLOCATION_CODEBOOK: dict[str, str] = {
    "study_id": "the study's identifier",
    "kind": "form_order or condition: which of the two random allocations",
    "sequence": "the block sequence the slot belongs to (evaluation/assignment.py): for "
    "form orders the prior-ML group (design 2) or 'all' (design 1); for conditions the "
    "stratum, and from design 2 on '|AB' or '|BA'",
    "slot": "0-based position in the sequence; every slot ever taken is listed",
    "arm": "what the seed's permuted blocks gave this slot (AB/BA, cnn101/conventional)",
    "participant": "pseudonymous code; empty when the participant withdrew",
    "allocated_at": "server time (UTC) of the allocation",
    "withdrawn_at": "server time (UTC) of the withdrawal; empty if none",
}
CODEBOOK = {
    "answers": ANSWER_CODEBOOK,
    "participants": PARTICIPANT_CODEBOOK,
    "allocations": ALLOCATION_CODEBOOK,
}


def allocation_rows(session: Session, study_id: int) -> list[dict[str, Any]]:
    """Every allocated slot, withdrawn participants' too (the audit of the randomisation:
    with the seed, each sequence can be re-derived and compared)."""
    query = (
        select(AllocationLog, Participant.code)
        .outerjoin(Participant, AllocationLog.participant_id == Participant.id)
        .where(AllocationLog.study_id == study_id)
        .order_by(AllocationLog.kind, AllocationLog.sequence, AllocationLog.slot)
    )
    return [
        {
            "study_id": study_id,
            "kind": log.kind,
            "sequence": log.sequence,
            "slot": log.slot,
            "arm": log.arm,
            "participant": code,
            "allocated_at": _iso(log.allocated_at),
            "withdrawn_at": _iso(log.withdrawn_at),
        }
        for log, code in session.execute(query)
    ]


def answer_rows(session: Session, study_id: int) -> list[dict[str, Any]]:
    query = (
        select(Answer, Participant, Item, PhaseAttempt)
        .join(Participant, Participant.id == Answer.participant_id)
        .join(Item, Item.id == Answer.item_id)
        .join(
            PhaseAttempt,
            (PhaseAttempt.participant_id == Answer.participant_id)
            & (PhaseAttempt.phase == Answer.phase),
        )
        .where(Participant.study_id == study_id)
        .order_by(Participant.code, Answer.phase.desc(), Item.position)
    )
    rows = []
    for answer, participant, item, attempt in session.execute(query):
        rows.append(
            {
                "study_id": study_id,
                "participant": participant.code,
                "prior_ml": participant.prior_ml,
                "form_order": participant.form_order,
                "stratum": participant.stratum,
                "condition": participant.condition,
                "condition_slot": participant.condition_slot,
                "phase": answer.phase,
                "form": item.form,
                "item_key": item.key,
                "item_version": item.version,
                "position": item.position,
                "concept": item.concept,
                "choice_index": answer.choice_index,
                "correct_index": item.correct_index,
                "is_correct": int(answer.is_correct),
                "phase_started_at": attempt.started_at.isoformat(),
                "answered_at": answer.answered_at.isoformat(),
                "elapsed_ms": answer.elapsed_ms,
            }
        )
    return rows


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def participant_rows(session: Session, study_id: int) -> list[dict[str, Any]]:
    items_per_form = study_form_sizes(session, study_id)  # its snapshot, not the bank
    study = session.get_one(Study, study_id)
    rows = []
    for participant in session.scalars(
        select(Participant).where(Participant.study_id == study_id).order_by(Participant.code)
    ):
        attempts = {
            attempt.phase: attempt
            for attempt in session.scalars(
                select(PhaseAttempt).where(PhaseAttempt.participant_id == participant.id)
            )
        }
        correct = {"pre": 0, "post": 0}
        for answer in session.scalars(
            select(Answer).where(Answer.participant_id == participant.id)
        ):
            correct[answer.phase] += int(answer.is_correct)
        questionnaire = session.get(QuestionnaireResponse, participant.id)
        order = participant.form_order
        row: dict[str, Any] = {
            "study_id": study_id,
            "participant": participant.code,
            "consent": participant.consent,
            "prior_ml": participant.prior_ml,
            "form_order": order,
            "stratum": participant.stratum,
            "section": section_name(study, participant.section),
            "condition": participant.condition,
            "condition_slot": participant.condition_slot,
            "pre_correct": correct["pre"] if "pre" in attempts else None,
            "pre_items": items_per_form[order[0]] if order else None,
            "post_correct": correct["post"] if "post" in attempts else None,
            "post_items": items_per_form[order[1]] if order else None,
            "pre_finish_reason": attempts["pre"].finish_reason if "pre" in attempts else None,
            "post_finish_reason": attempts["post"].finish_reason if "post" in attempts else None,
            "umux_capabilities": questionnaire.umux_capabilities if questionnaire else None,
            "umux_ease": questionnaire.umux_ease if questionnaire else None,
            "mental_effort": questionnaire.mental_effort if questionnaire else None,
            "joined_at": _iso(participant.joined_at),
            "assigned_at": _iso(participant.assigned_at),
            "completed_at": _iso(participant.completed_at),
        }
        rows.append(row)
    return rows


# Columns added after studies were frozen: left out of a table whose frozen rows lack them,
# so an older closed study's exports stay byte for byte what they were.
LATER_COLUMNS = {"participants": ("section",)}


def codebook_for(table: str, rows: list[dict[str, Any]]) -> dict[str, str]:
    """The table's codebook without the later columns its (frozen) rows do not have."""
    later = LATER_COLUMNS.get(table, ())
    return {
        column: meaning
        for column, meaning in CODEBOOK[table].items()
        if column not in later or any(column in row for row in rows)
    }


def rows_to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
