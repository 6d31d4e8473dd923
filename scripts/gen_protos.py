"""Generate the Python stubs of ``proto/`` (``make protos``); ``--check`` fails on drift.

The stubs live beside their sources (``proto/cnn101/v1/*_pb2*.py``) and are installed as
the ``cnn101`` package, so the imports grpc_tools writes (``from cnn101.v1 import ...``)
work unchanged. ``--check`` regenerates into a temporary folder and compares, so a
``.proto`` edited without regenerating fails the test command.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parents[1] / "proto"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(output: Path) -> list[Path]:
    """Run protoc over every ``.proto`` under ``proto/`` into ``output``; return the files."""
    sources = sorted(PROTO_ROOT.rglob("*.proto"))
    arguments = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"--python_out={output}",
        f"--pyi_out={output}",
        f"--grpc_python_out={output}",
        *(str(source.relative_to(PROTO_ROOT)) for source in sources),
    ]
    if protoc.main(arguments) != 0:
        raise SystemExit("protoc failed")
    return sorted(p for p in output.rglob("*") if p.name.endswith(GENERATED_SUFFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the stubs are stale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate(Path(scratch))
        stale = []
        for path in fresh:
            target = PROTO_ROOT / path.relative_to(scratch)
            if args.check:
                if not target.exists() or not filecmp.cmp(path, target, shallow=False):
                    stale.append(target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    if stale:
        print("Stale generated stubs (run `make protos`):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
