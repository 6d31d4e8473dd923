"""The interaction events of a closed study as CSV or JSON, in bounded memory.

Not part of the frozen document (:mod:`evaluation.freeze`): a class can send hundreds of
thousands of events, and they cannot change once the study is closed (events and
withdrawals are refused then), so they are read from their table. Rows are fetched in
batches and written to a spooled file that keeps at most 1 MB in memory and spills the
rest to disk, which the response then streams.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models import InteractionEvent, Participant

EVENT_CODEBOOK: dict[str, str] = {
    "study_id": "the study's identifier",
    "participant": "pseudonymous participant code (P-XXXXXX)",
    "condition": "cnn101 or conventional; empty before assignment",
    "kind": "what happened (docs/study.md lists the kinds and their payloads)",
    "payload": "the event's data as a JSON object (keys sorted)",
    "client_time_ms": "the browser's clock (ms since the epoch) when it happened",
    "received_at": "server time (UTC, ISO 8601) when the batch was stored",
}
FETCH_BATCH = 1000
IN_MEMORY_BYTES = 1 << 20
CHUNK_BYTES = 64 * 1024


def _rows(session: Session, study_id: int) -> Iterator[dict[str, Any]]:
    query = (
        select(InteractionEvent, Participant.code, Participant.condition)
        .join(Participant, Participant.id == InteractionEvent.participant_id)
        .where(Participant.study_id == study_id)
        .order_by(Participant.code, InteractionEvent.id)
        .execution_options(yield_per=FETCH_BATCH)
    )
    for event, code, condition in session.execute(query):
        yield {
            "study_id": study_id,
            "participant": code,
            "condition": condition,
            "kind": event.kind,
            "payload": json.dumps(event.payload, sort_keys=True, ensure_ascii=False),
            "client_time_ms": event.client_time_ms,
            "received_at": event.received_at.isoformat(),
        }


def write_events(
    session: Session, study_id: int, fmt: Literal["csv", "json"]
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The export written to a spooled file, rewound; the caller closes it."""
    # Returned open on purpose: the response streams it and closes it (see stream()).
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=IN_MEMORY_BYTES
    )
    try:
        _write(spool, session, study_id, fmt)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _write(
    spool: tempfile.SpooledTemporaryFile[bytes],
    session: Session,
    study_id: int,
    fmt: Literal["csv", "json"],
) -> None:
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
    columns = list(EVENT_CODEBOOK)
    if fmt == "csv":
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in _rows(session, study_id):
            writer.writerow(row)
    else:
        text.write('{"codebook":' + json.dumps(EVENT_CODEBOOK) + ',"rows":[')
        for number, row in enumerate(_rows(session, study_id)):
            row["payload"] = json.loads(row["payload"])
            text.write(("," if number else "") + json.dumps(row, ensure_ascii=False))
        text.write("]}")
    text.detach()  # leave the spool open for the response


def stream(spool: tempfile.SpooledTemporaryFile[bytes]) -> Iterator[bytes]:
    """The spooled export in chunks; the file is closed when the response ends."""
    try:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()
