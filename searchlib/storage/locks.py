"""The index's file locks: one writer at a time, waiting writers served in turn.

Both locks are operating-system locks (Whoosh's ``FileLock``): a killed
process leaves none behind. The write lock is Whoosh's own, so a writer
of either kind excludes the other; the queue lock lets a waiting writer in
between the batches of a long run (see :func:`take_write_lock`).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from ..errors import IndexLockedError

__all__ = ["INDEX_NAME", "WRITE_LOCK", "QUEUE_LOCK", "take_write_lock", "release", "writer_waiting"]

INDEX_NAME = "MAIN"  # Whoosh's default name, the prefix of every file it writes
WRITE_LOCK = f"{INDEX_NAME}_WRITELOCK"
QUEUE_LOCK = "searchlib.queue"
_POLL = 0.02  # seconds between two tries of a lock


def _lock(path: Path, name: str) -> Any:
    """The file lock ``name`` in the index folder ``path``.

    Whoosh creates a lock file with mode 0777 (less the umask), which
    makes it executable; it is made here first as the plain file the
    user's umask gives.
    """
    os.close(os.open(path / name, os.O_CREAT | os.O_WRONLY, 0o666))
    return FileStorage(str(path)).lock(name)


def _acquire(lock: Any, deadline: float) -> bool:
    """Take a file lock, trying until ``deadline`` (a monotonic time)."""
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    return True


def release(lock: Any) -> None:
    """Let go of a file lock that may be half released already.

    Whoosh's release closes the lock's descriptor and only then forgets it,
    so an interrupt (Ctrl-C) landing in between leaves ``fd`` set on a
    closed descriptor, whose number the system may since have given to
    another file: it is released only while it still refers to the lock file.
    """
    if lock.fd is None:
        return
    try:
        held = os.path.samestat(os.fstat(lock.fd), os.stat(lock.filename))
    except OSError:
        held = False
    if held:
        lock.release()
    else:
        lock.fd = None


@contextmanager
def _queue(path: Path, deadline: float) -> Iterator[None]:
    """Hold the index's queue lock while waiting for its write lock.

    A long indexing run lets its write lock go at every batch and takes it
    again at once; a writer polling for it would almost never get in. A
    writer that waits holds the queue lock, which the running writer must
    also take before its next batch, so waiters get their turn in between.
    """
    lock = _lock(path, QUEUE_LOCK)
    if not _acquire(lock, deadline):
        raise LockError("queue")
    try:
        yield
    finally:
        lock.release()


def take_write_lock(path: Path, timeout: float) -> Any:
    """The write lock of the index in ``path``, taken in turn with other
    waiting writers; :class:`IndexLockedError` after ``timeout`` seconds.
    The caller lets it go (:func:`release`); an ``OSError`` (a read-only
    folder) passes as it is."""
    deadline = time.monotonic() + timeout
    lock = _lock(path, WRITE_LOCK)
    try:
        with _queue(path, deadline):
            if not _acquire(lock, deadline):
                raise LockError("write")
    except LockError:
        raise IndexLockedError(
            f"index {path} is locked: another process is writing to it "
            f"(waited {timeout:g} s); try again when it has finished"
        ) from None
    return lock


def writer_waiting(path: Path) -> bool:
    """Whether another writer is waiting for the write lock of the index in
    ``path`` (a long run commits early to let it in)."""
    lock = _lock(path, QUEUE_LOCK)
    if lock.acquire(blocking=False):
        lock.release()
        return False
    return True
