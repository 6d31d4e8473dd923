"""A process's children, name and liveness, read from /proc (tests that start services
with worker processes check that the workers are there, and that they end)."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The process's direct children, from every one of its threads."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            listed = (task / "children").read_text()
        except FileNotFoundError:  # the thread ended after the listing: it has no children
            continue
        found += [int(child) for child in listed.split()]
    return found


def comm(pid: int) -> str:
    """The process's name; empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except FileNotFoundError:
        return ""


def alive(pid: int) -> bool:
    """Running, not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def uvicorn_workers(pid: int) -> list[int]:
    """A uvicorn master's worker processes, not multiprocessing's resource tracker beside
    them."""
    return [child for child in children(pid) if "python" in comm(child) and _not_tracker(child)]


def _not_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
