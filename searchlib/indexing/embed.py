"""Filling the vectors of passages indexed without them (``search embed``).

Passages already committed are not rewritten: their vectors are written
in place into their segment's vectors file (:mod:`searchlib.storage.vectors`),
a batch at a time. A batch's vectors are made outside the index's lock
(seconds to minutes of model time) and written under it, after checking
that the batch's segments are still in the index (a merge meanwhile
carried their passages elsewhere: those are found missing again on the
next pass). Every batch written is kept, so a run that is stopped, killed
or interrupted is continued by running it again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..embedders import Embedder, passage_for_embedding
from ..results import EmbedProgress, EmbedReport
from ..storage import locks, store, vectors
from ..storage.schema import FIELDS
from .prepare import embed_rows

__all__ = ["fill", "DEFAULT_BATCH"]

#: passages embedded and written at a time: what a stopped run loses at most
DEFAULT_BATCH = 64
_PASSES = 3

# (segment id, passages in the segment, passage number in the segment)
_Place = Tuple[str, int, int]


def _missing(the_store: store.Store, dimensions: int) -> List[_Place]:
    """Every live passage without a vector, segment by segment."""
    found: List[_Place] = []
    with the_store.reading(for_writing=True) as searcher:
        for reader, _ in searcher.reader().leaf_readers():
            segment_id = reader._segment.segment_id()
            count = reader.doc_count_all()
            present = vectors.read_rows(the_store.path, segment_id, count, dimensions).present
            for number in range(count):
                if not present[number] and not reader.is_deleted(number):
                    found.append((segment_id, count, number))
    return found


def _texts(the_store: store.Store, batch: List[_Place]) -> Optional[List[str]]:
    """What the embedder reads of each passage of ``batch`` (None: a
    segment of it has gone meanwhile)."""
    with the_store.reading(for_writing=True) as searcher:
        readers = {reader._segment.segment_id(): reader for reader, _ in searcher.reader().leaf_readers()}
        texts: List[str] = []
        for segment_id in dict.fromkeys(place[0] for place in batch):
            reader = readers.get(segment_id)
            if reader is None:
                return None
            numbers = [number for held, _, number in batch if held == segment_id]
            for fields in map(reader.stored_fields, numbers):
                texts.append(passage_for_embedding(fields.get(FIELDS.title) or "", fields.get(FIELDS.text) or ""))
    return texts


def _write(the_store: store.Store, batch: List[_Place], rows: Any) -> bool:
    """Write ``rows`` for ``batch`` under the lock, if its segments are still there."""
    lock = locks.take_write_lock(the_store.path, the_store.lock_timeout)
    try:
        with the_store.reading(for_writing=True) as searcher:
            live = {reader._segment.segment_id() for reader, _ in searcher.reader().leaf_readers()}
        if any(place[0] not in live for place in batch):
            return False
        at = 0
        for segment_id in dict.fromkeys(place[0] for place in batch):
            places = [place for place in batch if place[0] == segment_id]
            vectors.fill_rows(
                Path(the_store.path), segment_id, places[0][1], [number for _, _, number in places],
                rows[at : at + len(places)],
            )
            at += len(places)
        return True
    finally:
        locks.release(lock)


def fill(
    the_store: store.Store,
    embedder: Embedder,
    batch: int = DEFAULT_BATCH,
    progress: Optional[Callable[[EmbedProgress], None]] = None,
) -> EmbedReport:
    """Give every passage without a vector its vector, ``batch`` at a time
    (the store records ``embedder`` first, see :meth:`store.Store.use_embedder`)."""
    dimensions = int(embedder.dimensions)
    began = time.monotonic()
    report = EmbedReport()
    for _ in range(_PASSES):
        todo = _missing(the_store, dimensions)
        total = report.embedded + len(todo)
        if not todo:
            break
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            texts = _texts(the_store, part)
            if texts is None:
                break  # segments merged meanwhile: list again
            rows = embed_rows(embedder, texts)
            if not _write(the_store, part, rows):
                break
            report.embedded += len(part)
            if progress is not None:
                progress(EmbedProgress(report.embedded, total, time.monotonic() - began))
    report.missing = len(_missing(the_store, dimensions))
    report.seconds = time.monotonic() - began
    return report
