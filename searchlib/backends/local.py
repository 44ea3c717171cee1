"""The index in a local folder: a Whoosh index written by
:mod:`searchlib.indexing`, read by :mod:`searchlib.search`, kept by
:mod:`searchlib.storage`.

The writing side is imported by the calls that write, so a process that
only searches never loads it.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, TypeVar

import numpy as np
from whoosh import query as wq

from ..errors import IndexCorruptError, SearchlibError
from ..ingest import Document
from ..results import AddReport, EmbedProgress, EmbedReport, IndexStats
from .. import embedders
from ..embedders import Embedder
from ..search import query as _query, ranking as _ranking, scoring as _scoring, semantic, snippets, vocabulary
from ..search.ranking import Ranking
from ..search.synonyms import Synonyms
from ..storage import store
from ..storage.damage import damaged, describe_damage
from ..storage.retry import attempts
from ..storage.schema import FIELDS
from .base import Item, Ranked, RankedPassage, SearchRequest, no_vectors, refused_embedder

__all__ = ["LocalBackend"]

# What reading a damaged file raises (Whoosh decompresses and unpickles).
_DAMAGE = (zlib.error, EOFError, struct.error, pickle.UnpicklingError)
_READ_ATTEMPTS = 3
_T = TypeVar("_T")


class LocalBackend:
    """A searchlib index in a folder, opened (and created unless ``create``
    is False). See :class:`searchlib.Index` for the options."""

    def __init__(
        self,
        path: Path,
        *,
        create: bool = True,
        lock_timeout: float,
        stop_words: Optional[Iterable[str]] = None,
        passage_words: Optional[Tuple[int, int]] = None,
        workers: Optional[int] = None,
        batch: Tuple[Optional[int], Optional[int]] = (None, None),
        readers: int = store.DEFAULT_READERS,
        ranking: Ranking = _ranking.DEFAULT,
        synonyms: Optional[Synonyms] = None,
    ) -> None:
        self.path = path
        self.location = str(path)
        self._store = store.Store(
            path, create=create, lock_timeout=lock_timeout, stop_words=stop_words, passage_words=passage_words,
            readers=readers,
        )
        self.analyzer = self._store.analyzer
        self.passage_words = self._store.passage_words
        self._workers = workers
        self._batch = batch
        self._ranking = ranking
        self.synonyms = synonyms
        self._segments = _scoring.SegmentCache()  # what the ranking reads of each segment, once
        self._vocabulary = vocabulary.VocabularyCache()  # what parsing queries learnt of the terms
        self._vectors = semantic.VectorCache()  # each segment's vectors, read once

    def close(self) -> None:
        self._store.close()

    # -- writing -------------------------------------------------------

    def write(
        self,
        items: Iterable[Item],
        *,
        prune_roots: Optional[Sequence[str]] = None,
        kept_origins: Optional[Set[str]] = None,
        orphan_roots: Optional[Sequence[str]] = None,
        between: Optional[Callable[[], None]] = None,
        embedder: Optional[Embedder] = None,
        embedded: Optional[Callable[[int], None]] = None,
    ) -> AddReport:
        from ..indexing import run

        if embedder is not None:
            self.use_embedder(embedder)
        return run.write(
            self._store, items, prune_roots=prune_roots, kept_origins=kept_origins, workers=self._workers,
            between=between, orphan_roots=orphan_roots, batch=self._batch, embedder=embedder, embedded=embedded,
        )

    def embedder_identity(self) -> Optional[Dict[str, Any]]:
        return self._store.settings.embedder_identity

    def use_embedder(self, embedder: Embedder) -> None:
        recorded = self._store.settings.embedder_identity
        if recorded is not None and not embedders.same_embedder(recorded, embedder):
            raise SearchlibError(refused_embedder(self.location, recorded, embedder))
        self._store.use_embedder(embedders.identity(embedder))

    def fill_vectors(
        self, embedder: Embedder, batch: int, progress: Optional[Callable[[EmbedProgress], None]]
    ) -> EmbedReport:
        from ..indexing import embed

        self.use_embedder(embedder)
        return self._write_vectors(lambda: embed.fill(self._store, embedder, batch, progress))

    def _write_vectors(self, operation: Callable[[], _T]) -> _T:
        from ..storage.damage import write_error

        try:
            return operation()
        except OSError as error:
            raise write_error(self.path, error) from None

    def missing_vectors(self) -> int:
        dimensions = self._store.vector_dimensions
        if dimensions is None:
            return 0
        return self._read_with_searcher(
            lambda searcher: semantic.missing(searcher, self.path, dimensions, self._vectors, self._segments)
        )

    def replaces_other(self, document: Document) -> bool:
        from ..indexing import run, writer

        with self._store.reading() as searcher:
            previous = writer.stored_hash(searcher, document.id)
        return previous is not None and previous != run.content_hash(document, self.passage_words, self._store.settings.format)

    def delete(self, doc_id: str) -> bool:
        from ..indexing import writer

        with writer.writer(self._store) as opened:
            removed = opened.delete_by_term(FIELDS.doc_id, doc_id)
        return bool(removed)

    # -- reading -------------------------------------------------------

    def search(self, request: SearchRequest) -> Ranked:
        return self._read_with_searcher(lambda searcher: self._search(searcher, request))

    def _search(self, searcher: Any, request: SearchRequest) -> Ranked:
        ranking = request.ranking or self._ranking
        searcher.weighting = ranking.weighting()  # lent to this call alone
        built = self._build(request.query, searcher, ranking)
        meaning = self._semantic(searcher, request)
        if built.query is None and meaning is None:
            return Ranked(0, [], built)
        restriction = _restriction(built.filter, request.after, request.before, request.source, searcher)
        if restriction is not None and not restriction:
            return Ranked(0, [], built)  # the filters keep nothing
        ranker = _ranking.Ranker(
            searcher, built.query, restriction, ranking, self._segments, built.forms, self.analyzer, meaning
        )
        # A page is cut from the list a larger limit gives: per_doc and the
        # copies folded away depend on every hit ranked above it.
        total, chosen = ranker.choose(
            request.offset + request.limit, request.per_doc, request.collapse_duplicates, request.sort
        )
        # Stop words keep no positions: a query made of them alone is highlighted by analysis.
        wanted = (
            None
            if built.query is not None and any(fieldname == FIELDS.stops for fieldname, _ in built.query.iter_all_terms())
            else snippets.pattern_terms(built.patterns)
        )
        page = []
        for fields, score, copies in chosen[request.offset :]:
            docnum = fields["_docnum"]
            tokens = None if wanted is None else ranker.tokens(docnum, wanted)
            page.append(
                RankedPassage(
                    fields, float(score), copies, tuple(ranker.explain(docnum)) if request.explain else (),
                    None if tokens is None else tuple(tokens),
                )
            )
        return Ranked(total, page, built, ranker.facets(request.facets) if request.facets else {})

    def _semantic(self, searcher: Any, request: SearchRequest) -> Optional[semantic.Semantic]:
        """How meaning takes part in this search (None: it does not)."""
        if request.query_vector is None:
            return None
        dimensions = self._store.vector_dimensions
        if dimensions is None:
            raise SearchlibError(no_vectors(self.location))
        if len(request.query_vector) != dimensions:
            raise SearchlibError(
                f"index {self.location} keeps vectors of {dimensions} dimensions, not {len(request.query_vector)}"
            )
        found = semantic.similarities(
            searcher, self.path, dimensions, np.asarray(request.query_vector, dtype=np.float32), self._vectors,
            self._segments,
        )
        return semantic.Semantic(request.semantic, request.fusion, found)

    def parse(self, query: str, ranking: Optional[Ranking] = None) -> _query.BuiltQuery:
        return self._read_with_searcher(lambda searcher: self._build(query, searcher, ranking or self._ranking))

    def _build(self, query: str, searcher: Any, ranking: Ranking) -> _query.BuiltQuery:
        known = vocabulary.Vocabulary(searcher, self._vocabulary)
        return _query.parse_query(
            query,
            self.analyzer,
            known.alternatives,
            known,
            self.synonyms,
            ranking.weak_words,
        )

    def texts_holding(self, term: str, limit: int) -> List[str]:
        def read(searcher: Any) -> List[str]:
            return [
                str(searcher.stored_fields(docnum).get(fieldname) or "")
                for fieldname in FIELDS.searched
                for docnum in itertools.islice(searcher.document_numbers(**{fieldname: term}), limit)
            ]

        return self._read_with_searcher(read)

    def passages(self, doc_id: str) -> List[Mapping[str, Any]]:
        return self._read_with_searcher(lambda searcher: list(vocabulary.passages_of(searcher, doc_id)))

    def document_ids(self, offset: int, limit: int) -> Tuple[int, List[str]]:
        def read(searcher: Any) -> Tuple[int, List[str]]:
            ids = _scoring.Layout.of(searcher, self._segments).doc_ids()
            return len(ids), ids[offset : offset + limit]

        return self._read_with_searcher(read)

    def matching_documents(
        self, query: Optional[str], after: Optional[str], before: Optional[str], source: Optional[str]
    ) -> List[str]:
        return self._read_with_searcher(lambda searcher: self._matching_documents(searcher, query, after, before, source))

    def _matching_documents(
        self, searcher: Any, query: Optional[str], after: Optional[str], before: Optional[str], source: Optional[str]
    ) -> List[str]:
        layout = _scoring.Layout.of(searcher, self._segments)
        if query is None:
            restriction = _restriction(None, after, before, source, searcher)
            if restriction is None:
                return layout.doc_ids()
            passages = np.array(sorted(restriction), dtype=np.int64)
        else:
            searcher.weighting = self._ranking.weighting()
            built = self._build(query, searcher, self._ranking)
            if built.query is None:
                return []
            restriction = _restriction(built.filter, after, before, source, searcher)
            if restriction is not None and not restriction:
                return []
            ranker = _ranking.Ranker(
                searcher, built.query, restriction, self._ranking, self._segments, built.forms, self.analyzer
            )
            ranker.choose(1, None, False)  # scores every match: the passages a search's total counts
            passages = ranker.matching()
        articles = np.unique(layout.article[passages]) if len(passages) else passages
        return sorted(layout.article_id(int(article)) for article in articles.tolist() if article >= 0)

    def stats(self) -> IndexStats:
        raw = self._read(self._store.stats)
        last = (
            _dt.datetime.fromtimestamp(raw.last_update, _dt.timezone.utc).isoformat(timespec="seconds")
            if raw.last_update
            else None
        )
        identity = self._store.settings.embedder_identity
        embedder = None if identity is None else str(identity.get("spec") or identity.get("name"))
        return IndexStats(
            self.location, raw.documents, raw.passages, raw.terms, raw.size_bytes, last, embedder,
            self.missing_vectors() if embedder is not None else 0,
        )

    def _read_with_searcher(self, operation: Callable[[Any], _T]) -> _T:
        """:meth:`_read` with a searcher lent for the length of the operation."""

        def read() -> _T:
            with self._store.reading() as searcher:
                return operation(searcher)

        return self._read(read)

    def _read(self, operation: Callable[[], _T]) -> _T:
        """Run a read of the index, telling damage from other failures.

        A failure with the files damaged (removed or truncated after the
        index was opened, bytes that no longer decompress) becomes
        :class:`IndexCorruptError`. A file missing with the files sound was
        removed by a commit made meanwhile: the read starts again, on the
        newer commit. Other errors pass as they are.
        """
        for attempt in attempts(self.path, _READ_ATTEMPTS):
            try:
                return operation()
            except SearchlibError:
                raise
            except Exception as error:
                from ..storage import check

                problem = check.first_problem(self.path)
                if problem is None and isinstance(error, _DAMAGE):
                    problem = f"a file is {describe_damage(error)}"
                if problem is not None:
                    raise IndexCorruptError(damaged(self.path, problem)) from error
                if not isinstance(error, FileNotFoundError) or attempt.last:
                    raise
        raise AssertionError("unreachable")



def _restriction(
    parsed: Optional[wq.Query], after: Optional[str], before: Optional[str], source: Optional[str], searcher: Any
) -> Optional[Set[int]]:
    """The passages the query's filters and the options keep (None: all)."""
    parts = [parsed] if parsed is not None else []
    if after or before:
        # One range, so only the dates between the bounds are read.
        parts.append(_query.date_range(after, before + "\uffff" if before else None))
    if source:
        parts.append(_query.source_filter(vocabulary.Vocabulary(searcher), source))
    if not parts:
        return None
    return vocabulary.matching_docs(searcher, parts[0] if len(parts) == 1 else wq.And(parts))
