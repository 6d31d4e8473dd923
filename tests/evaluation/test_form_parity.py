"""scripts/form_parity.py reads a real answers export and reports each pair's difficulty.

The data are generated (tests/evaluation/closed_study.py): this shows the script works on
the export's format, not that the forms are equally hard (docs/study.md, "Parallel forms").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.items.bank import DEFAULT_ITEMS
from tests.databases import FakeClock
from tests.evaluation.closed_study import run_closed_study
from tests.evaluation.conftest import MakeClient, instructor_client

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "form_parity.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_form_parity_on_a_generated_export(
    make_client: MakeClient, sqlite_url: str, clock: FakeClock, tmp_path: Path, fmt: str
) -> None:
    client = make_client(sqlite_url)
    admin = instructor_client(client, sqlite_url)
    study = run_closed_study(client, admin, clock)
    export = admin.get(f"/api/instructor/studies/{study['id']}/export/answers.{fmt}")
    assert export.status_code == 200
    path = tmp_path / f"answers.{fmt}"
    path.write_bytes(export.content)

    done = _run(str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    per_form = len(DEFAULT_ITEMS) // 2
    table = [line for line in lines if line[:3].strip().isdigit()]
    assert len(table) == per_form
    concepts = [item.concept for item in DEFAULT_ITEMS if item.form == "A"]
    assert [line.split()[1] for line in table] == concepts
    assert lines[-2].startswith("mean item difficulty: form A ")
    # The numbers are the export's: recount position 1 of form A by hand.
    rows = export.text.splitlines() if fmt == "csv" else []
    if rows:
        header = rows[0].split(",")
        cells = [dict(zip(header, row.split(","), strict=False)) for row in rows[1:]]
        first = [
            c for c in cells if c["phase"] == "pre" and c["form"] == "A" and c["position"] == "1"
        ]
        p = sum(int(c["is_correct"]) for c in first) / len(first)
        assert f"{p:>5.2f} ({len(first):>4})" in table[0]


def test_form_parity_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    bad = tmp_path / "participants.csv"
    bad.write_text("participant,pre_correct\nP-1,3\n")
    done = _run(str(bad))
    assert done.returncode == 2 and "cannot read" in done.stderr
    empty = tmp_path / "answers.csv"
    empty.write_text("phase,form,position,concept,is_correct\npost,A,1,relu,1\n")
    done = _run(str(empty))
    assert done.returncode == 1 and "no pre-test answers" in done.stderr
