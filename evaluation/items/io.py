"""Item bank import and export as JSON and CSV; a bad row is refused by number and field."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluation.models import Answer, Item, Study
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


def item_is_used(session: Session, item_id: int) -> bool:
    return session.scalar(select(Answer.id).where(Answer.item_id == item_id).limit(1)) is not None


def apply_item(session: Session, item: Item, data: ItemData) -> bool:
    """Copy ``data`` onto ``item``; an item students have answered cannot change."""
    current = item_data(item).model_dump()
    if current == data.model_dump():
        return False
    if item_is_used(session, item.id):
        raise ApiError(
            409, "item_in_use", f"item {item.key} has answers; add a new item instead of editing"
        )
    for field, value in data.model_dump().items():
        setattr(item, field, value)
    item.updated_at = utcnow()
    return True


def open_study_lock(session: Session) -> str | None:
    """Why no item may change now (a study is open), or None."""
    running = session.scalar(select(Study.title).where(Study.status == "open").limit(1))
    if running is None:
        return None
    return f"the study {running!r} is open; close it before changing items"


ANSWERED_LOCK = "answered by students; add a new item instead of editing"


def item_locks(session: Session, items: list[Item]) -> dict[int, str | None]:
    """Per item, why the instructor cannot edit it now (None: editable); two queries."""
    study_lock = open_study_lock(session)
    answered = set(session.scalars(select(Answer.item_id).distinct()))
    return {
        item.id: study_lock or (ANSWERED_LOCK if item.id in answered else None) for item in items
    }


def refuse_while_a_study_is_open(session: Session) -> None:
    """Forms must not change under students: no bank changes while a study runs."""
    lock = open_study_lock(session)
    if lock is not None:
        raise ApiError(409, "study_open", lock)


def import_items(session: Session, items: list[ItemData]) -> ImportResult:
    """Create or update items by key, all or nothing."""
    refuse_while_a_study_is_open(session)
    created = updated = 0
    existing = {item.key: item for item in session.scalars(select(Item))}
    for data in items:
        stored = existing.get(data.key)
        if stored is None:
            session.add(Item(**data.model_dump()))
            created += 1
        elif apply_item(session, stored, data):
            updated += 1
    commit_items(session)
    return ImportResult(created=created, updated=updated)


def commit_items(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ApiError(
            409, "position_taken", "a form position or key is already used by another item"
        ) from exc
