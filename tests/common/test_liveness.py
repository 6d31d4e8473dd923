"""services/common/liveness.py ends a process after N failed checks in a row, not before."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from services.common.liveness import main

FAIL = [sys.executable, "-c", "raise SystemExit(1)"]
PASS = [sys.executable, "-c", "pass"]


def test_the_process_ends_after_three_failures_in_a_row(tmp_path: Path) -> None:
    wedged = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    count = tmp_path / "count"
    common = ["--end-after", "3", "--pid", str(wedged.pid), "--count-file", str(count)]
    try:
        assert main([*common, "--", *FAIL]) == 1
        assert main([*common, "--", *FAIL]) == 1
        assert main([*common, "--", *PASS]) == 0  # a success resets the count
        assert main([*common, "--", *FAIL]) == 1
        assert main([*common, "--", *FAIL]) == 1
        time.sleep(0.2)
        assert wedged.poll() is None
        assert main([*common, "--", *FAIL]) == 1
        assert wedged.wait(timeout=10) == -15
    finally:
        wedged.kill()
