"""Write each HTTP service's OpenAPI document to ``frontend/openapi/<service>.json``.

The SPA's request and response types are generated from these files (openapi-typescript,
``npm run gen:api``), so a changed API changes them. ``--check`` compares the committed
documents with what the code produces now and fails naming every stale one, so an API
changed without regenerating fails the test command. Each app is built by its factory and
never started: ``app.openapi()`` needs no lifespan, hence no database, Redis or broker.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from evaluation.app import create_app as evaluation_app
from services.gateway.app import create_app as gateway_app
from services.studio.app import create_app as studio_app

# One line per service: its name (the file frontend/openapi/<name>.json) -> its app.
SERVICES: Mapping[str, Callable[[], FastAPI]] = {
    "gateway": gateway_app,
    "evaluation": evaluation_app,
    "studio": studio_app,
}

OUTPUT_DIR = Path(__file__).resolve().parents[1] / "frontend" / "openapi"


def render(document: Mapping[str, Any]) -> str:
    """Stable text: sorted keys, two-space indents, a trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def documents() -> dict[str, str]:
    """Each service's document as text, built from the code alone.

    The ``CNN101_*`` variables are dropped first: the document is the code's, never this
    machine's configuration (and a production setting must not refuse to build an app).
    """
    for name in [name for name in os.environ if name.startswith("CNN101_")]:
        del os.environ[name]
    return {name: render(factory().openapi()) for name, factory in SERVICES.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if a committed document is stale"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="where the files go")
    args = parser.parse_args()
    output: Path = args.output
    stale: list[Path] = []
    for name, text in documents().items():
        target = output / f"{name}.json"
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
        else:
            output.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if stale:
        print(
            "Stale OpenAPI documents (run `python scripts/export_openapi.py`, "
            "then `npm run gen:api` in frontend/):",
            *stale,
            sep="\n  ",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
