"""Administration: ``python -m evaluation.cli migrate | create-instructor | serve``."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from evaluation.auth import create_instructor
from evaluation.items.bank import seed_default_items
from evaluation.items.refresh import refresh_builtin_items
from evaluation.migrations import upgrade_database
from evaluation.settings import load_settings
from services.database.engine import make_engine, make_session_factory


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if first != getpass.getpass("Repeat the password: "):
        raise SystemExit("the passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database to the latest schema")
    create = commands.add_parser("create-instructor", help="add an instructor account")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    commands.add_parser("serve", help="run the service (same as python -m evaluation.app)")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "serve":
        from evaluation.app import main as serve

        serve()
        return 0
    engine = make_engine(settings.evaluation_database_url)
    try:
        upgrade_database(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            seed_default_items(session)
            refresh_builtin_items(session)
            if args.command == "create-instructor":
                try:
                    instructor = create_instructor(
                        session, args.email, _read_password(args.password_stdin)
                    )
                except ValueError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 1
                print(f"instructor {instructor.email} created")
            else:
                print("database is at the latest revision")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
