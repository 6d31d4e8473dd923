"""SQLite connections that queue their writers before SQLite does.

Every transaction on SQLite starts with ``BEGIN IMMEDIATE`` (``engine.py``), which takes the
database's one write lock. When the lock is taken, SQLite's own busy handler makes the
waiting thread sleep and retry, with sleeps growing to 100 ms; a thread that arrives later
can take the lock while an earlier one sleeps. Under a class's answers that made some
requests wait seconds while the lock sat idle between retries (docs/sizing.md, 1,000
students on ``make run``). Here a writer first takes its process's Python lock, which wakes
the next waiter the moment the holder commits or rolls back, then an exclusive ``flock`` on
a file beside the database, which orders the processes (the study's workers, the Celery
worker, a command). So only one thread per process ever waits for another process, and
SQLite's handler only for a program that does not take the file lock.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

WRITE_LOCK_TIMEOUT_SECONDS = 30.0
"""As long as SQLite's own busy timeout: a writer that waits longer fails as before."""

FILE_LOCK_POLL_SECONDS = 0.0005
"""How often the one waiting thread of a process retries the file lock (flock has no timeout)."""


class _ProcessFileLock:
    """An exclusive ``flock`` on one file, opened anew in each process (a fork shares it)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._descriptor: int | None = None
        self._owner_pid = 0

    def acquire(self, deadline: float) -> bool:
        descriptor = self._open()
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(FILE_LOCK_POLL_SECONDS)
            else:
                return True

    def release(self) -> None:
        if self._descriptor is not None and self._owner_pid == os.getpid():
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def __del__(self) -> None:
        if self._descriptor is not None and self._owner_pid == os.getpid():
            os.close(self._descriptor)

    def _open(self) -> int:
        if self._descriptor is None or self._owner_pid != os.getpid():
            self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._owner_pid = os.getpid()
        return self._descriptor


class _SerialisedConnection(sqlite3.Connection):
    """Holds its engine's write lock from ``begin_immediate`` until commit, rollback or close."""

    write_lock: threading.Lock
    file_lock: _ProcessFileLock | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_write_lock = False
        self._query_only = False

    def begin_read(self) -> None:
        """A read transaction: a consistent snapshot (WAL) that takes no lock and waits for
        no writer; SQLite refuses any write in it (``query_only``)."""
        if not self._query_only:
            self.execute("PRAGMA query_only=ON")
            self._query_only = True
        self.execute("BEGIN DEFERRED")

    def begin_immediate(self) -> None:
        if self._query_only:
            self.execute("PRAGMA query_only=OFF")
            self._query_only = False
        deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_SECONDS
        if not self.write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        self._holds_write_lock = True
        try:
            if self.file_lock is not None and not self.file_lock.acquire(deadline):
                raise sqlite3.OperationalError("database is locked")
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_write_lock()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_write_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_write_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_write_lock()

    def __del__(self) -> None:
        # A connection dropped inside a transaction (never closed) gives the locks back,
        # as SQLite itself gives its lock back when the handle is freed.
        self._release_write_lock()

    def _release_write_lock(self) -> None:
        if getattr(self, "_holds_write_lock", False):
            self._holds_write_lock = False
            if self.file_lock is not None:
                self.file_lock.release()
            self.write_lock.release()


def serialised_connection_class(database: str | None) -> type[sqlite3.Connection]:
    """A connection class with locks of its own: one per engine, shared by its pool.

    ``database`` is the file's path; an in-memory database (None) has no other process.
    """
    file_lock = _ProcessFileLock(Path(f"{database}-writers.lock")) if database else None
    return type(
        "SerialisedConnection",
        (_SerialisedConnection,),
        {"write_lock": threading.Lock(), "file_lock": file_lock},
    )
