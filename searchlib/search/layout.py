"""Which passage belongs to which article, and how long each passage is.

Scoring needs, for every passage of an index, its article and its field
lengths (BM25's length normalisation), read as whole arrays rather than a
Whoosh call a passage. They change only when segments do, so they are read
once a segment (:class:`SegmentCache`, shared by every searcher of one
index) and put together once a searcher (:class:`Layout`, kept by the same
cache, keyed weakly by the searcher, so it goes when the searcher does).

Apart from :mod:`.scoring` for the same reason: this is what the index
looks like, read once; scoring is what a query makes of it, every time.
Whoosh's length columns are read through :mod:`.whoosh27`.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt
from whoosh.util.numeric import byte_to_length

from ..storage.schema import FIELDS, term_text
from .whoosh27 import length_codes

__all__ = ["SegmentCache", "Layout", "LENGTH_FIELDS"]

#: the fields whose lengths BM25 needs: those a query's words are looked up in
LENGTH_FIELDS = FIELDS.searched


class _Segment:
    """One segment's passages: their article (-1 once deleted) and field
    lengths. A document's passages are written together, so they hold
    consecutive numbers in their segment (merges keep the order)."""

    def __init__(self, reader: Any) -> None:
        count = self.count = reader.doc_count_all()
        self._columns: Dict[str, Tuple[List[str], "npt.NDArray[np.int64]"]] = {}
        deleted = [n for n in range(count) if reader.is_deleted(n)] if reader.has_deletions() else []
        self.has_deletions = bool(deleted)
        #: each field's passage lengths, in double precision as Python's floats
        self.lengths = {name: _field_lengths(reader, name, count) for name in LENGTH_FIELDS}
        # An index with no passages yet has no columns at all (Whoosh's empty reader).
        doc_ids = list(reader.column_reader(FIELDS.doc_id, translate=False)) if count else []
        live = np.ones(count, dtype=bool)
        live[deleted] = False
        live_ids = [doc_id for doc_id, kept in zip(doc_ids, live.tolist()) if kept] if deleted else doc_ids
        # a new article wherever the document id changes
        starts = [True] + [before != after for before, after in zip(live_ids, live_ids[1:])] if live_ids else []
        self.article = np.full(count, -1, dtype=np.int64)
        self.article[live] = np.cumsum(starts) - 1
        for lengths in self.lengths.values():
            lengths[deleted] = 0.0
        #: each article's document id, in order
        self.article_ids: List[str] = [term_text(doc_id) for doc_id, start in zip(live_ids, starts) if start]
        #: the articles' lengths (their passages' summed), one an article, in order
        articles = int(self.article.max()) + 1 if live_ids else 0
        self.article_lengths = np.bincount(
            self.article[live], weights=self.lengths[FIELDS.text][live], minlength=articles
        ).astype(np.float64, copy=False)


    def column(self, reader: Any, fieldname: str) -> Tuple[List[str], "npt.NDArray[np.int64]"]:
        """A single-term field's values (sorted) and each passage's value as
        an index into them (-1: none), read once from the field's postings
        (a lexicon of dates or sources is short beside the passages). Two
        threads may read it at once; both read the same."""
        found = self._columns.get(fieldname)
        if found is None:
            values: List[str] = []
            codes = np.full(self.count, -1, dtype=np.int64)
            for raw in reader.lexicon(fieldname):
                value = term_text(raw)
                codes[list(reader.postings(fieldname, value).all_ids())] = len(values)
                values.append(value)
            found = self._columns[fieldname] = (values, codes)
        return found


def _field_lengths(reader: Any, fieldname: str, count: int) -> "npt.NDArray[np.float64]":
    """Each passage's length of a field, from Whoosh's column of one byte
    a passage where it has one, else a call a passage."""
    codes = length_codes(reader, fieldname, count)
    if codes is None:
        return np.array([reader.doc_field_length(n, fieldname) or 0 for n in range(count)], dtype=np.float64)
    return _BYTE_LENGTHS[codes]


#: the length each of a length column's bytes stands for (0: none)
_BYTE_LENGTHS = np.array([byte_to_length(code) if code else 0 for code in range(256)], dtype=np.float64)


def segment_key(reader: Any) -> Optional[Tuple[str, int]]:
    """What names a segment's reader as it stands: the segment's id (a
    segment never changes once written) and its count of live passages
    (deletions aside); None for a reader of no segment."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return None if segment is None else (segment.segment_id(), reader.doc_count())


class SegmentCache:
    """Each segment's :class:`_Segment`, read once and shared by every
    searcher of one index that holds it (segments never change once written,
    deletions aside, and the key holds the count of live passages); and each
    searcher's :class:`Layout`, for as long as the searcher lives."""

    _LIMIT = 512

    def __init__(self) -> None:
        self._segments: Dict[Tuple[str, int], _Segment] = {}
        self._layouts: "weakref.WeakKeyDictionary[Any, Layout]" = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def segment(self, reader: Any) -> _Segment:
        key = segment_key(reader) or (str(id(reader)), reader.doc_count())
        with self._lock:
            found = self._segments.get(key)
        if found is None:
            found = _Segment(reader)
            with self._lock:
                if len(self._segments) > self._LIMIT:
                    self._segments.clear()
                self._segments[key] = found
        return found

    def layout(self, searcher: Any) -> "Layout":
        """The layout of a searcher's reader, built on first use. A searcher
        is lent to one thread at a time (``Store.reading()``), so two
        threads never build one searcher's layout at once."""
        with self._lock:
            layout: Optional[Layout] = self._layouts.get(searcher)
        if layout is None:
            layout = Layout(searcher.reader(), self)
            with self._lock:
                self._layouts[searcher] = layout
        return layout


class Layout:
    """The articles of one reader's segments."""

    def __init__(self, reader: Any, cache: SegmentCache) -> None:
        self.leaves: List[Tuple[Any, int, _Segment, int]] = []  # reader, first docnum, segment, first article
        owners, lengths = [], []
        articles = 0
        for leaf, offset in reader.leaf_readers():
            segment = cache.segment(leaf)
            self.leaves.append((leaf, offset, segment, articles))
            owners.append(np.where(segment.article >= 0, segment.article + articles, -1))
            lengths.append(segment.article_lengths)
            articles += len(segment.article_lengths)
        #: each passage's article (-1: deleted)
        self.article = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
        self.article_lengths = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.float64)
        self.articles = articles
        self.average_length = float(self.article_lengths.sum()) / articles if articles else 1.0
        self._columns: Dict[str, Tuple[List[str], "npt.NDArray[np.int64]"]] = {}
        self._doc_ids: Optional[List[str]] = None

    def column(self, fieldname: str) -> Tuple[List[str], "npt.NDArray[np.int64]"]:
        """A single-term field's values over the whole reader, sorted, and
        each passage's value as an index into them (-1: none): what facets
        count and a sort by date orders by, as a search engine's doc values."""
        found = self._columns.get(fieldname)
        if found is None:
            parts = [segment.column(leaf, fieldname) for leaf, _, segment, _ in self.leaves]
            values = sorted(set().union(*(set(names) for names, _ in parts)))
            position = {value: at for at, value in enumerate(values)}
            # the extra -1 at the end maps a segment's -1 (no value) to -1
            codes = [np.array([position[name] for name in names] + [-1], dtype=np.int64)[own] for names, own in parts]
            found = (values, np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64))
            self._columns[fieldname] = found
        return found

    def doc_ids(self) -> List[str]:
        """Every live document's id, sorted."""
        if self._doc_ids is None:
            self._doc_ids = sorted({doc_id for _, _, segment, _ in self.leaves for doc_id in segment.article_ids})
        return self._doc_ids

    def article_id(self, article: int) -> str:
        """The document id of article number ``article`` (as in :attr:`article`)."""
        for _, _, segment, first in reversed(self.leaves):
            if article >= first:
                return str(segment.article_ids[article - first])
        raise IndexError(article)

    @classmethod
    def of(cls, searcher: Any, cache: SegmentCache) -> "Layout":
        """The layout of a searcher's reader, built on first use (kept by ``cache``)."""
        return cache.layout(searcher)

    def text_length(self, docnum: int) -> float:
        """A passage's length of text, as BM25 counts it."""
        for _, offset, segment, _ in reversed(self.leaves):
            if docnum >= offset:
                return float(segment.lengths[FIELDS.text][docnum - offset])
        return 0.0
