"""``cnn101 backup`` / ``cnn101 restore``: a round trip restores every row of every table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select, text

from services.cli import main
from services.database.engine import make_engine
from tests.evaluation.conftest import instructor_client
from tests.evaluation.helpers import consent, create_open_study, finish, join, start


def _every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows, in a stable order (what the round trip must give back)."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def test_a_backup_restores_every_row(client: TestClient, database_url: str, tmp_path: Path) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    for prior_ml in (True, False, False):
        headers = join(client, study["join_code"])
        consent(client, headers, prior_ml=prior_ml)
        start(client, headers, "pre")
        finish(client, headers, "pre")
        assert client.post("/api/student/assignment", headers=headers).status_code == 200
    before = _every_row(database_url)
    # (On PostgreSQL the database is shared with the session's other tests: more rows.)
    assert len(before["participant"]) >= 3 and len(before["allocation_log"]) >= 6

    archive = tmp_path / "study.backup"
    assert main(["backup", str(archive), "--database-url", database_url]) == 0
    assert archive.stat().st_size > 0

    # What a restore is for: rows lost after the backup.
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM participant"))
    engine.dispose()
    assert _every_row(database_url)["participant"] == []

    assert main(["restore", str(archive), "--database-url", database_url]) == 0
    assert _every_row(database_url) == before
    # The service still works on the restored database.
    assert admin.get(f"/api/instructor/studies/{study['id']}").status_code == 200


def test_a_missing_backup_is_explained(database_url: str, tmp_path: Path, capsys: Any) -> None:
    assert main(["restore", str(tmp_path / "nothing"), "--database-url", database_url]) == 2
    assert "there is no backup" in capsys.readouterr().err
