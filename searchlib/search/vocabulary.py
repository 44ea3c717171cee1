"""What a query asks of the index beyond scoring: the terms a word stands
for, the vocabulary query expansion walks, the passages a filter keeps, a
document's passages."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable, Dict, Hashable, List, Optional, Set, Tuple, TypeVar

from whoosh import query as wq
from whoosh.searching import Searcher

from ..analysis import phonetic
from ..storage.schema import FIELDS, VARIANT_SEPARATOR, term_text
from .layout import segment_key
from .whoosh27 import range_terms

__all__ = ["Vocabulary", "VocabularyCache", "matching_docs", "passages_of"]

#: a spelling is a name's when at least 1/_NAME_SHARE of the passages holding
#: its term write it with a capital
_NAME_SHARE = 2

_T = TypeVar("_T")


def _alternatives(reader: Any, term: Optional[str], key: str) -> Set[str]:
    """The indexed terms a query word stands for: its own term (None for
    a stop word), plus the terms of every indexed spelling that differs
    from it only by accents (found through the word's key)."""
    found = {term} if term is not None else set()
    if key != term and any((field, key) in reader for field in FIELDS.searched):
        found.add(key)
    prefix = (key + VARIANT_SEPARATOR).encode("utf-8")
    for variant in reader.expand_prefix(FIELDS.variants, prefix):  # raw bytes in Whoosh 2.7
        found.add(variant[len(prefix) :].decode("utf-8"))
    return found


def passages_of(searcher: Searcher, doc_id: str) -> List[Dict[str, Any]]:
    """The stored fields of a document's passages, in order (empty if absent)."""
    rows = [searcher.stored_fields(number) for number in searcher.document_numbers(**{FIELDS.doc_id: doc_id})]
    return sorted(rows, key=lambda row: int(row[FIELDS.passage]))


class VocabularyCache:
    """What query expansion learnt of an index's vocabulary (a word's
    spellings, names that sound alike, typing errors, passage counts),
    kept across queries and threads.

    An answer is filed under the segments it was read from, each with its
    count of passages, so a commit or a deletion makes new keys and the
    older answers are never read again; at ``size`` answers the cache
    starts afresh, which bounds it.
    """

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._answers: Dict[Tuple[Hashable, ...], Any] = {}
        self._lock = threading.Lock()

    @staticmethod
    def state(reader: Any) -> Optional[Tuple[Hashable, ...]]:
        """What a reader holds: each segment's :func:`~.layout.segment_key`;
        None for a reader with a part that names no segment."""
        keys = [segment_key(leaf) for leaf, _ in reader.leaf_readers()]
        return None if None in keys else tuple(keys)

    def answer(self, key: Tuple[Hashable, ...], compute: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._answers:
                found: _T = self._answers[key]
                return found
        found = compute()  # outside the lock: two threads may both compute, alike
        with self._lock:
            if len(self._answers) >= self._size:
                self._answers.clear()
            self._answers[key] = found
        return found


class Vocabulary:
    """A searcher's vocabulary as query expansion asks for it (see
    :class:`searchlib.search.query.Expander`); every answer is capped.
    With a :class:`VocabularyCache`, an answer is read from the index once
    for each state of it."""

    def __init__(self, searcher: Searcher, cache: Optional[VocabularyCache] = None) -> None:
        self._reader = searcher.reader()
        self._state = VocabularyCache.state(self._reader) if cache is not None else None
        self._cache = cache if self._state is not None else None

    def _cached(self, key: Tuple[Hashable, ...], compute: Callable[[], _T]) -> _T:
        if self._cache is None:
            return compute()
        return self._cache.answer((self._state, key), compute)

    def alternatives(self, term: Optional[str], key: str) -> Set[str]:
        """:func:`alternatives` of this vocabulary."""
        return set(self._cached(("alternatives", term, key), lambda: frozenset(_alternatives(self._reader, term, key))))

    def prefixed(self, prefix: str, limit: int) -> List[str]:
        found: Set[str] = set()
        for fieldname in FIELDS.searched:
            for raw in itertools.islice(self._reader.expand_prefix(fieldname, prefix), limit):
                found.add(term_text(raw))
        return sorted(found)[:limit]

    def within(self, term: str, distance: int, limit: int) -> List[str]:
        return list(self._cached(("within", term, distance, limit), lambda: tuple(self._within(term, distance, limit))))

    def _within(self, term: str, distance: int, limit: int) -> List[str]:
        # The first letter is rarely the mistyped one, and requiring it
        # keeps the walk through the term list short.
        terms = self._reader.terms_within(FIELDS.text, term, distance, prefix=1)
        return sorted(itertools.islice(terms, limit))

    def sounding(self, folded: str, indexed: bool = False) -> List[str]:
        return list(self._cached(("sounding", folded, indexed), lambda: tuple(self._sounding(folded, indexed))))

    def _sounding(self, folded: str, indexed: bool) -> List[str]:
        """Terms of the indexed names spelt differently from ``folded``
        (a folded, lower-case word) that are the same name. A spelling
        the index holds (``indexed``) must be a name itself, by the same
        test as the others: a common word shares its skeleton with names
        it has nothing to do with ("crise" and Corse, "villes" and Valls)."""
        key = phonetic.skeleton(folded)
        if key is None:
            return []
        prefix = (key + VARIANT_SEPARATOR).encode("utf-8")
        # One walk of each segment's terms gives every spelling's count
        # of passages, rather than a lookup in every segment for each.
        capitalised: Dict[bytes, int] = {}
        for leaf, _ in self._reader.leaf_readers():
            for raw, info in itertools.islice(leaf.iter_prefix(FIELDS.sounds, prefix), 256):
                capitalised[raw] = capitalised.get(raw, 0) + info.doc_frequency()
        found: Set[str] = set()
        typed_is_a_name = False
        for raw in sorted(capitalised)[:256]:
            spelling, _, term = raw[len(prefix) :].decode("utf-8").partition(VARIANT_SEPARATOR)
            if spelling != folded and not phonetic.same_name(folded, spelling):
                continue
            # A name is written with a capital wherever it occurs; a word
            # capitalised only where it starts a sentence ("Mort", "Fin")
            # is a common word, and its term stands for far more passages.
            if capitalised[raw] * _NAME_SHARE >= self._reader.doc_frequency(FIELDS.text, term):
                if spelling == folded:
                    typed_is_a_name = True
                else:
                    found.add(term)
        return sorted(found) if typed_is_a_name or not indexed else []

    def frequency(self, term: str) -> int:
        """Passages holding ``term`` in their text or title."""
        return self._cached(("frequency", term), lambda: self._frequency(term))

    def _frequency(self, term: str) -> int:
        return int(self._reader.doc_frequency(FIELDS.text, term) + self._reader.doc_frequency(FIELDS.title, term))

    def sources(self, text: str, limit: int) -> List[str]:
        wanted = text.lower()
        found: List[str] = []
        for raw in self._reader.lexicon(FIELDS.source):
            source = term_text(raw)
            if wanted in source.lower():
                found.append(source)
                if len(found) >= limit:
                    break
        return found


def matching_docs(searcher: Searcher, query: wq.Query) -> Set[int]:
    """The passages a filter query keeps, as document numbers.

    Whoosh evaluates a filter by walking a tree of union matchers (a
    year of dates is 365 terms: seconds on a large index); reading each
    term's postings straight into a set takes milliseconds.
    """
    reader = searcher.reader()
    if isinstance(query, type(wq.NullQuery)):  # Whoosh's NullQuery is an instance
        return set()
    if isinstance(query, wq.Term):
        if (query.fieldname, query.text) not in reader:
            return set()
        return set(searcher.postings(query.fieldname, query.text).all_ids())
    if isinstance(query, (wq.TermRange, wq.Prefix)):
        found: Set[int] = set()
        for raw in range_terms(query, reader):  # Whoosh's own term expansion
            found.update(searcher.postings(query.fieldname, reader.schema[query.fieldname].from_bytes(raw)).all_ids())
        return found
    if isinstance(query, wq.Or):
        return set().union(*(matching_docs(searcher, q) for q in query.subqueries))
    if isinstance(query, wq.And):
        sets = [matching_docs(searcher, q) for q in query.subqueries]
        return set.intersection(*sets) if sets else set()
    return set(searcher.docs_for_query(query))

