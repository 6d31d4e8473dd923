"""Print the dependencies one image installs: ``requirements.py pyproject.toml [names.txt]``.

The images install their dependencies before the code (so a code change does not reinstall
TensorFlow), and the small images (gateway, worker, evaluation) only the packages they
import. ``names.txt`` lists distribution names, one a line; each is printed with the
version specifier ``pyproject.toml`` gives it, so the versions have one source. Without
``names.txt`` every dependency is printed. An unknown name is an error.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def _name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement (``uvicorn[standard]>=1``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def select(pyproject: Path, names_file: Path | None = None) -> list[str]:
    """The requirement lines of ``pyproject`` for the names in ``names_file`` (all if None)."""
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    if names_file is None:
        return dependencies
    by_name = {_name(requirement): requirement for requirement in dependencies}
    wanted = [
        line.split("#", 1)[0].strip()
        for line in names_file.read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    unknown = [name for name in wanted if _name(name) not in by_name]
    if unknown:
        raise SystemExit(f"{names_file}: not dependencies in {pyproject}: {', '.join(unknown)}")
    return [by_name[_name(name)] for name in wanted]


if __name__ == "__main__":
    arguments = [Path(argument) for argument in sys.argv[1:]]
    if not 1 <= len(arguments) <= 2:
        raise SystemExit(__doc__)
    print("\n".join(select(arguments[0], arguments[1] if len(arguments) == 2 else None)))
