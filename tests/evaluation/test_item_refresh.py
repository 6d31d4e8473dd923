"""A bank seeded by an older release gets today's built-in forms at start (issue 18).

Seeding fills only an empty bank, so the revised forms reached no running instance. The
refresh versions what studies used, changes the unused in place, adds new keys, leaves
studies' snapshots alone and is idempotent.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation import app as evaluation_app
from evaluation.items.bank import DEFAULT_ITEMS
from evaluation.items.refresh import RefreshOutcome, refresh_builtin_items
from evaluation.items.snapshot import study_items_by_form
from evaluation.models import Instructor, Item
from evaluation.schemas import ItemData
from tests.evaluation.conftest import MakeClient, PostgresDatabases, db_session, instructor_client
from tests.evaluation.helpers import answer_items, consent, create_open_study, join, start
from tests.evaluation.old_items import OLD_ITEMS


def _seed_old(session: Session) -> int:
    for data in OLD_ITEMS:
        session.add(Item(**data.model_dump()))
    session.commit()
    return len(OLD_ITEMS)


FIELDS = list(OLD_ITEMS[0].model_dump())  # the stored content, without read-only fields


def _content(item: Item) -> dict[str, object]:
    return {name: getattr(item, name) for name in FIELDS}


def _bank(session: Session) -> list[tuple[object, ...]]:
    rows = session.scalars(select(Item).order_by(Item.id))
    return [(row.id, row.key, row.version, row.is_current, row.stem) for row in rows]


def _current_builtin(session: Session) -> list[ItemData]:
    rows = session.scalars(
        select(Item)
        .where(Item.is_current.is_(True), Item.owner_id.is_(None))
        .order_by(Item.form, Item.position)
    )
    return [ItemData.model_validate(_content(row)) for row in rows]


def _old_bank_with_a_study(
    make_client: MakeClient, url: str, monkeypatch: pytest.MonkeyPatch
) -> int:
    """An instance of the older release: its forms seeded, a study opened and answered."""
    with monkeypatch.context() as patch:
        patch.setattr(evaluation_app, "seed_default_items", _seed_old)
        patch.setattr(evaluation_app, "refresh_builtin_items", lambda session: RefreshOutcome())
        client = make_client(url)
        admin = instructor_client(client, url)
        study = create_open_study(admin)
        headers = join(client, study["join_code"])
        consent(client, headers)
        view = start(client, headers, "pre")
        answer_items(client, headers, view, n_correct=3)
    return int(study["id"])


def test_refresh_versions_used_items_and_keeps_the_study_snapshot(
    make_client: MakeClient, postgres: PostgresDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create()
    study_id = _old_bank_with_a_study(make_client, url, monkeypatch)
    with db_session(url) as session:
        # A built-in row no study used (e.g. added by a later release before this one).
        stale = DEFAULT_ITEMS[-1].model_copy(update={"stem": "An older wording?"})
        session.add(Item(**stale.model_dump()))
        session.commit()
        stale_id = session.scalar(select(Item.id).where(Item.key == stale.key))
        snapshot = {
            form: [(item.id, _content(item)) for item in items]
            for form, items in study_items_by_form(session, study_id).items()
        }
        assert [data for _, data in snapshot["A"]] == [
            d.model_dump() for d in OLD_ITEMS if d.form == "A"
        ]

        outcome = refresh_builtin_items(session)

        changed_keys = {
            old.key for old, new in zip(OLD_ITEMS, _by_key(OLD_ITEMS), strict=True) if old != new
        }
        assert set(outcome.new_versions) == changed_keys and outcome.skipped == {}
        assert outcome.changed == [stale.key]  # unused: changed in place
        assert set(outcome.added) == {d.key for d in DEFAULT_ITEMS} - {d.key for d in OLD_ITEMS} - {
            stale.key
        }
        assert _current_builtin(session) == sorted(
            DEFAULT_ITEMS, key=lambda d: (d.form, d.position)
        )
        refreshed = session.get(Item, stale_id)
        assert refreshed is not None and (refreshed.version, refreshed.is_current) == (1, True)
        for key in changed_keys:
            versions = session.scalars(select(Item).where(Item.key == key)).all()
            assert sorted((v.version, v.is_current) for v in versions) == [(1, False), (2, True)]
        # The study keeps the versions it opened with, byte for byte.
        session.expire_all()
        after = {
            form: [(item.id, _content(item)) for item in items]
            for form, items in study_items_by_form(session, study_id).items()
        }
        assert after == snapshot
        bank = _bank(session)
        # Idempotent: a second refresh, and a restart of the service, change nothing.
        assert refresh_builtin_items(session) == RefreshOutcome()
    make_client(url)
    with db_session(url) as session:
        assert _bank(session) == bank


def _by_key(old: list[ItemData]) -> list[ItemData]:
    """The code's version of each old key (all old keys are still built in)."""
    code = {d.key: d for d in DEFAULT_ITEMS}
    return [code[d.key] for d in old]


def test_refresh_leaves_an_instructors_item_in_its_place(
    make_client: MakeClient, postgres: PostgresDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An own item already at a new built-in position keeps it; the built-in waits."""
    url = postgres.create()
    _old_bank_with_a_study(make_client, url, monkeypatch)
    with db_session(url) as session:
        owner_id = session.scalar(select(Item.owner_id).where(Item.owner_id.is_not(None)))
        assert owner_id is None  # the bank had only built-in items so far
        mine = OLD_ITEMS[0].model_copy(update={"key": "MINE14", "position": 14})
        instructor = session.scalars(select(Instructor)).first()
        assert instructor is not None
        session.add(Item(**mine.model_dump(), owner_id=instructor.id))
        session.commit()
        outcome = refresh_builtin_items(session)
        assert outcome.skipped == {"A14": "form A position 14 is MINE14"}
        assert "A14" not in outcome.added and "B14" in outcome.added
        assert refresh_builtin_items(session).skipped == outcome.skipped
