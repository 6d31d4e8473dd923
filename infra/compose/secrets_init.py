"""Make a class instance's secrets on its first start (compose's one-shot ``secrets-init``).

The study's session-signing key and the database password are made at random unless the
instructor sets them in ``.env``, and kept in two named volumes, each file readable only by
the user the services run as (mode 0600, uid 10001): a restart keeps them, so sessions and
the database survive it, and no two machines share a value. The study service reads its key
through ``CNN101_SECRETS_DIR``; the services reach PostgreSQL with libpq's ``PGPASSFILE``
(so no database URL carries the password), and PostgreSQL reads ``POSTGRES_PASSWORD_FILE``.

Standard library only: it runs in the plain Python image, before any of ours is needed.
No value is ever printed.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

# The folder of the study's signing key (its CNN101_SECRETS_DIR) and of the database's.
STUDY_DIR = Path(os.environ.get("CNN101_STUDY_SECRETS_DIR", "/secrets/study"))
DATABASE_DIR = Path(os.environ.get("CNN101_DATABASE_SECRETS_DIR", "/secrets/database"))
# The user every CNN 101 image runs as (infra/docker/*.Dockerfile).
SERVICE_UID = int(os.environ.get("CNN101_SERVICE_UID", "10001"))
DATABASE_USER = "cnn101"
DATABASE_NAME = "cnn101"
# What the study service accepts (services/common/secrets.py checks more).
MIN_KEY_LENGTH = 32

# Files named like the variables, in lower case, as pydantic-settings' secrets_dir reads them.
SESSION_KEY_FILE = "cnn101_evaluation_secret_key"
PASSWORD_FILE = "postgres_password"
PGPASS_FILE = "pgpass"


class SecretError(ValueError):
    """A value the instructor set cannot be used; the message says why."""


def _private_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600, owned by the services' user."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    if os.geteuid() == 0:
        os.chown(partial, SERVICE_UID, SERVICE_UID)
    partial.replace(path)


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    if os.geteuid() == 0:
        os.chown(folder, SERVICE_UID, SERVICE_UID)


def _kept(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value or None


def _given(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if "\n" in value or "\r" in value:
        raise SecretError(f"{name} holds a line break")
    return value or None


def pgpass_line(password: str) -> str:
    """The ``.pgpass`` entry for the study's database (``:`` and ``\\`` escaped)."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:{DATABASE_NAME}:{DATABASE_USER}:{escaped}\n"


def session_key() -> str:
    """Write the study's signing key: the instructor's, else the kept one, else a new one."""
    path = STUDY_DIR / SESSION_KEY_FILE
    given = _given("CNN101_EVALUATION_SECRET_KEY")
    if given is not None and len(given) < MIN_KEY_LENGTH:
        raise SecretError(
            f"CNN101_EVALUATION_SECRET_KEY is shorter than {MIN_KEY_LENGTH} characters "
            "(openssl rand -hex 32 makes a good one); unset it to have one made"
        )
    kept = _kept(path)
    key = given or kept or secrets.token_urlsafe(48)
    _private_folder(STUDY_DIR)
    _private_write(path, key + "\n")
    return "set from .env" if given else ("kept" if kept else "made")


def database_password() -> str:
    """Write the database password (and its ``.pgpass``): as for the key."""
    path = DATABASE_DIR / PASSWORD_FILE
    given = _given("CNN101_POSTGRES_PASSWORD")
    kept = _kept(path)
    if given is not None and kept is not None and given != kept:
        print(
            "secrets-init: CNN101_POSTGRES_PASSWORD differs from the password kept so far. "
            "PostgreSQL reads it only when it creates its data volume; on an existing one, "
            "change it there too: docker compose exec postgres psql -U cnn101 -c "
            "\"ALTER ROLE cnn101 PASSWORD '<the new one>'\"",
            file=sys.stderr,
        )
    password = given or kept or secrets.token_hex(24)
    _private_folder(DATABASE_DIR)
    _private_write(path, password)
    _private_write(DATABASE_DIR / PGPASS_FILE, pgpass_line(password))
    return "set from .env" if given else ("kept" if kept else "made")


def main() -> int:
    try:
        key, password = session_key(), database_password()
    except SecretError as error:
        print(f"secrets-init: {error}", file=sys.stderr)
        return 2
    print(f"secrets-init: study signing key {key}; database password {password}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
