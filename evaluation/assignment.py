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

On PostgreSQL the counter's row stays locked from the slot's upsert to the commit, and the
next allocation of the sequence waits that long; so one statement (data-modifying CTEs)
takes the slot, logs it with its arm and writes the participant, and only the commit
follows. The arm is looked up in the statement, among the arms of the next few slots that
the service passes along (read from the sequence before the lock).

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
from collections.abc import Mapping
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, func, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import Grouping

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


def _counter_upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """The counter's upsert in ``dialect`` (PostgreSQL's or SQLite's ON CONFLICT): created
    at 1 or incremented. Parameters ``of_study``, ``of_kind`` and ``of_sequence``."""
    counter = cast(Table, AllocationCounter.__table__)
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert_into(counter)
        .values(
            study_id=bindparam("of_study"),
            kind=bindparam("of_kind"),
            stratum=bindparam("of_sequence"),
            next_index=1,
        )
        .on_conflict_do_update(
            index_elements=["study_id", "kind", "stratum"],
            set_={"next_index": counter.c.next_index + 1},
        )
    )


@cache
def _take_slot_statement(dialect: str) -> Executable:
    """The counter's upsert returning the new count, built once per dialect."""
    upsert = _counter_upsert(dialect)
    return cast(Executable, upsert.returning(upsert.table.c.next_index))


def take_slot(session: Session, study_id: int, kind: str, sequence: str) -> int:
    """The sequence's next free slot, taken in one statement: the counter is created at 1
    or incremented, and the new count returned. Its row stays locked until the caller
    commits, so the slots of one sequence are taken one at a time."""
    statement = _take_slot_statement(session.get_bind().dialect.name)
    taken = session.execute(
        statement, {"of_study": study_id, "of_kind": kind, "of_sequence": sequence}
    ).scalar_one()
    return int(taken) - 1


# How many slots past the counter's last committed value the statement is given the arms
# of. More allocations of one sequence than this can never be in flight at once (each
# study process admits a few requests at a time); if they were, the arm is looked up after.
ARMS_AHEAD = 64
_PREFIX_STEP = 256

_COUNTER_NOW = select(AllocationCounter.next_index).where(
    AllocationCounter.study_id == bindparam("of_study"),
    AllocationCounter.kind == bindparam("of_kind"),
    AllocationCounter.stratum == bindparam("of_sequence"),
)


@lru_cache(maxsize=512)
def _sequence_prefix(
    seed: int, kind: str, sequence: str, arms: tuple[str, ...], length: int
) -> tuple[str, ...]:
    return tuple(block_sequence(seed, kind, sequence, arms, length))


def arms_of_slots(
    seed: int, kind: str, sequence: str, arms: tuple[str, ...], *, first: int, count: int
) -> list[str]:
    """The arms of slots ``first`` to ``first + count - 1``: a sequence's prefix is drawn
    once per 256 slots and kept, not drawn from its start at every allocation."""
    length = -(-(first + count) // _PREFIX_STEP) * _PREFIX_STEP
    return list(_sequence_prefix(seed, kind, sequence, arms, length)[first : first + count])


@cache
def _allocate_statement(arm_column: str, slot_column: str, columns: tuple[str, ...]) -> Executable:
    """PostgreSQL: take the slot, log it with its arm and write the participant, in one.

    Parameters: the counter's ``of_study``, ``of_kind`` and ``of_sequence``, ``arms`` (those
    of the slots from ``first`` on), ``participant_id``, ``now``, and ``set_<name>`` for each
    name in ``columns``. No parameter is named like a column: SQLAlchemy would add it to the
    UPDATE's SET.
    Returns the slot taken and its arm; the arm is NULL (and nothing logged or written) if
    the slot is past the arms given.
    """
    # Tables, not the mapped classes: the ORM's handling of DML does not reach into CTEs.
    participant = cast(Table, Participant.__table__)
    log = cast(Table, AllocationLog.__table__)
    upsert = _counter_upsert("postgresql")
    taken = upsert.returning((upsert.table.c.next_index - 1).label("slot")).cte("taken")
    # In parentheses: PostgreSQL takes no subscript straight after a cast (``$1::varchar[]``).
    arms = Grouping(bindparam("arms", type_=postgresql.ARRAY(String)))
    position = taken.c.slot - bindparam("first") + 1  # PostgreSQL's arrays count from 1
    logged = (
        insert(log)
        .from_select(
            ["study_id", "kind", "sequence", "slot", "arm", "participant_id", "allocated_at"],
            select(
                bindparam("of_study", type_=log.c.study_id.type),
                bindparam("of_kind", type_=log.c.kind.type),
                bindparam("of_sequence", type_=log.c.sequence.type),
                taken.c.slot,
                arms[position],
                bindparam("participant_id", type_=log.c.participant_id.type),
                bindparam("now", type_=log.c.allocated_at.type),
            ).where(position.between(1, func.cardinality(arms))),
        )
        .returning(log.c.slot, log.c.arm, log.c.participant_id)
        .cte("logged")
    )
    values: dict[str, Any] = {arm_column: logged.c.arm, slot_column: logged.c.slot}
    values.update(
        {name: bindparam(f"set_{name}", type_=participant.c[name].type) for name in columns}
    )
    written = (
        update(participant)
        .where(participant.c.id == logged.c.participant_id)
        .values(values)
        .returning(participant.c.id)
        .cte("written")
    )
    return (
        select(taken.c.slot, logged.c.arm)
        .select_from(taken.outerjoin(logged, true()))
        .add_cte(written)
    )


def allocate(
    session: Session,
    study: Study,
    participant: Participant,
    *,
    kind: str,
    sequence: str,
    arms: tuple[str, ...],
    now: datetime,
    arm_column: str,
    slot_column: str,
    values: Mapping[str, object],
) -> tuple[str, int]:
    """Take the next slot of a sequence, log it, and write the participant: its arm and
    slot into ``arm_column`` and ``slot_column``, and ``values`` (column: value) with them.

    The caller holds the study in share mode (:func:`share_study`) and the participant
    (:func:`lock_participant`), and commits at once (the sequence's counter stays locked
    until then). The participant object is left as written, with nothing left to flush.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # the participant's own pending changes, before the counter's lock
        counter = {"of_study": study.id, "of_kind": kind, "of_sequence": sequence}
        first = session.execute(_COUNTER_NOW, counter).scalar_one_or_none() or 0
        statement = _allocate_statement(arm_column, slot_column, tuple(values))
        ahead = arms_of_slots(
            study.assignment_seed, kind, sequence, arms, first=first, count=ARMS_AHEAD
        )
        slot, arm = session.execute(
            statement,
            {
                **counter,
                **{f"set_{name}": value for name, value in values.items()},
                "arms": ahead,
                "first": first,
                "participant_id": participant.id,
                "now": now,
            },
        ).one()
        if arm is not None:
            for name, value in {**values, arm_column: arm, slot_column: slot}.items():
                set_committed_value(participant, name, value)
            return arm, slot
    else:
        slot = take_slot(session, study.id, kind, sequence)
    arm = arms_of_slots(study.assignment_seed, kind, sequence, arms, first=slot, count=1)[0]
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
    for name, value in {**values, arm_column: arm, slot_column: slot}.items():
        setattr(participant, name, value)
    return arm, slot
