"""Balanced random allocation: permuted blocks of random size from the study's seed.

Each (study, kind, stratum) has one deterministic sequence, e.g. for the conditions of the
stratum ``mid|ml_no``: blocks of 2 or 4, each holding every arm equally often, shuffled.
The n-th participant of that stratum takes slot n. The study row is locked
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises every write transaction), so two
simultaneous requests can never take one slot; a unique constraint on the slot backs it up.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models import AllocationCounter, Study

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


def lock_study(session: Session, study_id: int) -> Study:
    """Lock the study row for the rest of the transaction; allocations queue behind it."""
    return session.execute(select(Study).where(Study.id == study_id).with_for_update()).scalar_one()


def allocate(
    session: Session, study: Study, kind: str, stratum: str, arms: tuple[str, ...]
) -> tuple[str, int]:
    """Take the next slot of a sequence; the caller holds the study lock and commits."""
    counter = session.get(AllocationCounter, (study.id, kind, stratum))
    if counter is None:
        counter = AllocationCounter(study_id=study.id, kind=kind, stratum=stratum, next_index=0)
        session.add(counter)
    index = counter.next_index
    arm = block_sequence(study.assignment_seed, kind, stratum, arms, index + 1)[index]
    counter.next_index = index + 1
    session.flush()
    return arm, index
