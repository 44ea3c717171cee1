"""Rebuilding an index beside the old one and swapping it in.

A rebuild writes a complete new index in ``.NAME.rebuild-PID`` beside the
old one, then swaps the two folders by renaming (the old one passes
through ``.NAME.old-PID``). A kill at any moment leaves either index in
place or a swap :func:`finish_interrupted_swap` completes on the next open.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

from . import locks, store
from .damage import write_error
from ..errors import SearchlibError

__all__ = ["RebuildFolder", "rebuild_folders", "finish_interrupted_swap", "fresh_directory", "rebuild_swap"]

REBUILD_TAG = ".rebuild-"
OLD_TAG = ".old-"


@dataclass(frozen=True)
class RebuildFolder:
    """A folder a rebuild of ``target`` made beside it: ``.NAME.rebuild-PID``
    (the new index being built) or ``.NAME.old-PID`` (the old one, moved
    aside during the swap)."""

    path: Path
    tag: str
    pid: str

    @property
    def alive(self) -> bool:
        """Whether the rebuild that made it is still running."""
        return pid_alive(self.pid)


def rebuild_folders(target: Path) -> List[RebuildFolder]:
    """The folders rebuilds of ``target`` made beside it, by name."""
    parent = target.parent
    if not parent.is_dir():
        return []
    found = []
    for entry in sorted(parent.iterdir()):
        for tag in (REBUILD_TAG, OLD_TAG):
            if entry.name.startswith(f".{target.name}{tag}"):
                found.append(RebuildFolder(entry, tag, entry.name.rsplit("-", 1)[-1]))
    return found


def finish_interrupted_swap(target: Path) -> None:
    """Finish a rebuild whose swap a kill cut between its two renames: the
    old index moved aside, the new one not yet in its place. The new one is
    complete (the swap starts only then), so it goes in place now."""
    if target.exists():
        return
    for old in rebuild_folders(target):
        fresh = target.parent / f".{target.name}{REBUILD_TAG}{old.pid}"
        if old.tag == OLD_TAG and not old.alive and store.Store.exists(fresh):
            try:
                os.rename(fresh, target)
            except OSError as error:
                raise write_error(target, error) from None
            shutil.rmtree(old.path, ignore_errors=True)
            return


def fresh_directory(target: Path) -> Path:
    """A new, empty directory beside ``target`` to build its replacement in,
    after clearing what killed rebuilds left behind."""
    finish_interrupted_swap(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for folder in rebuild_folders(target):
        if not folder.alive:
            shutil.rmtree(folder.path, ignore_errors=True)
    fresh = target.parent / f".{target.name}{REBUILD_TAG}{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    return fresh


def pid_alive(text: str) -> bool:
    if not text.isdigit():
        return False
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def rebuild_swap(fresh: Path, target: Path, lock_timeout: float) -> None:
    """Put the complete index in ``fresh`` in the place of ``target``.

    The old index's write lock is held while swapping, so no writer is cut
    short; readers that have the old files open keep reading them.
    """
    if target.is_dir():
        for name in store.HOUSEKEEPING:
            if (target / name).is_file() and not (fresh / name).exists():
                shutil.copy2(target / name, fresh / name)
    try:
        with _write_lock(target, lock_timeout):
            if not target.exists():
                os.rename(fresh, target)
                return
            old = target.parent / f".{target.name}{OLD_TAG}{os.getpid()}"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(target, old)
            try:
                os.rename(fresh, target)
            except OSError:
                os.rename(old, target)
                raise
    except OSError as error:
        raise SearchlibError(f"cannot put the rebuilt index in place of {target} ({error.strerror or error})") from None
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _write_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold the write lock of the index in ``path`` (if there is one)
    without opening it: for swapping a rebuilt index in."""
    if not store.Store.exists(path):
        yield
        return
    lock = locks.take_write_lock(path, timeout)
    try:
        yield
    finally:
        try:
            lock.release()
        except OSError:
            pass  # the folder was swapped away and removed
