"""Item bank import and export as JSON and CSV; a bad row is refused by number and field."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluation.items.usage import unchanged
from evaluation.items.versions import change_item, require_editable
from evaluation.models import Instructor, Item
from evaluation.schemas import ImportResult, ItemData
from services.common.errors import ApiError
from services.database.schema import utcnow

MAX_OPTIONS = 6
CSV_COLUMNS = [
    "key",
    "form",
    "position",
    "concept",
    "stem",
    *(f"option_{n}" for n in range(1, MAX_OPTIONS + 1)),
    "correct_option",
    "explanation",
]


def item_data(item: Item) -> ItemData:
    return ItemData(
        key=item.key,
        form="A" if item.form == "A" else "B",
        position=item.position,
        concept=item.concept,
        stem=item.stem,
        options=list(item.options),
        correct_index=item.correct_index,
        explanation=item.explanation,
    )


def export_json(items: Sequence[Item]) -> str:
    return json.dumps(
        {"items": [item_data(item).model_dump() for item in items]}, ensure_ascii=False, indent=2
    )


def export_csv(items: Sequence[Item]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        row: dict[str, Any] = {
            "key": item.key,
            "form": item.form,
            "position": item.position,
            "concept": item.concept,
            "stem": item.stem,
            "correct_option": item.correct_index + 1,
            "explanation": item.explanation,
        }
        for n in range(MAX_OPTIONS):
            row[f"option_{n + 1}"] = item.options[n] if n < len(item.options) else ""
        writer.writerow(row)
    return buffer.getvalue()


def _invalid(where: str, error: ValidationError, csv_names: bool = False) -> ApiError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or "item"
    if csv_names and field == "correct_index":
        field = "correct_option"
    return ApiError(422, "invalid_item", f"{where}, field '{field}': {first.get('msg')}")


def parse_json(body: bytes) -> list[ItemData]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    rows = document.get("items") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not rows:
        raise ApiError(422, "invalid_item", "expected a non-empty list under 'items'")
    items = []
    for number, row in enumerate(rows, start=1):
        try:
            items.append(ItemData.model_validate(row))
        except ValidationError as exc:
            raise _invalid(f"item {number}", exc) from exc
    return _unique_keys(items)


def parse_csv(body: bytes) -> list[ItemData]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_csv", "the CSV must be UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise ApiError(422, "invalid_csv", f"missing columns: {', '.join(missing)}")
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if unknown:
        raise ApiError(422, "invalid_csv", f"unknown columns: {', '.join(unknown)}")
    items = []
    for row in reader:
        where = f"row {reader.line_num}"
        if None in row:
            raise ApiError(422, "invalid_csv", f"{where}: more cells than columns")
        options = [row[f"option_{n}"] for n in range(1, MAX_OPTIONS + 1) if row[f"option_{n}"]]
        correct = row["correct_option"].strip()
        if not correct.isdigit() or int(correct) < 1:
            raise ApiError(
                422, "invalid_item", f"{where}, field 'correct_option': a number from 1 is needed"
            )
        position = row["position"].strip()
        try:
            items.append(
                ItemData(
                    key=row["key"].strip(),
                    form=row["form"].strip(),  # type: ignore[arg-type]
                    position=int(position) if position.lstrip("-").isdigit() else -1,
                    concept=row["concept"].strip(),
                    stem=row["stem"],
                    options=options,
                    correct_index=int(correct) - 1,
                    explanation=row["explanation"],
                )
            )
        except ValidationError as exc:
            raise _invalid(where, exc, csv_names=True) from exc
    if not items:
        raise ApiError(422, "invalid_csv", "the CSV holds no items")
    return _unique_keys(items)


def _unique_keys(items: list[ItemData]) -> list[ItemData]:
    seen: set[str] = set()
    slots: set[tuple[str, int]] = set()
    for item in items:
        if item.key in seen:
            raise ApiError(422, "invalid_item", f"key {item.key!r} appears twice")
        if (item.form, item.position) in slots:
            raise ApiError(
                422, "invalid_item", f"form {item.form} position {item.position} appears twice"
            )
        seen.add(item.key)
        slots.add((item.form, item.position))
    return items


def import_items(session: Session, instructor: Instructor, items: list[ItemData]) -> ImportResult:
    """Create or update items by key, all or nothing (evaluation/items/versions.py).

    A new key becomes the importer's item; a known key changes its latest version as an
    edit would (403 for another's or a built-in item, a new version if a study used it).
    """
    created = updated = 0
    with bank_conflicts_refused(session):
        created, updated = _import_rows(session, instructor, items)
    commit_items(session)
    return ImportResult(created=created, updated=updated)


def _import_rows(
    session: Session, instructor: Instructor, items: list[ItemData]
) -> tuple[int, int]:
    created = updated = 0
    for data in items:
        stored = latest(session, data.key)
        if stored is None:
            session.add(Item(**data.model_dump(), owner_id=instructor.id))
            created += 1
        elif not stored.is_current:  # retired: it comes back as its next version
            require_editable(instructor, stored)
            session.add(
                Item(
                    **data.model_dump(),
                    version=stored.version + 1,
                    owner_id=stored.owner_id,
                    updated_at=utcnow(),
                )
            )
            updated += 1
        elif not unchanged(stored, data):
            change_item(session, instructor, stored, data)
            updated += 1
        session.flush()
    return created, updated


def latest(session: Session, key: str) -> Item | None:
    """The newest version of ``key`` (the current one, or the last before it was retired)."""
    return session.scalar(select(Item).where(Item.key == key).order_by(Item.version.desc()))


@contextmanager
def bank_conflicts_refused(session: Session) -> Iterator[None]:
    """A key or form position another current item holds: 409, nothing changed."""
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        raise ApiError(
            409,
            "position_taken",
            "a form position or key is already used by another item of the bank",
        ) from exc


def commit_items(session: Session) -> None:
    with bank_conflicts_refused(session):
        session.commit()
