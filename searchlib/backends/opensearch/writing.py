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

import json
import random
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ...indexing.prepare import Preparer
from ...ingest import Document, IngestFailure, IngestWarning
from ...results import AddReport
from ...storage.schema import FIELDS
from . import client, mapping
from .client import ClusterError

if TYPE_CHECKING:
    from . import OpenSearchBackend

__all__ = ["Writer", "bulk_lines"]

_BULK_BYTES = 8 * 1024 * 1024
#: seconds a bulk request's refused records (429, a shard without its node) are tried again
_RETRY_SECONDS = 120.0

Action = Tuple[Dict[str, Any], Optional[Dict[str, Any]]]


def bulk_lines(actions: Sequence[Action]) -> List[str]:
    """NDJSON lines of ``actions`` (an action and its record, if any)."""
    lines: List[str] = []
    for action, record in actions:
        lines.append(json.dumps(action, ensure_ascii=False))
        if record is not None:
            lines.append(json.dumps(record, ensure_ascii=False))
    return lines


class Writer:
    """One write run to a cluster index."""

    def __init__(self, backend: "OpenSearchBackend", batch: int) -> None:
        self.backend = backend
        self.batch = batch
        self.report = AddReport()
        self.seen: Dict[str, str] = {}
        self._preparer = Preparer(backend.analyzer, backend.passage_words, offsets=True)
        self._sequence = time.time_ns() // 1000
        self._held: Dict[str, List[IngestWarning]] = {}
        self._indexed: Set[str] = set()

    def run(self, items: Iterable[Any], between: Optional[Callable[[], None]]) -> AddReport:
        report = self.report
        pending: List[Document] = []
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
                    report.failures.append(IngestFailure(where, f"duplicate document id {item.id!r} (also {self.seen[item.id]})"))
                    continue
                self.seen[item.id] = where
                pending.append(item)
                if len(pending) >= self.batch:
                    self._write(pending)
                    pending = []
                    if between is not None:
                        between()
        if pending:
            self._write(pending)
            if between is not None:
                between()
        return report

    def _told_indexed(self, origin: Optional[str]) -> None:
        if origin is not None:
            self._indexed.add(origin)
            self.report.warnings.extend(self._held.pop(origin, ()))

    def _write(self, documents: List[Document]) -> None:
        backend, report = self.backend, self.report
        digests = {document.id: backend.content_hash(document) for document in documents}
        previous = backend.stored_hashes([document.id for document in documents])
        passages: List[Action] = []
        articles: List[Action] = []
        index = backend._where.index
        now = int(time.time() * 1000)
        for document in documents:
            digest = digests[document.id]
            old = previous.get(document.id)
            if old is not None and old[0] == digest:
                report.unchanged += 1
                continue
            self._told_indexed(document.origin)
            records = mapping.records_of(self._preparer, document, digest)
            if records is None:
                report.failed += 1
                where = document.source or f"document {document.id!r}"
                report.failures.append(IngestFailure(where, f"document {document.id!r} has no text to index"))
                continue
            *passage_records, article = records
            for record in passage_records:
                self._sequence += 1
                record["seq"] = self._sequence
                passages.append(({"index": {"_index": index, "_id": mapping.passage_id(document.id, record[FIELDS.passage])}}, record))
            if old is not None:
                report.updated += 1
                for number in range(len(passage_records), old[1]):
                    passages.append(({"delete": {"_index": index, "_id": mapping.passage_id(document.id, number)}}, None))
            else:
                report.added += 1
            article["seq"] = self._sequence
            article["indexed_at"] = now
            articles.append(({"index": {"_index": index, "_id": mapping.article_id(document.id)}}, article))
        self.send(passages)
        self.send(articles)

    def send(self, actions: Sequence[Action]) -> None:
        """Send ``actions`` in bulk requests of at most a few megabytes."""
        piece: List[Action] = []
        size = 0
        for action in actions:
            weight = len(json.dumps(action[1], ensure_ascii=False)) if action[1] is not None else 64
            if piece and size + weight > _BULK_BYTES:
                self._bulk(piece)
                piece, size = [], 0
            piece.append(action)
            size += weight
        if piece:
            self._bulk(piece)

    def _bulk(self, actions: Sequence[Action]) -> None:
        """One bulk request; records the cluster refuses for now (429, a
        primary shard moving to another node) are sent again with back-off."""
        backend = self.backend
        where = backend._where
        pending = list(actions)
        deadline = time.monotonic() + _RETRY_SECONDS
        pause = 0.2
        while pending:
            body = "\n".join(bulk_lines(pending)) + "\n"
            answer = client.call(where, lambda: backend._client.bulk(body=body), _RETRY_SECONDS)
            if not answer.get("errors"):
                return
            again: List[Action] = []
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
