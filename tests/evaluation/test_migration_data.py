"""Upgrading a database that holds a study from the previous revision keeps every row.

The rows are written with plain SQL as revision 0001 knew the tables, not through today's
models, so the test keeps meaning the same thing when the models change again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, select, text

from evaluation.analysis import analyse
from evaluation.items.snapshot import study_form_sizes
from evaluation.migrations import alembic_config, upgrade_database
from evaluation.models import Item, StudyReport
from evaluation.schemas import ItemData
from services.database.engine import make_engine, make_session_factory
from tests.evaluation.conftest import PostgresDatabases
from tests.evaluation.old_items import OLD_ITEMS as DEFAULT_ITEMS  # what old releases seeded

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STUDENTS = [("P-AAAAAA", "AB", "cnn101", 3, 9), ("P-BBBBBB", "BA", "conventional", 4, 6)]
STUDENTS += [("P-CCCCCC", "AB", "conventional", 2, 5), ("P-DDDDDD", "BA", "cnn101", 5, 12)]


def _insert_items(connection: Connection, items: list[ItemData]) -> None:
    """The built-in items as revision 0001 stored them (no version, no owner)."""
    for item in items:
        connection.execute(
            text(
                "INSERT INTO item (key, form, position, concept, stem, options, correct_index,"
                " explanation, updated_at) VALUES (:key, :form, :position, :concept, :stem,"
                " :options, :correct_index, :explanation, :now)"
            ),
            {**item.model_dump(), "options": json.dumps(item.options), "now": NOW},
        )


def _fill_revision_0001(engine: Engine) -> int:
    """A closed study with four finished students, as revision 0001 stored it."""
    with engine.begin() as connection:
        run = connection.execute
        _insert_items(connection, DEFAULT_ITEMS)
        instructor = run(
            text(
                "INSERT INTO instructor (email, password_hash, created_at)"
                " VALUES ('old@school.example', 'x', :now) RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        run(
            text(
                "INSERT INTO instructor (email, password_hash, created_at)"
                " VALUES ('later@school.example', 'x', :now)"
            ),
            {"now": NOW},
        )
        study = run(
            text(
                "INSERT INTO study (instructor_id, title, consent_text, learning_seconds,"
                " pre_test_seconds, post_test_seconds, status, join_code, assignment_seed,"
                " created_at, opened_at, closed_at) VALUES (:i, 'spring', 'ok', 600, 300, 300,"
                " 'closed', 'OLDONE', 7, :now, :now, :now) RETURNING id"
            ),
            {"i": instructor, "now": NOW},
        ).scalar_one()
        items = {
            (form, position): (item_id, correct)
            for item_id, form, position, correct in run(
                text("SELECT id, form, position, correct_index FROM item")
            )
        }
        for slot, (code, order, condition, pre, post) in enumerate(STUDENTS):
            participant = run(
                text(
                    "INSERT INTO participant (study_id, code, token_hash, consent, prior_ml,"
                    " form_order, form_slot, stratum, condition, condition_slot, joined_at,"
                    " consented_at, assigned_at, completed_at) VALUES (:s, :code, :token,"
                    " 'participate', false, :order, :slot, 'low|ml_no', :condition, :slot,"
                    " :now, :now, :now, :now) RETURNING id"
                ),
                {
                    "s": study,
                    "code": code,
                    "token": code.ljust(64, "0"),
                    "order": order,
                    "slot": slot,
                    "condition": condition,
                    "now": NOW,
                },
            ).scalar_one()
            for phase, form, n_correct in (("pre", order[0], pre), ("post", order[1], post)):
                run(
                    text(
                        "INSERT INTO phase_attempt (participant_id, phase, form, started_at,"
                        " deadline_at, finished_at, finish_reason)"
                        " VALUES (:p, :phase, :form, :now, :now, :now, 'submitted')"
                    ),
                    {"p": participant, "phase": phase, "form": form, "now": NOW},
                )
                for position in range(1, 14):
                    item_id, correct = items[(form, position)]
                    choice = correct if position <= n_correct else (correct + 1) % 4
                    run(
                        text(
                            "INSERT INTO answer (participant_id, item_id, phase, choice_index,"
                            " is_correct, submission_id, answered_at, elapsed_ms) VALUES"
                            " (:p, :item, :phase, :choice, :ok, :sub, :now, 1000)"
                        ),
                        {
                            "p": participant,
                            "item": item_id,
                            "phase": phase,
                            "choice": choice,
                            "ok": choice == correct,
                            "sub": f"{code}-{phase}-{position}",
                            "now": NOW,
                        },
                    )
    return int(study)


def _check_upgrade_keeps_the_study(engine: Engine) -> None:
    upgrade_database(engine, "0001")
    assert "study_report" not in inspect(engine).get_table_names()
    study_id = _fill_revision_0001(engine)
    upgrade_database(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM answer")).scalar_one() == 4 * 26
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        # Instructors from before 0003 start at session epoch 0 (their cookies are new).
        epochs = connection.execute(text("SELECT session_epoch FROM instructor")).scalars()
        assert set(epochs) == {0}
        # 0005: the first instructor of an existing database becomes its admin.
        admins = connection.execute(text("SELECT email FROM instructor WHERE is_admin")).scalars()
        assert list(admins) == ["old@school.example"]
    with make_session_factory(engine)() as session:
        results = analyse(session, study_id)
        by_condition = {row.condition: row for row in results.conditions}
        assert by_condition["cnn101"].n == by_condition["conventional"].n == 2
        assert by_condition["cnn101"].pre_mean == pytest.approx((3 + 5) / 2 / 13)
        assert by_condition["conventional"].post_mean == pytest.approx((6 + 5) / 2 / 13)
        # 0009: the closed study's snapshot holds the 26 items its students answered.
        assert study_form_sizes(session, study_id) == {"A": 13, "B": 13}
        # The new table works on the upgraded database.
        session.add(
            StudyReport(
                study_id=study_id, build_id="b", status="queued", step="queued", requested_at=NOW
            )
        )
        session.commit()
    command.downgrade(alembic_config(engine), "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM participant")).scalar_one() == 4
    assert "study_report" not in inspect(engine).get_table_names()


def test_postgres_upgrade_from_0001_keeps_the_data(postgres: PostgresDatabases) -> None:
    engine = make_engine(postgres.create())
    try:
        _check_upgrade_keeps_the_study(engine)
    finally:
        engine.dispose()


def test_sqlite_upgrade_from_0001_keeps_the_data(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        _check_upgrade_keeps_the_study(engine)
    finally:
        engine.dispose()


def _check_backfill_of_versions_and_snapshots(engine: Engine) -> None:
    """0009: items become version 1 (built-in: nobody's; imported: their one importer's);
    open and closed studies get a snapshot of the items they used, drafts none."""
    upgrade_database(engine, "0008")
    with engine.begin() as connection:
        run = connection.execute
        _insert_items(connection, DEFAULT_ITEMS)
        imported = DEFAULT_ITEMS[0].model_copy(update={"key": "MINE01", "position": 14})
        _insert_items(connection, [imported])
        ids = {}
        for email in ("first@school.example", "importer@school.example"):
            ids[email] = run(
                text(
                    "INSERT INTO instructor (email, password_hash, created_at, is_admin)"
                    " VALUES (:email, 'x', :now, :admin) RETURNING id"
                ),
                {"email": email, "now": NOW, "admin": email.startswith("first")},
            ).scalar_one()
        run(
            text(
                "INSERT INTO audit_entry (at, actor_id, actor, action, outcome, detail)"
                " VALUES (:now, :actor, 'importer@school.example', 'items.import', 'ok', '{}')"
            ),
            {"now": NOW, "actor": ids["importer@school.example"]},
        )
        studies = {}
        for code, status in (("OPEN01", "open"), ("SHUT01", "closed"), ("DRAFT1", "draft")):
            studies[status] = run(
                text(
                    "INSERT INTO study (instructor_id, title, consent_text, learning_seconds,"
                    " pre_test_seconds, post_test_seconds, status, join_code, assignment_seed,"
                    " created_at, design_version) VALUES (:i, :code, 'ok', 600, 300, 300,"
                    " :status, :code, 7, :now, 2) RETURNING id"
                ),
                {"i": ids["first@school.example"], "code": code, "status": status, "now": NOW},
            ).scalar_one()
    upgrade_database(engine)
    with make_session_factory(engine)() as session:
        items = list(session.scalars(select(Item)))
        assert {(item.version, item.is_current) for item in items} == {(1, True)}
        owners = {item.key: item.owner_id for item in items}
        assert owners.pop("MINE01") == ids["importer@school.example"]
        assert set(owners.values()) == {None}
        assert study_form_sizes(session, studies["open"]) == {"A": 14, "B": 13}
        assert study_form_sizes(session, studies["closed"]) == {"A": 14, "B": 13}
        assert study_form_sizes(session, studies["draft"]) == {"A": 0, "B": 0}
    command.downgrade(alembic_config(engine), "0008")
    assert "study_item" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM item")).scalar_one() == 27


def test_postgres_backfill_of_item_versions(postgres: PostgresDatabases) -> None:
    engine = make_engine(postgres.create())
    try:
        _check_backfill_of_versions_and_snapshots(engine)
    finally:
        engine.dispose()


def test_sqlite_backfill_of_item_versions(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        _check_backfill_of_versions_and_snapshots(engine)
    finally:
        engine.dispose()


def test_downgrade_below_0009_refuses_items_with_versions(sqlite_url: str) -> None:
    """The old schema holds one row per key: a second version cannot go back (nor be lost)."""
    engine = make_engine(sqlite_url)
    try:
        upgrade_database(engine)
        with make_session_factory(engine)() as session:
            first = DEFAULT_ITEMS[0].model_dump()
            session.add(Item(**first, version=1, is_current=False))
            session.add(Item(**first, version=2, is_current=True))
            session.commit()
        with pytest.raises(RuntimeError, match="cannot hold them"):
            command.downgrade(alembic_config(engine), "0008")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM item")).scalar_one() == 2
        assert "study_item" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
