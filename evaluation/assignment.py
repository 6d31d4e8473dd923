"""Balanced random allocation: permuted blocks of random size from the study's seed.

Each (study, kind, sequence) has one deterministic sequence, e.g. for the conditions of the
stratum ``mid|ml_no`` and form order AB: blocks of 2 or 4, each holding every arm equally
often, shuffled. The n-th participant of that sequence takes slot n: one statement takes it,
an upsert of the sequence's counter that returns the new count, so two simultaneous
requests can never take one slot (the counter's row lock orders them until they commit;
SQLite serialises every write transaction). Allocations of other sequences do not wait,
and neither do other allocations of the study: they hold its row in share mode, which only
keeps a close of the study waiting until they commit. A unique constraint on the slot in
``allocation_log`` backs it up, and that log keeps every slot (a withdrawn participant's
too), so the allocation can be re-derived from the seed and audited.

Design 2 (studies made from migration 0007 on) counterbalances the form order within
each condition: the form order comes from one sequence per prior-ML group (it is needed
before the pre-test, before the score band is known), and the condition from one sequence
per stratum and form order. Each condition then gets AB and BA equally often, up to the
blocks' slack (at most 2 apart per sequence; a stratum's two conditions at most 4 apart).
Design 1 (older studies) keeps its sequences: one form-order sequence, one condition
sequence per stratum.

Sections (evaluation/sections.py): in a study with course sections, every sequence is per
section too: the section's ``|s<index>`` ends the prior-ML group (``ml_no|s1``) and the
stratum (``mid|ml_no|s1``, so ``mid|ml_no|s1|AB``), and each section is balanced on its own.
A study without sections has exactly the sequences it had before.
"""

from __future__ import annotations

import random
from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable

from evaluation.models import AllocationCounter, AllocationLog, Participant, Study
from evaluation.sections import suffix

BLOCK_SIZES = (2, 4)


def block_sequence(
    seed: int, kind: str, stratum: str, arms: tuple[str, ...], length: int
) -> list[str]:
    """The first ``length`` slots of a stratum's sequence; reproducible from the seed."""
    rng = random.Random(f"{seed}:{kind}:{stratum}")
    sequence: list[str] = []
    while len(sequence) < length:
        size = rng.choice(BLOCK_SIZES)
        block = list(arms) * (size // len(arms))
        rng.shuffle(block)
        sequence.extend(block)
    return sequence[:length]


# Built once, with bound parameters: a class's allocations all come at once, and building
# a statement costs more CPU than running it (docs/sizing.md).
_SHARED_STUDY = (
    select(Study)
    .where(Study.id == bindparam("study_id"))
    .with_for_update(read=True)
    .execution_options(populate_existing=True)
)
_LOCKED_PARTICIPANT = (
    select(Participant)
    .where(Participant.id == bindparam("participant_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LOG_ALLOCATION = insert(cast(Table, AllocationLog.__table__))


def share_study(session: Session, study_id: int) -> Study:
    """Hold the study row in share mode for the rest of the transaction and read it anew.

    Allocations share it, so a class's allocations run side by side; closing the study
    updates the row, so it waits until the allocations in progress commit (and they cannot
    start once it has). Read anew: a study loaded earlier in the session may have closed."""
    return session.execute(_SHARED_STUDY, {"study_id": study_id}).scalar_one()


def lock_participant(session: Session, participant_id: int) -> Participant:
    """Lock the participant's row and read it anew: one student's two presses at once (a
    double click, a retried request) allocate once, the second seeing the first's result."""
    return session.execute(_LOCKED_PARTICIPANT, {"participant_id": participant_id}).scalar_one()


def form_order_sequence(study: Study, prior_ml: bool, section: int | None = None) -> str:
    """Which form-order sequence a participant takes a slot of (one per section too)."""
    if study.design_version < 2:
        return "all" + suffix(section)
    return ("ml_yes" if prior_ml else "ml_no") + suffix(section)


def section_stratum(stratum: str, section: int | None) -> str:
    """The stratum with the student's section, e.g. ``mid|ml_no|s1``; unchanged without."""
    return stratum + suffix(section)


def condition_sequence(study: Study, stratum: str, form_order: str) -> str:
    """Which condition sequence a participant of ``stratum`` takes a slot of."""
    return stratum if study.design_version < 2 else f"{stratum}|{form_order}"


@cache
def _take_slot_statement(dialect: str) -> Executable:
    """The counter's upsert in ``dialect`` (PostgreSQL's or SQLite's ON CONFLICT), built once."""
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(AllocationCounter)
    return cast(
        Executable,
        upsert.values(
            study_id=bindparam("study_id"),
            kind=bindparam("kind"),
            stratum=bindparam("sequence"),
            next_index=1,
        )
        .on_conflict_do_update(
            index_elements=["study_id", "kind", "stratum"],
            set_={"next_index": AllocationCounter.next_index + 1},
        )
        .returning(AllocationCounter.next_index),
    )


def take_slot(session: Session, study_id: int, kind: str, sequence: str) -> int:
    """The sequence's next free slot, taken in one statement: the counter is created at 1
    or incremented, and the new count returned. Its row stays locked until the caller
    commits, so the slots of one sequence are taken one at a time."""
    statement = _take_slot_statement(session.get_bind().dialect.name)
    taken = session.execute(
        statement, {"study_id": study_id, "kind": kind, "sequence": sequence}
    ).scalar_one()
    return int(taken) - 1


def allocate(
    session: Session,
    study: Study,
    participant: Participant,
    *,
    kind: str,
    sequence: str,
    arms: tuple[str, ...],
    now: datetime,
) -> tuple[str, int]:
    """Take the next slot of a sequence and log it; the caller holds the study in share
    mode (:func:`share_study`) and the participant (:func:`lock_participant`), and commits
    at once (the sequence's counter stays locked until then)."""
    slot = take_slot(session, study.id, kind, sequence)
    arm = block_sequence(study.assignment_seed, kind, sequence, arms, slot + 1)[slot]
    session.execute(
        _LOG_ALLOCATION,
        {
            "study_id": study.id,
            "kind": kind,
            "sequence": sequence,
            "slot": slot,
            "arm": arm,
            "participant_id": participant.id,
            "allocated_at": now,
        },
    )
    return arm, slot
