"""Writing documents to a cluster: incremental by content hash, in bounded
bulk requests, with retries.

Documents are read a batch at a time; their stored hashes are fetched in
one request, unchanged ones are counted and left, and the others are
analysed by searchlib (:mod:`searchlib.indexing.prepare`, as locally) into
records. A document's passages are sent first and its article record,
which holds the hash, after them: a run stopped in between leaves the old
hash, so the next run writes the document again. Ids are ``doc_id/N``, so
writing a record twice leaves one.
"""

from __future__ import annotations

import itertools
import json
import queue
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from ...indexing.prepare import Preparer
from ...errors import SearchlibError
from ...ingest import Document, IngestFailure, IngestWarning
from ...results import AddReport
from ...storage.schema import FIELDS
from . import client, mapping
from .client import ClusterError
from .indexes import FORMAT

if TYPE_CHECKING:
    from . import OpenSearchBackend

__all__ = ["Writer", "bulk_lines", "content_hash", "record_actions"]

_BULK_BYTES = 8 * 1024 * 1024
#: seconds a bulk request's refused records (429, a shard without its node) are tried again
_RETRY_SECONDS = 120.0

Action = Tuple[Dict[str, Any], Optional[Dict[str, Any]]]


def content_hash(document: Document, passage_words: Tuple[int, int]) -> str:
    """The hash telling whether ``document`` changed since it was written
    (its text, fields and passage sizes, and the records' format)."""
    from ...indexing.run import content_hash as local_hash

    return local_hash(document, passage_words, 1000 + FORMAT)


def record_actions(
    records: List[Dict[str, Any]], index: str, sequence: Iterator[int], indexed_at: int
) -> Tuple[List[Action], Action]:
    """The bulk actions indexing a document's records (its passages', then
    its article's, from :func:`.mapping.records_from_chunk`) into
    ``index``: the passages numbered from ``sequence`` (ties in score
    follow it), the article, which holds the content hash, with the last
    passage's number and ``indexed_at`` (ms since the epoch)."""
    *passage_records, article = records
    passages: List[Action] = []
    for record in passage_records:
        record["seq"] = next(sequence)
        passages.append(({"index": {"_index": index, "_id": mapping.passage_id(record[FIELDS.doc_id], record[FIELDS.passage])}}, record))
    article["seq"] = passage_records[-1]["seq"]
    article["indexed_at"] = indexed_at
    return passages, ({"index": {"_index": index, "_id": mapping.article_id(article[FIELDS.doc_id])}}, article)


def bulk_lines(actions: Sequence[Action]) -> List[str]:
    """NDJSON lines of ``actions`` (an action and its record, if any)."""
    lines: List[str] = []
    for action, record in actions:
        lines.append(json.dumps(action, ensure_ascii=False))
        if record is not None:
            lines.append(json.dumps(record, ensure_ascii=False))
    return lines


class RecordsPreparer(Preparer):
    """searchlib's preparation of documents (as for a folder) carried on to
    the cluster's records, so that in worker processes the workers decode
    the prepared postings too, and the process sending them does not."""

    def prepare(self, work: Sequence[Tuple[Document, str]]) -> Tuple[List[int], Any]:
        counts, chunk = super().prepare(work)
        return counts, mapping.records_from_chunk(chunk, [document for document, _ in work], counts)


def records_from(chunk: Any, documents: Sequence[Tuple[Document, bool]], counts: Sequence[int]) -> List[Optional[List[Dict[str, Any]]]]:
    """The records of prepared documents: made already by a worker's
    :class:`RecordsPreparer`, or from a chunk prepared in this process."""
    if isinstance(chunk, list):
        return chunk
    return mapping.records_from_chunk(chunk, [document for document, _ in documents], counts)


class Writer:
    """One write run to a cluster index. Documents are prepared in worker
    processes on a large run (:class:`searchlib.indexing.workers.Preparation`,
    as locally) while a thread of this one sends the records prepared
    before, so reading, analysis and the cluster's indexing overlap."""

    def __init__(self, backend: "OpenSearchBackend", batch: int, workers: Optional[int] = None) -> None:
        self.backend = backend
        self.batch = batch
        self.workers = workers
        self.report = AddReport()
        self.seen: Dict[str, str] = {}
        self._preparer = RecordsPreparer(backend.analyzer, backend.passage_words, offsets=True)
        self._sequence = itertools.count(time.time_ns() // 1000 + 1)
        self._held: Dict[str, List[IngestWarning]] = {}
        self._indexed: Set[str] = set()
        self._old_counts: Dict[str, int] = {}
        self._sender: Optional[_Sender] = None

    def run(self, items: Iterable[Any], between: Optional[Callable[[], None]]) -> AddReport:
        from ...indexing.workers import Preparation

        report = self.report
        pending: List[Document] = []
        self._sender = sender = _Sender(self)
        try:
            with Preparation(self._preparer, self.workers, (self.batch, 0)) as preparation:
                for item in items:
                    if isinstance(item, IngestWarning):
                        if item.origin is None or item.origin in self._indexed:
                            report.warnings.append(item)
                        else:
                            self._held.setdefault(item.origin, []).append(item)
                    elif isinstance(item, IngestFailure):
                        report.failed += 1
                        report.failures.append(item)
                    else:
                        where = item.source or f"document {item.id!r}"
                        if item.id in self.seen:
                            report.failed += 1
                            report.failures.append(
                                IngestFailure(where, f"duplicate document id {item.id!r} (also {self.seen[item.id]})")
                            )
                            continue
                        self.seen[item.id] = where
                        pending.append(item)
                        if len(pending) >= self.batch:
                            self._submit(pending, preparation)
                            pending = []
                        for done in preparation.ready():
                            self._queue(done)
                            if between is not None:
                                between()
                if pending:
                    self._submit(pending, preparation)
                for done in preparation.drain():
                    self._queue(done)
                    if between is not None:
                        between()
            sender.finish()
        finally:
            sender.stop()
        return report

    def _told_indexed(self, origin: Optional[str]) -> None:
        if origin is not None:
            self._indexed.add(origin)
            self.report.warnings.extend(self._held.pop(origin, ()))

    def _submit(self, documents: List[Document], preparation: Any) -> None:
        """Look up the stored hashes of ``documents``; count the unchanged
        ones and send the others to be prepared."""
        backend, report = self.backend, self.report
        previous = backend.stored_hashes([document.id for document in documents], _RETRY_SECONDS)
        for document in documents:
            digest = backend.content_hash(document)
            old = previous.get(document.id)
            if old is not None and old[0] == digest:
                report.unchanged += 1
                continue
            if old is not None:
                self._old_counts[document.id] = old[1]
            self._told_indexed(document.origin)
            preparation.submit(document, digest, old is not None)

    def _queue(self, done: Any) -> None:
        """Records of prepared documents, handed to the sending thread: their
        passages, then (once those are acknowledged) their article records."""
        documents, counts, chunk = done
        report = self.report
        index = self.backend._where.index
        now = int(time.time() * 1000)
        passages: List[Action] = []
        articles: List[Action] = []
        for (document, replaces), records in zip(documents, records_from(chunk, documents, counts)):
            if records is None:
                report.failed += 1
                where = document.source or f"document {document.id!r}"
                report.failures.append(IngestFailure(where, f"document {document.id!r} has no text to index"))
                continue
            written, article = record_actions(records, index, self._sequence, now)
            passages += written
            if replaces:
                report.updated += 1
                for number in range(len(written), self._old_counts.pop(document.id, 0)):
                    passages.append(({"delete": {"_index": index, "_id": mapping.passage_id(document.id, number)}}, None))
            else:
                report.added += 1
            articles.append(article)
        assert self._sender is not None
        self._sender.put(passages)
        self._sender.put(articles)

    def send(self, actions: Sequence[Action]) -> None:
        """Send ``actions`` in bulk requests of at most a few megabytes."""
        piece: List[Tuple[Action, str]] = []
        size = 0
        for action in actions:
            lines = "\n".join(bulk_lines([action])) + "\n"
            if piece and size + len(lines) > _BULK_BYTES:
                self._bulk(piece)
                piece, size = [], 0
            piece.append((action, lines))
            size += len(lines)
        if piece:
            self._bulk(piece)

    def _bulk(self, actions: Sequence[Tuple[Action, str]]) -> None:
        """One bulk request; records the cluster refuses for now (429, a
        primary shard moving to another node) are sent again with back-off."""
        backend = self.backend
        where = backend._where
        pending = list(actions)
        deadline = time.monotonic() + _RETRY_SECONDS
        pause = 0.2
        while pending:
            body = "".join(lines for _, lines in pending)
            answer = client.call(where, lambda: backend._client.bulk(body=body), _RETRY_SECONDS)
            if not answer.get("errors"):
                return
            again: List[Tuple[Action, str]] = []
            for action, item in zip(pending, answer["items"]):
                operation, result = next(iter(item.items()))
                status = int(result.get("status", 200))
                if status < 300 or (operation == "delete" and status == 404):
                    continue
                if status in (429, 503) or status >= 500:
                    again.append(action)
                    continue
                error = result.get("error") or {}
                reason = error.get("reason") if isinstance(error, dict) else str(error)
                raise ClusterError(f"{where}: record {result.get('_id')!r} refused ({status}): {reason}")
            if again and time.monotonic() + pause > deadline:
                raise ClusterError(f"{where}: {len(again)} records still refused after {_RETRY_SECONDS:g} s (the cluster is overloaded or lost a node)")
            pending = again
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 5.0)

    def prune(self, roots: Sequence[str], kept_origins: Set[str]) -> None:
        gone = [
            doc_id for doc_id, origin in self.backend.documents_from(roots)
            if doc_id not in self.seen and origin not in kept_origins
        ]
        if gone:
            self.backend.delete_many(gone)
        self.report.removed += len(gone)


class _Sender:
    """Sends the records a run prepares, in order, from a thread of its own:
    the next documents are read and analysed while the cluster indexes
    these. At most a few sets of records wait, which bounds memory; the
    first error stops the run where it is."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._queue: "queue.Queue[Optional[Sequence[Action]]]" = queue.Queue(maxsize=4)
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="searchlib-bulk", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            actions = self._queue.get()
            if actions is None:
                return
            if self._error is None:
                try:
                    self._writer.send(actions)
                except BaseException as error:  # handed to the run's own thread
                    self._error = error

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def put(self, actions: Sequence[Action]) -> None:
        self._raise()
        if actions:
            self._queue.put(actions)

    def finish(self) -> None:
        """Wait until everything queued is sent."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def stop(self) -> None:
        """Let the thread end (after a failure of the run: what is queued is not sent)."""
        if self._thread.is_alive():
            self._error = self._error or SearchlibError("the run stopped")
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._queue.put(None)
            self._thread.join()
