"""Reading an index while another process commits to it: the one retry loop.

A commit writes a new table of contents and removes the files of the
segments it merged. A reader that listed the old table of contents, or
opened it and then a file it lists, finds a file missing: no damage, only
a moved index, and the read is tried again on the newer commit. A reader
that fails with no commit in between has met real damage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from .locks import INDEX_NAME

__all__ = ["Attempt", "attempts", "latest_generation", "ATTEMPTS"]

#: reads to try while commits keep replacing the table of contents being read
ATTEMPTS = 10


def latest_generation(storage: FileStorage) -> int:
    """The newest table of contents in a folder (-1 when there is none)."""
    generation: int = TOC._latest_generation(storage, INDEX_NAME)
    return generation


@dataclass
class Attempt:
    """One try at a read: the commit it starts from, and whether it is the last."""

    storage: FileStorage
    generation: int
    last: bool

    def moved(self) -> bool:
        """Whether a commit replaced the table of contents since this try began."""
        return latest_generation(self.storage) != self.generation


def attempts(path: Path, count: int = ATTEMPTS) -> Iterator[Attempt]:
    """Tries at reading the index in ``path``, each from the newest commit::

        for attempt in attempts(path):
            try:
                return read(attempt.generation)
            except OSError:
                if attempt.last or not attempt.moved():
                    raise
    """
    storage = FileStorage(str(path), readonly=True)
    for number in range(count):
        yield Attempt(storage, latest_generation(storage), number == count - 1)
