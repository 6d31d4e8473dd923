"""Back up and restore the platform's database (the study's and the studio's tables).

SQLite: Python's ``sqlite3`` backup API copies the database page by page while services
keep running (a consistent snapshot, WAL included), and restores the same way. PostgreSQL:
``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --single-transaction`` (the
tools of the field: they keep sequences, constraints and triggers exactly); they must be
on the PATH, in a version not older than the server's (under compose, run them in the
``postgres`` container: docs/classroom.md). A restore replaces what the database holds.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why and what to do."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    """The URL as libpq (pg_dump) reads it: no SQLAlchemy driver name."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (Debian/Ubuntu: apt-get install postgresql-client); "
            f"under compose: docker compose exec postgres {name} …"
        )
    return found


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def backup(url: str, destination: Path) -> None:
    """Write a backup of the database ``url`` names to ``destination`` (replaced)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    path = _sqlite_path(url)
    if path is None:
        _run([_tool("pg_dump"), "--format=custom", f"--file={destination}", _libpq_url(url)])
        return
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    partial = destination.with_name(destination.name + ".partial")
    with sqlite3.connect(path) as source, sqlite3.connect(partial) as target:
        source.backup(target)
    partial.replace(destination)


def restore(url: str, source: Path) -> None:
    """Replace the database ``url`` names with the backup in ``source``."""
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    path = _sqlite_path(url)
    if path is None:
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(url)}",
                str(source),
            ]
        )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as backup_file, sqlite3.connect(path) as target:
        backup_file.backup(target)
