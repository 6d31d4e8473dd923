"""Make ``infra/k8s/secrets.env`` for a class instance on Kubernetes: nothing to invent by hand.

kustomize turns ``secrets.env`` into the Secret ``cnn101-secrets``. This fills every key of
``secrets.env.example`` that is still empty: the PostgreSQL password (hex, as it goes into
the database URLs) and the study's session-signing key are made at random with
``secrets``; the URLs get that password in place of ``PASSWORD``. A value already in
``secrets.env`` (one the instructor set, or one made by an earlier run) is kept, so running
it twice changes nothing and an external database's URL stays as written. The file is
written with mode 0600 and no value is ever printed.

Standard library only, like the compose one (infra/compose/secrets_init.py): it runs
before anything of ours is installed. Usage: ``python infra/k8s/make_secrets.py``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
PASSWORD_KEY = "CNN101_POSTGRES_PASSWORD"
SESSION_KEY = "CNN101_EVALUATION_SECRET_KEY"
URL_KEYS = ("CNN101_EVALUATION_DATABASE_URL", "CNN101_STUDIO_DATABASE_URL")
PLACEHOLDER = "PASSWORD"


def read_env(path: Path) -> dict[str, str]:
    """``KEY=value`` lines in order (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


def filled(example: dict[str, str], kept: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Every key of the example with a value: kept, else made; and the keys that were made."""
    values = {key: kept.get(key, "") for key in example} | {
        key: value for key, value in kept.items() if key not in example
    }
    made: list[str] = []
    if not values.get(PASSWORD_KEY):
        values[PASSWORD_KEY] = secrets.token_hex(24)
        made.append(PASSWORD_KEY)
    if not values.get(SESSION_KEY):
        values[SESSION_KEY] = secrets.token_urlsafe(48)
        made.append(SESSION_KEY)
    for key in URL_KEYS:
        if key in values and (not values[key] or PLACEHOLDER in values[key]):
            template = values[key] or example[key]
            values[key] = template.replace(PLACEHOLDER, values[PASSWORD_KEY])
            made.append(key)
    return values, made


def write_private(path: Path, values: dict[str, str]) -> None:
    """Replace ``path`` with ``KEY=value`` lines, readable by this user only."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# Made by infra/k8s/make_secrets.py; kept out of git. Values here win.\n")
        handle.writelines(f"{key}={value}\n" for key, value in values.items())
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=FOLDER, help="where secrets.env goes")
    args = parser.parse_args(argv)
    folder: Path = args.folder
    example = read_env(FOLDER / "secrets.env.example")
    target = folder / "secrets.env"
    values, made = filled(example, read_env(target))
    write_private(target, values)
    kept = [key for key in values if key not in made]
    print(f"make_secrets: {target}: made {', '.join(made) or 'nothing'}; kept {len(kept)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
