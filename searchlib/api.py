"""The public face of searchlib: :class:`Index` and the result types.

This module wires the rooms together; each concern lives in its own module:
``ingest`` reads sources, ``passages`` cuts them, ``analysis`` makes terms,
``store`` keeps the Whoosh index, ``query`` reads queries and ``snippets``
draws highlights.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union, overload

from whoosh.sorting import FieldFacet

from . import ingest, passages, query as _query, snippets, store
from .errors import QueryError
from .ingest import Document, IngestFailure

__all__ = ["Index", "Hit", "SearchResults", "AddReport", "IndexStats", "Document", "IngestFailure"]

PathLike = Union[str, "os.PathLike[str]"]
DocumentLike = Union[Document, Mapping[str, Any]]


@dataclass(frozen=True)
class Hit:
    """One ranked passage.

    ``text`` is the passage exactly as in the source; ``highlights`` are
    ``(start, end)`` offsets into ``text``, one per matched word; ``snippet``
    is the best fragment, HTML-escaped, with matches in ``<mark>…</mark>``.
    """

    doc_id: str
    passage: int
    score: float
    title: Optional[str]
    date: Optional[str]
    source: Optional[str]
    text: str
    snippet: str
    highlights: List[Tuple[int, int]]
    metadata: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        """The hit as plain JSON-ready data."""
        return {
            "doc_id": self.doc_id,
            "passage": self.passage,
            "score": self.score,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "text": self.text,
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
        }


class SearchResults(Sequence[Hit]):
    """The hits of one search, best first.

    ``total`` counts every matching passage (more than ``len()`` when the
    limit cut the list); ``notes`` say how the query was read, when that is
    worth telling the user.
    """

    def __init__(self, query: str, hits: List[Hit], total: int, notes: Sequence[str] = ()) -> None:
        self.query = query
        self.total = total
        self.notes: Tuple[str, ...] = tuple(notes)
        self._hits = hits

    @overload
    def __getitem__(self, index: int) -> Hit: ...

    @overload
    def __getitem__(self, index: slice) -> List[Hit]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Hit, List[Hit]]:
        return self._hits[index]

    def __len__(self) -> int:
        return len(self._hits)

    def __repr__(self) -> str:
        return f"<SearchResults {self.query!r}: {len(self)} of {self.total}>"

    def to_dict(self) -> Dict[str, Any]:
        """The results as plain JSON-ready data (the CLI's ``--json``)."""
        return {
            "query": self.query,
            "total": self.total,
            "results": [dict(rank=rank, **hit.to_dict()) for rank, hit in enumerate(self._hits, 1)],
        }


@dataclass
class AddReport:
    """What an ``add_*`` call did: counts of documents and the failures."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: List[IngestFailure] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )


@dataclass(frozen=True)
class IndexStats:
    """Size and freshness of an index."""

    path: str
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: Optional[str]

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def _content_hash(document: Document) -> str:
    payload = json.dumps(
        [
            document.text[document.text_start :],
            document.title,
            document.date,
            document.source,
            document.metadata,
            store.FORMAT_VERSION,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def _variant_terms(words: Iterable[Tuple[int, int, int, Any]]) -> List[str]:
    """``key + separator + term`` for each word whose accent-resolution key
    differs from its term ("sécurité": key "securit", term "secur")."""
    pairs = {(key, term) for _, _, _, (term, _, key, _) in words if term is not None and key != term}
    return sorted(key + store.VARIANT_SEPARATOR + term for key, term in pairs)


class Index:
    """A searchlib index in a directory, created if absent.

    >>> with Index("index") as ix:                      # doctest: +SKIP
    ...     ix.add_path("seeds")
    ...     for hit in ix.search("cessez-le-feu en Syrie"):
    ...         print(hit.doc_id, hit.snippet)

    One ``Index`` may be searched from many threads at once; writes are
    serialised by a lock on the directory, shared with other processes.
    """

    def __init__(
        self,
        path: PathLike,
        *,
        create: bool = True,
        lock_timeout: float = store.DEFAULT_LOCK_TIMEOUT,
        stop_words: Optional[Iterable[str]] = None,
    ) -> None:
        """Open the index in directory ``path``.

        With ``create`` (the default) a missing index is created; otherwise
        :class:`IndexNotFoundError` is raised. Writers wait up to
        ``lock_timeout`` seconds for another writer to finish, then raise
        :class:`IndexLockedError`. ``stop_words`` replaces the Snowball French
        list for a new index (an existing index keeps the list it was built
        with).
        """
        self.path = Path(path)
        self._store = store.Store(self.path, create=create, lock_timeout=lock_timeout, stop_words=stop_words)
        self._analyzer = self._store.analyzer

    @staticmethod
    def exists(path: PathLike) -> bool:
        """Whether ``path`` holds an index."""
        return store.Store.exists(Path(path))

    # -- context manager -----------------------------------------------

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release files and searchers; the index stays on disk."""
        self._store.close()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    # -- writing -------------------------------------------------------

    def add_path(self, *paths: PathLike, progress: Optional[Callable[[int, int], None]] = None) -> AddReport:
        """Index files and directories (``.txt``, ``.md``, ``.jsonl``).

        Unchanged documents are left alone; changed ones replace their old
        passages. Unreadable sources are counted in ``failed`` and listed in
        ``failures``; the others are indexed all the same. ``progress``, if
        given, is called as ``progress(files_done, files_total)``.
        """
        files: List[Path] = []
        missing: List[IngestFailure] = []
        for path in paths:
            root = Path(path)
            if root.exists():
                files.extend(ingest.iter_files(root))
            else:
                missing.append(IngestFailure(str(root), "no such file or directory"))

        def items() -> Iterator[Union[Document, IngestFailure]]:
            yield from missing
            for done, file in enumerate(files, 1):
                yield from ingest.read_file(file)
                if progress is not None:
                    progress(done, len(files))

        return self._write(items())

    def add_documents(self, documents: Iterable[DocumentLike]) -> AddReport:
        """Index documents given as :class:`Document` objects or dicts with
        ``id`` and ``text`` (``title``, ``date``, ``source``/``url``
        optional; other keys are kept as metadata)."""
        if isinstance(documents, (Mapping, Document)):
            documents = [documents]
        return self._write(ingest.as_documents(documents))

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its passages; False if it was not indexed."""
        with self._store.writer() as writer:
            removed = writer.delete_by_term("doc_id", str(doc_id))
        return bool(removed)

    def _write(self, items: Iterable[Union[Document, IngestFailure]]) -> AddReport:
        report = AddReport()
        seen: Dict[str, str] = {}
        with self._store.writer() as writer:
            searcher = writer.searcher()
            try:
                for item in items:
                    if isinstance(item, IngestFailure):
                        report.failed += 1
                        report.failures.append(item)
                        continue
                    where = item.source or f"document {item.id!r}"
                    if item.id in seen:
                        report.failed += 1
                        report.failures.append(
                            IngestFailure(where, f"duplicate document id {item.id!r} (also {seen[item.id]})")
                        )
                        continue
                    seen[item.id] = where
                    self._write_one(writer, searcher, item, report)
            finally:
                searcher.close()
        return report

    def _write_one(self, writer: Any, searcher: Any, document: Document, report: AddReport) -> None:
        pieces = passages.split_passages(document.text, document.text_start)
        if not pieces:
            report.failed += 1
            where = document.source or f"document {document.id!r}"
            report.failures.append(IngestFailure(where, "no text to index"))
            return
        digest = _content_hash(document)
        previous = self._store.stored_hash(searcher, document.id)
        if previous == digest:
            report.unchanged += 1
            return
        if previous is not None:
            writer.delete_by_term("doc_id", document.id)
            report.updated += 1
        else:
            report.added += 1
        title_words = list(self._analyzer.words(document.title)) if document.title else []
        for piece in pieces:
            text = piece.text_of(document.text)
            words = list(self._analyzer.words(text))
            writer.add_document(
                pid=store.passage_key(document.id, piece.number),
                doc_id=document.id,
                passage=piece.number,
                text=text,
                title=document.title or "",
                stops=[info[1] for _, _, _, info in words if info[0] is None],
                variants=_variant_terms(words + title_words),
                date=document.date or "",
                source=document.source or "",
                start=piece.start,
                end=piece.end,
                metadata=document.metadata,
                doc_hash=digest,
            )

    # -- reading -------------------------------------------------------

    def search(self, query: str, limit: int = 10, per_doc: Optional[int] = None) -> SearchResults:
        """Ranked passages for ``query``, best first.

        ``limit`` caps the number of hits; ``per_doc`` keeps at most that
        many passages of any one document. Raises :class:`QueryError` for an
        empty query or bad limits.
        """
        if not isinstance(query, str):
            raise QueryError(f"query must be a string, not {type(query).__name__}")
        if not query.strip():
            raise QueryError("empty query")
        if not isinstance(limit, int) or limit < 1:
            raise QueryError(f"limit must be a positive integer, not {limit!r}")
        if per_doc is not None and (not isinstance(per_doc, int) or per_doc < 1):
            raise QueryError(f"per_doc must be a positive integer or None, not {per_doc!r}")

        searcher = self._store.searcher()
        parsed = _query.parse_query(
            query, self._analyzer, lambda term, key: self._store.alternatives(searcher, term, key)
        )
        if parsed.query is None:
            return SearchResults(query, [], 0, parsed.notes)
        options: Dict[str, Any] = {"limit": limit}
        if per_doc is not None:
            options.update(collapse=FieldFacet("doc_id"), collapse_limit=per_doc)
        results = searcher.search(parsed.query, **options)
        total = len(searcher.search(parsed.query, limit=None, scored=False)) if per_doc else len(results)
        hits = [self._hit(hit.fields(), hit.score, parsed.patterns) for hit in results]
        return SearchResults(query, hits, total, parsed.notes)

    def _hit(self, fields: Mapping[str, Any], score: float, patterns: Sequence[_query.Pattern]) -> Hit:
        text = fields["text"]
        matches = snippets.find_matches(text, patterns, self._analyzer.all_tokens)
        return Hit(
            doc_id=fields["doc_id"],
            passage=fields["passage"],
            score=float(score),
            title=fields.get("title") or None,
            date=fields.get("date") or None,
            source=fields.get("source") or None,
            text=text,
            snippet=snippets.make_snippet(text, matches),
            highlights=snippets.merge_spans(text, matches),
            metadata=dict(fields.get("metadata") or {}),
        )

    def stats(self) -> IndexStats:
        """Documents, passages, distinct terms, size on disk, last update."""
        raw = self._store.stats()
        last = (
            _dt.datetime.fromtimestamp(raw.last_update, _dt.timezone.utc).isoformat(timespec="seconds")
            if raw.last_update
            else None
        )
        return IndexStats(str(self.path), raw.documents, raw.passages, raw.terms, raw.size_bytes, last)
