"""The public face of searchlib: :class:`Index` and the result types.

This module wires the rooms together; each concern lives in its own module:
``ingest`` reads sources, ``passages`` cuts them, ``analysis`` makes terms,
``store`` keeps the Whoosh index, ``query`` reads queries and ``snippets``
draws highlights.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
import itertools
import os
import pickle
import shutil
import struct
import time
import zlib
from pathlib import Path
from typing import (
    TYPE_CHECKING, Any, BinaryIO, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, TypeVar, Union,
)

from whoosh import query as wq

from . import ingest
from ._defaults import DEFAULT_LOCK_TIMEOUT
from .search import query as _query, ranking as _ranking, scoring as _scoring, snippets, syntax as _syntax, vocabulary
from .storage import rebuild as _rebuild, settings as _settings, store
from .storage.damage import damaged, describe_damage, write_error
from .storage.schema import FIELDS
from .results import AddReport, CheckReport, Hit, IndexStats, ParsedQuery, Progress, QueryClause, SearchResults
from .errors import DocumentIdError, IndexCorruptError, QueryError, SearchlibError
from .ingest import Document, FieldMap, IngestFailure, IngestWarning

if TYPE_CHECKING:  # writing and checking are imported by the calls that need them
    from .indexing import run as _indexing

__all__ = [
    "Index",
    "Hit",
    "SearchResults",
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
# What reading a damaged file raises (Whoosh decompresses and unpickles).
_DAMAGE = (zlib.error, EOFError, struct.error, pickle.UnpicklingError)
_READ_ATTEMPTS = 3
_STREAM_ID = "stdin"  # the id of a plain-text stream given none
_SPELLING_PASSAGES = 20  # passages read for the ways the index writes a corrected word
_T = TypeVar("_T")
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
        less memory and lose less to an interrupted run.
        """
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
            raise SearchlibError(f"workers must be a whole number of processes (0 or more) or None, not {workers!r}")
        if ranking is not None:
            _check_ranking(ranking)
        for name, value in (("batch_size", batch_size), ("batch_chars", batch_chars)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise SearchlibError(f"{name} must be a positive whole number or None, not {value!r}")
        self.path = Path(path)
        self._workers = workers
        self._batch = (batch_size, batch_chars)
        _rebuild.finish_interrupted_swap(self.path)
        self._store = store.Store(
            self.path, create=create, lock_timeout=lock_timeout, stop_words=stop_words, passage_words=passage_words
        )
        self._analyzer = self._store.analyzer
        self._ranking = ranking if ranking is not None else _ranking.DEFAULT
        self._segments = _scoring.SegmentCache()  # what the ranking reads of each segment, once
        self._synonyms: Optional[_query.Synonyms] = None
        if synonyms is not None:
            try:
                if isinstance(synonyms, (str, os.PathLike)):
                    self._synonyms = _query.Synonyms.from_file(synonyms, self._analyzer)
                else:
                    self._synonyms = _query.Synonyms(synonyms, self._analyzer)
            except (OSError, ValueError) as error:
                self._store.close()
                message = f"synonyms {synonyms}: {error.strerror}" if isinstance(error, OSError) else str(error)
                raise SearchlibError(message) from None

    @staticmethod
    def exists(path: PathLike) -> bool:
        """Whether ``path`` holds an index (finishing first a rebuild whose
        swap a kill interrupted, as opening does)."""
        _rebuild.finish_interrupted_swap(Path(path))
        return store.Store.exists(Path(path))

    @staticmethod
    def check(path: PathLike) -> CheckReport:
        """Verify the index in ``path`` without opening it for use: read
        every file in full and every document's passages, and report the
        damage found (an index that cannot be opened is checked all the
        same). Writes nothing, except to finish a rebuild whose swap a kill
        interrupted, as opening does. Raises :class:`IndexNotFoundError`
        when ``path`` holds no index."""
        _rebuild.finish_interrupted_swap(Path(path))
        from .storage import check as _check  # imported by the calls that need it: a fresh process searches sooner

        return _check.verify(Path(path))

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
        from .indexing import run as _indexing

        files, missing = ingest.list_sources(paths, include, exclude)
        failed_origins: Set[str] = set()
        last: List[Progress] = []

        def report(state: Progress) -> None:
            last[:] = [state]
            if progress is not None:
                progress(state)

        def report_again() -> None:
            # Sources are read ahead of writing: once they are all read,
            # the run still reports (and can be stopped) until it ends.
            if progress is not None and last:
                progress(last[0])

        def items() -> Iterator[_indexing.Item]:
            yield from missing
            yield from _indexing.iter_sources(files, fields or FieldMap(), failed_origins, report)

        roots = [os.path.abspath(path) for path in paths if Path(path).exists()]
        # Whatever could not be read this time keeps its documents.
        failed_origins.update(os.path.abspath(failure.source) for failure in missing)
        return _indexing.write(
            self._store, items(), prune_roots=roots if prune else None, kept_origins=failed_origins,
            workers=self._workers, between=report_again, orphan_roots=None if prune else roots, batch=self._batch,
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
        name = _STREAM_ID if doc_id is None else doc_id.strip()
        counter = _StreamProgress(progress)
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
        from .indexing import run as _indexing

        if doc_id is None:
            self._refuse_replacing_unnamed(ahead)
        report = _indexing.write(
            self._store, counter.documents(itertools.chain(ahead, items)), workers=self._workers, batch=self._batch
        )
        counter.finished()
        return report

    def _refuse_replacing_unnamed(self, items: Sequence[Any]) -> None:
        """Raise if a document named by default would replace a different
        one: two texts sent without an id are two documents, not one
        replacing the other unnoticed."""
        from .indexing import run as _indexing

        for item in items:
            if not isinstance(item, Document) or item.id != _STREAM_ID:
                continue
            from .indexing import writer as _writer

            with self._store.reading() as searcher:
                previous = _writer.stored_hash(searcher, _STREAM_ID)
            if previous is not None and previous != _indexing.content_hash(item, self._store.passage_words):
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
        from .indexing import run as _indexing

        return _indexing.write(self._store, ingest.as_documents(documents), workers=self._workers, batch=self._batch)

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its passages; False if it was not indexed."""
        from .indexing import writer as _writer

        with _writer.writer(self._store) as writer:
            removed = writer.delete_by_term(FIELDS.doc_id, str(doc_id))
        return bool(removed)

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
    ) -> AddReport:
        """Build a fresh index of ``paths`` beside ``path``, then swap it in.

        Until the new index is complete, the old one (even one that is
        damaged or of an older format) stays in place and searchable; if the
        run fails or is interrupted, the old index is left as it was. The
        old index's stop words and passage sizes are kept unless new ones
        are given. ``workers``, ``batch_size`` and ``batch_chars`` are as
        for :class:`Index`.
        """
        target = Path(path)
        if stop_words is None or passage_words is None:
            old = _settings.peek(target)
            if stop_words is None and old is not None and old.stop_words is not None:
                stop_words = old.stop_words
            if passage_words is None and old is not None and old.passage_words_set:
                passage_words = old.passage_words
        try:
            fresh = _rebuild.fresh_directory(target)
        except OSError as error:
            raise write_error(target, error) from None
        try:
            with cls(
                fresh, stop_words=stop_words, passage_words=passage_words, workers=workers, batch_size=batch_size,
                batch_chars=batch_chars,
            ) as ix:
                report = ix.add_path(*paths, include=include, exclude=exclude, fields=fields, progress=progress)
            _rebuild.rebuild_swap(fresh, target, lock_timeout)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        return report

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
        repeats what an earlier one showed. Raises :class:`QueryError` for an
        empty query, bad limits or offsets, or bad dates.
        """
        return self._read(
            lambda: self._search(
                query, limit, per_doc, collapse_duplicates, after, before, source, snippet_chars, explain, ranking,
                offset,
            )
        )

    def _search(
        self,
        query: str,
        limit: int,
        per_doc: Optional[int],
        collapse_duplicates: bool,
        after: Optional[str],
        before: Optional[str],
        source: Optional[str],
        snippet_chars: int,
        explain: bool,
        ranking: Optional[_ranking.Ranking] = None,
        offset: int = 0,
    ) -> SearchResults:
        _check_query(query)
        if not isinstance(limit, int) or limit < 1:
            raise QueryError(f"limit must be a positive integer, not {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise QueryError(f"offset must be a non-negative integer, not {offset!r}")
        if not isinstance(snippet_chars, int) or snippet_chars < 20:
            raise QueryError(f"snippet_chars must be an integer of at least 20, not {snippet_chars!r}")
        if per_doc is not None and (not isinstance(per_doc, int) or per_doc < 1):
            raise QueryError(f"per_doc must be a positive integer or None, not {per_doc!r}")

        if ranking is None:
            ranking = self._ranking
        else:
            _check_ranking(ranking)
        with self._store.reading() as searcher:
            searcher.weighting = ranking.weighting()  # lent to this call alone
            return self._search_in(
                searcher, query, limit, per_doc, collapse_duplicates, after, before, source, snippet_chars, explain,
                ranking, offset,
            )

    def _search_in(
        self,
        searcher: Any,
        query: str,
        limit: int,
        per_doc: Optional[int],
        collapse_duplicates: bool,
        after: Optional[str],
        before: Optional[str],
        source: Optional[str],
        snippet_chars: int,
        explain: bool,
        ranking: _ranking.Ranking,
        offset: int,
    ) -> SearchResults:
        parsed = self._build(query, searcher, ranking)
        if parsed.query is None:
            return SearchResults(query, [], 0, parsed.notes, offset=offset, limit=limit)
        restriction = self._restriction(parsed.filter, after, before, source, searcher)
        if restriction is not None and not restriction:
            return SearchResults(query, [], 0, parsed.notes, offset=offset, limit=limit)  # the filters keep nothing
        ranker = _ranking.Ranker(
            searcher, parsed.query, restriction, ranking, self._segments, parsed.forms, self._analyzer
        )
        # A page is cut from the list a larger limit gives: per_doc and the
        # copies folded away depend on every hit ranked above it.
        total, chosen = ranker.choose(offset + limit, per_doc, collapse_duplicates)
        chosen = chosen[offset:]
        # Only the query's own words can be highlighted: only they become tokens.
        wanted = snippets.pattern_terms(parsed.patterns)
        hits = [
            self._hit(fields, score, parsed.patterns, wanted, copies, snippet_chars) for fields, score, copies in chosen
        ]
        if explain:
            hits = [
                dataclasses.replace(hit, explanation=tuple(ranker.explain(fields["_docnum"])))
                for hit, (fields, _, _) in zip(hits, chosen)
            ]
        return SearchResults(
            query, hits, total, parsed.notes, self._suggestion(query, parsed.corrections, hits), offset=offset, limit=limit
        )

    def parse(self, query: str) -> ParsedQuery:
        """How ``query`` is read in this index, as :meth:`search` reads it:
        its clauses (words, phrases, exclusions, OR groups, prefixes, fuzzy
        words, boosts, filters), each word with the indexed terms it
        searches, the notes on what was malformed or capped, and the words
        taken for typing errors with the query corrected. Searches nothing.
        Raises :class:`QueryError` for an empty query."""
        return self._read(lambda: self._parse(query))

    def _build(self, query: str, searcher: Any, ranking: _ranking.Ranking) -> _query.BuiltQuery:
        """The query read against this index's vocabulary, as searched."""
        return _query.parse_query(
            query,
            self._analyzer,
            lambda term, key: vocabulary.alternatives(searcher, term, key),
            vocabulary.Vocabulary(searcher),
            self._synonyms,
            ranking.weak_words,
        )

    def _parse(self, query: str) -> ParsedQuery:
        _check_query(query)
        with self._store.reading() as searcher:
            return self._parse_in(searcher, query)

    def _passages_of(self, doc_id: str) -> List[Dict[str, Any]]:
        with self._store.reading() as searcher:
            return vocabulary.passages_of(searcher, doc_id)

    def _parse_in(self, searcher: Any, query: str) -> ParsedQuery:
        built = self._build(query, searcher, self._ranking)
        clauses = built.tree.clauses if built.tree is not None else ()
        suggestion: Optional[str] = query
        for typed, term in built.corrections:
            written = self._written(searcher, typed, term)
            suggestion = suggestion.replace(typed, written, 1) if suggestion is not None and written else None
        return ParsedQuery(
            query,
            tuple(_clause(_group_occur(occur, node), node, built.resolved) for occur, node in clauses),
            built.notes,
            built.corrections,
            suggestion if suggestion != query else None,
        )

    def _written(self, searcher: Any, typed: str, term: str) -> Optional[str]:
        """How the indexed text writes ``term``: of its spellings in the
        first passages holding it, the nearest to ``typed`` (a stem stands
        for many words: "négotiations" is "négociations", not "négocier")."""
        import difflib

        spellings: Dict[str, int] = {}
        for fieldname in FIELDS.searched:
            for docnum in itertools.islice(searcher.document_numbers(**{fieldname: term}), _SPELLING_PASSAGES):
                text = str(searcher.stored_fields(docnum).get(fieldname) or "")
                for token in self._analyzer.all_tokens(text):
                    if token.text == term:
                        spelling = text[token.start : token.end]
                        spellings[spelling] = spellings.get(spelling, 0) + 1
        wanted = typed.lower()
        return max(
            spellings,
            key=lambda spelling: (difflib.SequenceMatcher(None, wanted, spelling.lower()).ratio(), spellings[spelling]),
            default=None,
        )

    def _read(self, operation: Callable[[], _T]) -> _T:
        """Run a read of the index, telling damage from other failures.

        A failure with the files damaged (removed or truncated after the
        index was opened, bytes that no longer decompress) becomes
        :class:`IndexCorruptError`. A file missing with the files sound was
        removed by a commit made meanwhile: the read starts again, on the
        newer commit. Other errors pass as they are.
        """
        for attempt in range(_READ_ATTEMPTS):
            try:
                return operation()
            except SearchlibError:
                raise
            except Exception as error:
                from .storage import check as _check

                problem = _check.first_problem(self.path)
                if problem is None and isinstance(error, _DAMAGE):
                    problem = f"a file is {describe_damage(error)}"
                if problem is not None:
                    raise IndexCorruptError(damaged(self.path, problem)) from error
                if not isinstance(error, FileNotFoundError) or attempt == _READ_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _suggestion(self, query: str, corrections: Sequence[Tuple[str, str]], hits: Sequence[Hit]) -> Optional[str]:
        """The query with each corrected word replaced by the way the
        indexed text writes the term it was taken for."""
        suggestion = query
        for typed, term in corrections:
            written = next(
                (hit.text[t.start : t.end] for hit in hits for t in self._analyzer.all_tokens(hit.text) if t.text == term),
                None,
            )
            if written is None:
                return None
            suggestion = suggestion.replace(typed, written, 1)
        return suggestion if suggestion != query else None

    @staticmethod
    def _restriction(
        parsed: Any, after: Optional[str], before: Optional[str], source: Optional[str], searcher: Any
    ) -> Any:
        """The passages the query's filters and the options keep (None: all)."""
        parts = [parsed] if parsed is not None else []
        bounds: Dict[str, Optional[str]] = {}
        for name, value in (("after", after), ("before", before)):
            try:
                bounds[name] = ingest.normalize_date(value) if value is not None else None
            except ValueError as error:
                raise QueryError(f"{name}: {error}") from None
        if bounds["after"] or bounds["before"]:
            # One range, so only the dates between the bounds are read.
            high = bounds["before"] + "\uffff" if bounds["before"] else None
            parts.append(_query.date_range(bounds["after"], high))
        if source:
            parts.append(_query.source_filter(vocabulary.Vocabulary(searcher), source))
        if not parts:
            return None
        return vocabulary.matching_docs(searcher, parts[0] if len(parts) == 1 else wq.And(parts))

    def _hit(
        self,
        fields: Mapping[str, Any],
        score: float,
        patterns: Sequence[_query.Pattern],
        wanted: Set[str],
        copies: Tuple[str, ...],
        snippet_chars: int,
    ) -> Hit:
        text = fields[FIELDS.text]
        matches = snippets.find_matches(text, patterns, lambda value: self._analyzer.all_tokens(value, only=wanted))
        highlights = snippets.merge_spans(text, matches)
        window = snippets.snippet_window(text, matches, snippet_chars)
        return Hit(
            doc_id=fields[FIELDS.doc_id],
            passage=fields[FIELDS.passage],
            score=float(score),
            title=fields.get(FIELDS.title) or None,
            date=fields.get(FIELDS.date) or None,
            source=fields.get(FIELDS.source) or None,
            text=text,
            snippet=snippets.render(text, window, highlights),
            highlights=highlights,
            metadata=dict(fields.get(FIELDS.metadata) or {}),
            start=fields.get(FIELDS.start, 0),
            end=fields.get(FIELDS.end, 0),
            duplicates=copies,
            snippet_window=window,
        )

    def document(self, doc_id: str) -> Optional[Document]:
        """The indexed document ``doc_id``, or None if the index has none.

        Title, date, source and metadata are as indexed. ``text`` holds each
        passage at its own offsets, so ``hit.start`` and ``hit.end`` index
        into it; what lies between passages (blank lines, front matter, site
        furniture) is not stored and reads as blank space of the same length.
        """
        rows = self._read(lambda: self._passages_of(str(doc_id)))
        if not rows:
            return None
        pieces: list[str] = []
        end = 0
        for row in rows:
            start = int(row.get(FIELDS.start, end))
            if start < end:  # older indexes kept no offsets: one blank line between passages
                start = end + (2 if end else 0)
            pieces.append(_blank(start - end))
            pieces.append(row[FIELDS.text])
            end = start + len(row[FIELDS.text])
        first = rows[0]
        return Document(
            id=str(doc_id),
            text="".join(pieces),
            title=first.get(FIELDS.title) or None,
            date=first.get(FIELDS.date) or None,
            source=first.get(FIELDS.source) or None,
            metadata=dict(first.get(FIELDS.metadata) or {}),
            text_start=len(pieces[0]),
        )

    def stats(self) -> IndexStats:
        """Documents, passages, distinct terms, size on disk, last update."""
        raw = self._read(self._store.stats)
        last = (
            _dt.datetime.fromtimestamp(raw.last_update, _dt.timezone.utc).isoformat(timespec="seconds")
            if raw.last_update
            else None
        )
        return IndexStats(str(self.path), raw.documents, raw.passages, raw.terms, raw.size_bytes, last)


class _Counted(io.RawIOBase):
    """A binary stream that tells a :class:`_StreamProgress` what is read."""

    def __init__(self, stream: BinaryIO, progress: "_StreamProgress") -> None:
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


class _StreamProgress:
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


def _check_query(query: object) -> None:
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, not {type(query).__name__}")
    if not query.strip():
        raise QueryError("empty query")


def _check_ranking(ranking: object) -> None:
    if not isinstance(ranking, _ranking.Ranking):
        raise TypeError(f"ranking must be a searchlib.Ranking or None, not {type(ranking).__name__}")


def _clause(occur: str, node: _syntax.Node, resolved: Mapping[_syntax.Node, _query.Pattern]) -> QueryClause:
    """A node of the query's tree as users are shown it."""
    terms = tuple(tuple(sorted(slot)) for slot, _ in resolved.get(node, ()))
    if isinstance(node, _syntax.Group):
        inner = tuple(_clause(_group_occur(inner_occur, child), child, resolved) for inner_occur, child in node.clauses)
        return QueryClause("group", occur, boost=node.boost, clauses=inner)
    if isinstance(node, _syntax.Either):
        options = tuple(_clause(_syntax.SHOULD, option, resolved) for option in node.options)
        return QueryClause("or", occur, clauses=options)
    if isinstance(node, _syntax.Filter):
        value = node.value
        text = value.text + ("*" if isinstance(value, _syntax.Word) and value.prefix else "")
        return QueryClause("filter", occur, text, field=node.name, terms=terms)
    if isinstance(node, _syntax.Phrase):
        return QueryClause("phrase", occur, node.text, node.boost, terms=terms)
    kind = "prefix" if node.prefix else "fuzzy" if node.fuzzy else "word"
    return QueryClause(kind, occur, node.text, node.boost, distance=node.fuzzy, terms=terms)


def _group_occur(occur: str, node: _syntax.Node) -> str:
    """A clause's occurrence as the search applies it: a source, doc or
    date filter among a group's clauses keeps only what it matches."""
    if isinstance(node, _syntax.Filter) and node.name != "title" and occur != _syntax.MUST_NOT:
        return _syntax.MUST
    return occur


def _blank(length: int) -> str:
    """White space of ``length`` characters that reads as a paragraph break."""
    return " " * length if length < 2 else " " * (length - 2) + "\n\n"
