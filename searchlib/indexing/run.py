"""Writing documents into a store: change detection, batches, pruning, rebuilds.

Documents flow in one by one; each is compared with what the index holds
(by a hash of its content and of the settings that shape its passages),
and only new or changed ones are cut into passages and written. Writes are
committed in batches, so memory stays bounded whatever the corpus size and
an interrupted run keeps every batch it completed; each batch is all or
nothing, so a document is never half replaced.
"""

from __future__ import annotations

import hashlib
import pickle
import json
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, TypeVar, Union

from ..storage import locks, settings as _settings, store
from ..storage.damage import write_error
from ..storage.retry import attempts
from ..storage.schema import FIELDS
from . import writer as _writer
from .prepare import Preparer
from .workers import Prepared, Preparation
from ..embedders import Embedder
from ..ingest import Document, IngestFailure, IngestWarning
from ..results import AddReport

__all__ = ["write", "content_hash", "Item"]

_T = TypeVar("_T")

Item = Union[Document, IngestFailure, IngestWarning]

# A batch is committed once it holds this much text or this many documents,
# unless the run is given other limits (``Index(batch_size=, batch_chars=)``).
_BATCH_CHARS = 24_000_000
_BATCH_DOCUMENTS = 5_000
# With an embedder a batch costs minutes of model time (a few passages a
# second on a CPU), not seconds: committed more often, a stopped run loses little.
_EMBEDDED_BATCH_CHARS = 400_000
#: seconds between two looks for another writer waiting for the lock
_LOOK_FOR_WAITERS = 0.5


def content_hash(document: Document, passage_words: Tuple[int, int], format_version: int = _settings.FORMAT_VERSION) -> str:
    """A digest of everything that decides a document's passages and fields
    in an index of ``format_version``."""
    payload = json.dumps(
        [
            document.text[document.text_start :],
            document.title,
            document.date,
            document.source,
            document.metadata,
            list(passage_words),
            format_version,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(payload.encode("utf-8", "surrogatepass")).hexdigest()


class _Batches:
    """A writer opened on the first change and committed every batch."""

    def __init__(self, the_store: store.Store, documents: int, chars: int) -> None:
        self._store = the_store
        self._limits = (documents, chars)
        self._writer: Any = None
        self._chars = 0
        self._documents = 0
        self._changed = False  # whether the open writer has anything to commit
        self._opened = 0
        self._next_look = time.monotonic() + _LOOK_FOR_WAITERS

    def changed(self) -> None:
        self._changed = True

    @property
    def opened(self) -> int:
        """How many writers the run has opened; the current one's number
        while it is open, 0 while the run does not hold the lock."""
        return self._opened if self._writer is not None else 0

    def writer(self) -> Any:
        if self._writer is None:
            self._writer = _writer.open_writer(self._store)
            self._opened += 1
        return self._writer

    def wrote(self, chars: int, documents: int) -> None:
        self._changed = True
        self._chars += chars
        self._documents += documents
        if self._documents >= self._limits[0] or self._chars >= self._limits[1]:
            self.commit()
        elif time.monotonic() >= self._next_look:
            # Another writer waiting for the lock gets its turn now rather
            # than after the whole batch (minutes on a large run).
            self._next_look = time.monotonic() + _LOOK_FOR_WAITERS
            if locks.writer_waiting(self._store.path):
                self.commit()

    def commit(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self._chars = self._documents = 0
            if not self._changed:  # only documents without text: nothing to commit
                _writer.abandon(self._store, writer)
                return
            self._changed = False
            try:
                writer.commit()
            except BaseException:
                _writer.abandon(self._store, writer)
                raise

    def cancel(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            _writer.abandon(self._store, writer)


def write(
    the_store: store.Store,
    items: Iterable[Item],
    prune_roots: Optional[Sequence[str]] = None,
    kept_origins: Optional[Set[str]] = None,
    workers: Optional[int] = None,
    between: Optional[Callable[[], None]] = None,
    orphan_roots: Optional[Sequence[str]] = None,
    batch: Tuple[Optional[int], Optional[int]] = (None, None),
    embedder: Optional[Embedder] = None,
    embedded: Optional[Callable[[int], None]] = None,
) -> AddReport:
    """Index ``items``; with ``prune_roots``, also remove the documents read
    from files under those roots that this run did not see (except those
    from ``kept_origins``: files that failed to read this time). Documents
    are prepared in up to ``workers`` processes (see :class:`._workers.Preparation`).
    ``between`` is called after each chunk of prepared documents is written,
    reading done or not: what it raises stops the run as cleanly as an error
    of ``items`` does (a progress report that cancels the run). With
    ``orphan_roots``, the report counts the documents read from files under
    those roots whose file has gone (what pruning them would remove).
    ``batch`` is (documents, characters) a commit, None for the default.
    With ``embedder`` (the index's, see :meth:`store.Store.use_embedder`),
    each new passage's vector is made where it is prepared and committed
    with it; ``embedded`` is told how many passages each chunk written held."""
    report = AddReport()
    seen: Dict[str, str] = {}
    told = _ToldWhenIndexed(report)
    limits = (batch[0] or _BATCH_DOCUMENTS, batch[1] or (_BATCH_CHARS if embedder is None else _EMBEDDED_BATCH_CHARS))
    batches = _Batches(the_store, *limits)
    preparer = Preparer(the_store.analyzer, the_store.passage_words, the_store.settings.keeps_offsets, embedder)
    if embedder is not None and not _picklable(embedder):
        workers = 0  # a function of the caller's own runs here: it cannot travel to a worker
    hashes = _IndexedHashes(the_store, batches)

    def written(done: Prepared) -> None:
        _write_prepared(batches, done, report)
        if embedded is not None and done[2].vectors is not None:
            embedded(len(done[2]))
        if between is not None:
            between()

    with Preparation(preparer, workers, limits) as preparation:
        try:
            try:
                for item in items:
                    if isinstance(item, IngestWarning):
                        told.warning(item)
                    elif isinstance(item, IngestFailure):
                        report.failed += 1
                        report.failures.append(item)
                    else:
                        with _writing(the_store):
                            if _queue_one(the_store, hashes, batches, preparation, item, report, seen):
                                told.indexed(item.origin)
                            for done in preparation.ready():
                                written(done)
            finally:
                hashes.release()
            with _writing(the_store):
                for done in preparation.drain():
                    written(done)
                if prune_roots:
                    _prune(the_store, batches, prune_roots, seen, kept_origins or set(), report)
                batches.commit()
        except BaseException:
            batches.cancel()
            raise
    if orphan_roots:
        with the_store.reading() as searcher:
            gone = _writer.documents_gone(searcher, orphan_roots)
        report.orphaned = sum(1 for doc_id in gone if doc_id not in seen)
    return report


def _picklable(embedder: Embedder) -> bool:
    """Whether a worker process can make the same embedder again: it
    pickles, and its class lives in a module a worker can import (not a
    script's ``__main__``)."""
    if type(embedder).__module__ == "__main__":
        return False
    try:
        pickle.dumps(embedder)
    except Exception:
        return False
    return True


@contextmanager
def _writing(the_store: store.Store) -> Iterator[None]:
    """Report the system's refusal to write (a full disk, a read-only
    folder) as an error naming the index; errors raised while reading the
    sources pass as they are."""
    try:
        yield
    except OSError as error:
        raise write_error(the_store.path, error) from None


def _queue_one(
    the_store: store.Store,
    hashes: "_IndexedHashes",
    batches: _Batches,
    preparation: Preparation,
    document: Document,
    report: AddReport,
    seen: Dict[str, str],
) -> bool:
    """Send a new or changed document to be prepared (True); count the others."""
    where = document.source or f"document {document.id!r}"
    if document.id in seen:
        report.failed += 1
        report.failures.append(IngestFailure(where, f"duplicate document id {document.id!r} (also {seen[document.id]})"))
        return False
    seen[document.id] = where
    digest = content_hash(document, the_store.passage_words, the_store.settings.format)
    previous = hashes.of(document.id)
    if previous == digest:
        report.unchanged += 1
        return False
    batches.writer()  # the run writes from here on: it holds the lock
    preparation.submit(document, digest, replaces=previous is not None)
    return True


def _read_between_commits(the_store: store.Store, read: Callable[[Any], _T]) -> _T:
    """``read`` on the searcher indexing looks documents up with, started
    again on the newer commit when another process's commit removed the
    files it was reading (the run does not hold the lock then)."""
    for attempt in attempts(the_store.path):
        try:
            with the_store.reading(for_writing=True) as searcher:
                return read(searcher)
        except OSError:
            if attempt.last or not attempt.moved():
                raise
    raise AssertionError("attempts() ends with a last attempt")


class _IndexedHashes:
    """The content hash of each document of a run as indexed before it.

    While the run holds the index's lock nothing but its own commits can
    change the index, so one searcher serves every look-up until the lock
    is let go, where bringing one up to date for each document would read
    the index's table of contents once per document.
    """

    def __init__(self, the_store: store.Store, batches: _Batches) -> None:
        self._store = the_store
        self._batches = batches
        self._held: Optional[Tuple[Any, int, Any]] = None  # (lending, writer number, searcher)

    def of(self, doc_id: str) -> Optional[str]:
        opened = self._batches.opened
        if not opened:
            self.release()  # the run let go of the lock: others may commit
            return _read_between_commits(self._store, lambda searcher: _writer.stored_hash(searcher, doc_id))
        if self._held is None or self._held[1] != opened:
            self.release()
            lending = self._store.reading(for_writing=True)
            self._held = (lending, opened, lending.__enter__())
        return _writer.stored_hash(self._held[2], doc_id)

    def release(self) -> None:
        """Give the searcher back (the store lends one at a time for writing)."""
        if self._held is not None:
            lending, self._held = self._held[0], None
            lending.__exit__(None, None, None)


class _ToldWhenIndexed:
    """Warnings about a file's content (a guessed encoding, a date not
    understood) are told when its documents are added or updated, not on
    every run over an unchanged folder; they may come before the file's
    documents or after them (JSON Lines are streamed)."""

    def __init__(self, report: AddReport) -> None:
        self._report = report
        self._held: Dict[str, List[IngestWarning]] = {}
        self._indexed: Set[str] = set()

    def warning(self, warning: IngestWarning) -> None:
        if warning.origin is None or warning.origin in self._indexed:
            self._report.warnings.append(warning)
        else:
            self._held.setdefault(warning.origin, []).append(warning)

    def indexed(self, origin: Optional[str]) -> None:
        if origin is not None:
            self._indexed.add(origin)
            self._report.warnings.extend(self._held.pop(origin, ()))


def _write_prepared(batches: _Batches, done: Prepared, report: AddReport) -> None:
    documents, counts, chunk = done
    writer: Any = None
    chars = 0
    for (document, replaces), count in zip(documents, counts):
        if not count:
            report.failed += 1
            where = document.source or f"document {document.id!r}"
            report.failures.append(IngestFailure(where, f"document {document.id!r} has no text to index"))
            continue
        writer = writer or batches.writer()
        if replaces:
            writer.delete_by_term(FIELDS.doc_id, document.id)
            batches.changed()
            report.updated += 1
        else:
            report.added += 1
        chars += len(document.text)
    if writer is not None:
        writer.add_chunk(chunk)
        batches.wrote(chars, sum(1 for count in counts if count))


def _prune(
    the_store: store.Store,
    batches: _Batches,
    roots: Sequence[str],
    seen: Dict[str, str],
    kept_origins: Set[str],
    report: AddReport,
) -> None:
    indexed = _read_between_commits(the_store, lambda searcher: _writer.documents_from(searcher, roots))
    for doc_id, origin in sorted(indexed.items()):
        if doc_id in seen or origin in kept_origins:
            continue
        batches.writer().delete_by_term(FIELDS.doc_id, doc_id)
        batches.changed()
        report.removed += 1
