"""Sources read for :class:`searchlib.Index`, with progress reports: files
(counted in files, bytes and documents) and streams (whose size is unknown).
"""

from __future__ import annotations

import io
import time
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional, Sequence, Set, TypeVar, Union

from . import ingest
from .ingest import Document, IngestFailure, IngestWarning
from .results import Progress

__all__ = ["iter_sources", "StreamProgress"]

Item = Union[Document, IngestFailure, IngestWarning]
_T = TypeVar("_T")


def iter_sources(
    files: Sequence[ingest.SourceFile],
    fields: ingest.FieldMap,
    failed_origins: Set[str],
    progress: Optional[Callable[[Progress], None]],
) -> Iterator[Item]:
    """The items of each file in turn, noting files that failed and
    reporting progress in files, bytes and documents."""
    total_bytes = sum(source.size for source in files)
    done_bytes = 0
    documents = 0
    files_done = 0
    within = 0  # bytes read of the current file
    last_report = 0.0

    def report(force: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress is not None and (force or now - last_report >= 0.1):
            last_report = now
            progress(Progress(files_done, len(files), done_bytes + within, total_bytes, documents))

    def advance(position: int) -> None:
        nonlocal within
        within = min(position, files[files_done].size)
        report()

    for source in files:
        within = 0
        for item in ingest.read_source(source, fields, advance):
            if isinstance(item, IngestFailure):
                failed_origins.add(source.origin)
            elif isinstance(item, Document):
                documents += 1
                if documents % 64 == 0:
                    report()
            yield item
        done_bytes += source.size
        within = 0
        files_done += 1
        report(force=True)


class _Counted(io.RawIOBase):
    """A binary stream that tells a :class:`StreamProgress` what is read."""

    def __init__(self, stream: BinaryIO, progress: "StreamProgress") -> None:
        # read1 returns what a pipe holds now rather than waiting for a
        # whole chunk, so a slow producer still shows progress.
        self._read = getattr(stream, "read1", stream.read)
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        self._progress.read(len(data))
        return len(data)


class StreamProgress:
    """Progress of reading a stream, whose size is unknown: bytes read, then
    documents, reported at most every tenth of a second (and at the end)."""

    _CHUNK = 1 << 20

    def __init__(self, progress: Optional[Callable[[Progress], None]]) -> None:
        self._progress = progress
        self._bytes = 0
        self._documents = 0
        self._read = False
        self._last = 0.0

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._progress is not None and (force or now - self._last >= 0.1):
            self._last = now
            self._progress(Progress(int(self._read), 1, self._bytes, 0, self._documents))

    def reading(self, stream: BinaryIO) -> BinaryIO:
        """``stream``, buffered, counting the bytes read from it."""
        return io.BufferedReader(_Counted(stream, self), self._CHUNK)

    def read(self, count: int) -> None:
        self._bytes += count
        self.report()

    def finished(self) -> None:
        self._read = True
        self.report(force=True)

    def documents(self, items: Iterable[_T]) -> Iterator[_T]:
        for item in items:
            if isinstance(item, Document):
                self._documents += 1
                self.report()
            yield item
