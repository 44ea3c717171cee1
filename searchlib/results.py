"""What a search returns: :class:`Hit` and :class:`SearchResults`; how a
query was read: :class:`ParsedQuery`; and :class:`IndexStats`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union, overload


if TYPE_CHECKING:  # the readers are imported only by the runs that read sources
    from .ingest import Document, IngestFailure, IngestWarning

__all__ = [
    "Hit", "SearchResults", "Passage", "DocumentList", "ParsedQuery", "QueryClause", "IndexStats", "CheckReport", "AddReport",
    "Progress", "EmbedProgress", "EmbedReport",
]


@dataclass(frozen=True)
class Hit:
    """One ranked passage.

    ``text`` is the passage exactly as in the source, found at ``start`` to
    ``end`` in the document's text; ``highlights`` are ``(start, end)``
    offsets into ``text``, one per matched word; ``snippet`` is the best
    fragment, HTML-escaped, with matches in ``<mark>…</mark>``;
    ``duplicates`` are the ids of other documents whose near-identical
    passage (the same wire copy, say) also matched and is not listed, or
    that are near-identical copies of this hit's document;
    ``explanation`` (when asked for) lists ``(field, term, score)`` for
    each query term the passage holds, highest first.
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
    start: int = 0
    end: int = 0
    duplicates: Tuple[str, ...] = ()
    snippet_window: Tuple[int, int] = (0, 0)
    explanation: Tuple[Tuple[str, str, float], ...] = ()

    def format_snippet(self, format: str = "html", marks: Optional[Tuple[str, str]] = None) -> str:
        """The snippet in another ``format``: ``html`` (as ``snippet``),
        ``ansi`` (matches in bold, for terminals) or ``text``; ``marks`` gives
        the opening and closing marks (``("[", "]")`` for ``text`` by default)."""
        return render(self.text, self.snippet_window, self.highlights, format, marks)

    def to_dict(self, marks: Optional[Tuple[str, str]] = None) -> Dict[str, Any]:
        """The hit as plain JSON-ready data; ``marks`` replace ``<mark>`` and
        ``</mark>`` in its snippet (which stays HTML-escaped)."""
        return {
            "doc_id": self.doc_id,
            "passage": self.passage,
            "score": self.score,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "text": self.text,
            "snippet": self.snippet if marks is None else self.format_snippet("html", marks),
            "highlights": [list(span) for span in self.highlights],
            "start": self.start,
            "end": self.end,
            "metadata": self.metadata,
            "duplicates": list(self.duplicates),
            "snippet_window": list(self.snippet_window),
            **({"explanation": [list(item) for item in self.explanation]} if self.explanation else {}),
        }


class SearchResults(Sequence[Hit]):
    """The hits of one search, best first.

    ``total`` counts every matching passage (more than ``len()`` when the
    limit cut the list); ``notes`` say how the query was read, when that is
    worth telling the user; ``suggestion`` is the query with its misspelt
    words corrected from the index's own text ("Lavorv" → "Lavrov"), when
    some were. ``offset`` is the number of better hits skipped before the
    first one here (a page's start) and ``limit`` the most it could hold.
    ``facets`` maps each facet asked for ("year", "month", "source") to its
    values and their number of matching passages, commonest first.
    """

    def __init__(
        self,
        query: str,
        hits: List[Hit],
        total: int,
        notes: Sequence[str] = (),
        suggestion: Optional[str] = None,
        *,
        offset: int = 0,
        limit: Optional[int] = None,
        facets: Optional[Dict[str, Dict[str, int]]] = None,
    ) -> None:
        self.query = query
        self.facets: Dict[str, Dict[str, int]] = facets if facets is not None else {}
        self.total = total
        self.offset = offset
        self.limit = limit
        self.notes: Tuple[str, ...] = tuple(notes)
        self.suggestion = suggestion
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

    def to_dict(self, marks: Optional[Tuple[str, str]] = None) -> Dict[str, Any]:
        """The results as plain JSON-ready data (the CLI's ``--json``);
        ``marks`` replace ``<mark>`` and ``</mark>`` in the snippets."""
        return {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "suggestion": self.suggestion,
            "notes": list(self.notes),
            "facets": {name: dict(counts) for name, counts in self.facets.items()},
            "results": [dict(rank=rank, **hit.to_dict(marks)) for rank, hit in enumerate(self._hits, self.offset + 1)],
        }


@dataclass(frozen=True)
class QueryClause:
    """One clause of a query, as read (see :class:`ParsedQuery`).

    ``kind`` is ``word``, ``phrase``, ``prefix`` (``négoc*``), ``fuzzy``
    (``Lavorv~``, ``distance`` edits), ``filter`` (on ``field``: ``title``,
    ``source``, ``doc`` or ``date``), ``or`` (``clauses`` are the options)
    or ``group`` (parentheses: ``clauses`` are its clauses). ``occur`` is
    ``should`` (counts where found), ``must`` (required: ``+word``, ``AND``)
    or ``must_not`` (excluded: ``-word``, ``NOT``). ``text`` is the word,
    phrase or filter value as read, ``boost`` its weight (``^2``).
    ``terms`` are the indexed terms it searches in this index, one tuple
    per word of a phrase or compound (``cessez-le-feu``): its spellings with
    and without accents, other spellings of a name, corrections of a typing
    error, the words of a prefix; empty for a word the index cannot hold (a
    stop word) and for what is not a word.
    """

    kind: str
    occur: str = "should"
    text: str = ""
    boost: float = 1.0
    field: Optional[str] = None
    distance: int = 0
    terms: Tuple[Tuple[str, ...], ...] = ()
    clauses: Tuple["QueryClause", ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """The clause as plain JSON-ready data."""
        return {
            "kind": self.kind,
            "occur": self.occur,
            "text": self.text,
            "boost": self.boost,
            "field": self.field,
            "distance": self.distance,
            "terms": [list(terms) for terms in self.terms],
            "clauses": [clause.to_dict() for clause in self.clauses],
        }


@dataclass(frozen=True)
class ParsedQuery:
    """How a query was read in an index (:meth:`Index.parse`).

    ``clauses`` are the query's top-level clauses in order; ``notes`` say
    what was malformed or capped and how it was read (as
    :attr:`SearchResults.notes`); ``corrections`` pair each word taken for
    a typing error with the indexed term it was taken for, and
    ``suggestion`` is the query with those words written as the indexed
    text writes them, or None.
    """

    query: str
    clauses: Tuple[QueryClause, ...]
    notes: Tuple[str, ...] = ()
    corrections: Tuple[Tuple[str, str], ...] = ()
    suggestion: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        """The reading as plain JSON-ready data."""
        return {
            "query": self.query,
            "clauses": [clause.to_dict() for clause in self.clauses],
            "notes": list(self.notes),
            "corrections": [list(pair) for pair in self.corrections],
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class Passage:
    """One indexed passage of a document: its number (from 0) and where it
    lies in :meth:`searchlib.Index.document`'s ``text`` (``start``, ``end``)."""

    doc_id: str
    number: int
    start: int
    end: int
    text: str

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DocumentList:
    """A page of the indexed documents, by id: ``total`` documents in all,
    ``offset`` skipped before these, at most ``limit`` of them."""

    documents: List["Document"]
    total: int
    offset: int
    limit: int

    def to_dict(self) -> Dict[str, Any]:
        """The page as plain JSON-ready data (each document without its text's passages)."""
        return {
            "results": [document_dict(document) for document in self.documents],
            "offset": self.offset,
            "limit": self.limit,
            "total": self.total,
        }


def document_dict(document: "Document") -> Dict[str, Any]:
    """A document as plain JSON-ready data: id, title, date, source, metadata, text."""
    return {
        "id": document.id,
        "title": document.title,
        "date": document.date,
        "source": document.source,
        "metadata": dict(document.metadata),
        "text": document.text,
    }


@dataclass(frozen=True)
class IndexStats:
    """Size and freshness of an index."""

    path: str
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: Optional[str]
    #: the embedder whose vectors the index keeps (None: it keeps none)
    embedder: Optional[str] = None
    #: passages without a vector yet (``search embed`` gives them one)
    passages_without_vectors: int = 0

    def to_dict(self) -> Dict[str, Any]:
        found = dict(self.__dict__)
        if self.embedder is None:  # an index without vectors reads as it always did
            del found["embedder"], found["passages_without_vectors"]
        return found


@dataclass(frozen=True)
class CheckReport:
    """What :meth:`Index.check` found in an index.

    ``problems`` list damage (missing or unreadable files, documents with
    passages missing); an index with problems must be rebuilt from its
    sources (``search index --rebuild``). ``notes`` are harmless findings,
    such as files an interrupted run left behind for the next write to
    remove.
    """

    path: str
    documents: int
    passages: int
    segments: int
    problems: Tuple[str, ...]
    notes: Tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the index has no problems."""
        return not self.problems

    def to_dict(self) -> Dict[str, Any]:
        return {**self.__dict__, "ok": self.ok, "problems": list(self.problems), "notes": list(self.notes)}


@dataclass
class AddReport:
    """What an ``add_*`` call did: counts of documents, failures and warnings.

    ``orphaned`` counts the indexed documents read from files under the
    paths given whose file has gone since (an ``add_path`` without
    ``prune``, which would have removed them).
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    failures: List[IngestFailure] = field(default_factory=list)
    warnings: List[IngestWarning] = field(default_factory=list)
    orphaned: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __str__(self) -> str:
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        if self.removed:
            text += f", {self.removed} removed"
        return text + f", {self.failed} failed"


@dataclass(frozen=True)
class Progress:
    """Where a long ``add_path`` run or export stands (passed to its ``progress`` callback)."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    documents: int
    #: passages given their vectors so far (an index with an embedder)
    passages_embedded: int = 0
    #: seconds since the run began (0: not measured)
    seconds: float = 0.0


@dataclass(frozen=True)
class EmbedProgress:
    """Where a run filling an index's vectors stands (``Index.embed``'s ``progress``)."""

    done: int
    total: int
    seconds: float

    @property
    def rate(self) -> float:
        """Passages a second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> Optional[float]:
        """Seconds left at the rate so far (None: not known yet)."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass
class EmbedReport:
    """What ``Index.embed`` did: passages given vectors, those still
    without (a run stopped early), and how long it took."""

    embedded: int = 0
    missing: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        rate = f", {self.embedded / self.seconds:.1f} passages/s" if self.seconds > 0 and self.embedded else ""
        return f"{self.embedded} passages embedded, {self.missing} without vectors{rate}"


# -- snippets as shown -------------------------------------------------

MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
ELLIPSIS = "…"
_SPACE_RE = re.compile(r"\s+")
Span = Tuple[int, int]


# How each format writes a snippet: (escape a fragment, open a match, close it).
def _escape_html(fragment: str) -> str:
    return html.escape(fragment, quote=False)


def _as_is(fragment: str) -> str:
    return fragment


FORMATS: Dict[str, Tuple[Callable[[str], str], str, str]] = {
    "html": (_escape_html, MARK_OPEN, MARK_CLOSE),
    "ansi": (_as_is, "\x1b[1m", "\x1b[0m"),
    "text": (_as_is, "[", "]"),
}


def render(
    text: str,
    window: Span,
    spans: Sequence[Span],
    format: str = "html",
    marks: Optional[Tuple[str, str]] = None,
) -> str:
    """The part ``window`` of ``text`` with ``spans`` marked, white space
    collapsed and "…" where cut. ``format`` is ``html`` (escaped, ``<mark>``),
    ``ansi`` (bold for terminals) or ``text``; ``marks`` replaces the
    format's opening and closing marks."""
    if format not in FORMATS:
        raise ValueError(f"unknown snippet format {format!r} (known: {', '.join(FORMATS)})")
    escape, opening, closing = FORMATS[format]
    if marks is not None:
        opening, closing = marks
    left, right = window
    pieces: List[str] = [ELLIPSIS] if left > 0 else []
    cursor = left
    for start, end in spans:
        if start < left or end > right:
            continue
        pieces.append(escape(_SPACE_RE.sub(" ", text[cursor:start])))
        pieces.append(opening + escape(_SPACE_RE.sub(" ", text[start:end])) + closing)
        cursor = end
    pieces.append(escape(_SPACE_RE.sub(" ", text[cursor:right])))
    if right < len(text):
        pieces.append(ELLIPSIS)
    return "".join(pieces).strip()
