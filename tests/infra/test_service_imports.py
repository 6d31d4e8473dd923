"""Each service, imported on its own in a fresh interpreter, loads only what it needs.

``lint-imports`` checks the import graph statically (pyproject.toml); this checks what a
real import pulls in at run time, including through third-party packages.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from services.common.paths import PROJECT_ROOT

# service module -> packages it must not load
MUST_NOT_LOAD = {
    "services.gateway.app": [
        "tensorflow",
        "keras",
        "scipy",
        "sqlalchemy",
        "evaluation",
        "services.studio",
        "services.worker",
        "services.pipeline.training",
    ],
    "evaluation.app": [
        "tensorflow",
        "keras",
        "services.pipeline",
        "services.worker",
        "services.studio",
        "services.gateway",
    ],
    "services.studio.app": [
        "tensorflow",
        "keras",
        "scipy",
        "evaluation",
        "services.worker",
        "services.gateway",
        "services.pipeline.training",
    ],
    "services.common.errors": ["tensorflow", "sqlalchemy", "services.pipeline", "celery"],
}


def _loaded_modules(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", sorted(MUST_NOT_LOAD))
def test_a_service_loads_nothing_it_must_not(module: str) -> None:
    loaded = _loaded_modules(module)
    assert module in loaded
    found = {
        package
        for package in MUST_NOT_LOAD[module]
        if any(name == package or name.startswith(package + ".") for name in loaded)
    }
    assert not found, f"importing {module} loads {sorted(found)}"
