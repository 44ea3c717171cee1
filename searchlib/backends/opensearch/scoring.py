"""searchlib's ranking, computed in Python over the passages a cluster
returns as candidates.

The cluster finds every matching passage (so totals and facets are exact)
and ranks them by its own BM25 to pick candidates; this module then scores
each candidate exactly as :mod:`searchlib.search.scoring` scores passages
locally: BM25 with the ranking's k1, b and IDF over the same terms,
coordination, a word's spellings as one word, phrases, and the article's
BM25 over its whole text. The statistics (passage and article counts,
document frequencies, average lengths) are the cluster's, read with the
candidates; the term frequencies come from the candidates' own terms.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from whoosh import query as wq
from whoosh.query.spans import SpanNear2, SpanOr
from whoosh.util.numeric import byte_to_length, length_to_byte

from ...search.scoring import bm25_idf, probabilistic_idf
from ...storage.schema import FIELDS

__all__ = ["Candidate", "Statistics", "Evaluation", "all_terms", "phrase_slots", "wanted_statistics", "quantized"]

_SCORED = (FIELDS.text, FIELDS.title)
Scores = Dict[int, float]


@dataclass
class Candidate:
    """A passage the cluster returned: its terms with their positions in
    each searched field, its stop words' counts, its fields' lengths."""

    number: int
    doc_id: str
    fields: Dict[str, Any]
    terms: Dict[str, Dict[str, List[int]]]  # field -> term -> positions
    stops: Dict[str, int]
    lengths: Dict[str, int]


@dataclass
class Statistics:
    """What BM25 needs of the whole index, as the cluster counts it."""

    passages: int = 0
    total_lengths: Dict[str, float] = field(default_factory=dict)
    frequencies: Dict[Tuple[str, str], int] = field(default_factory=dict)  # (field, term) -> passages
    articles: int = 0
    article_length_total: float = 0.0
    article_frequencies: Dict[FrozenSet[str], int] = field(default_factory=dict)  # spellings -> articles
    article_counts: Dict[str, Dict[str, int]] = field(default_factory=dict)  # doc_id -> term -> count
    article_lengths: Dict[str, int] = field(default_factory=dict)

    def average(self, fieldname: str) -> float:
        return (self.total_lengths.get(fieldname, 0.0) / self.passages) if self.passages else 0.0


def _spellings(node: wq.Or) -> Optional[Tuple[str, List[Tuple[str, float]]]]:
    """As :func:`searchlib.search.scoring._spellings`: an Or of plain terms
    of one scored field is one word spelt several ways."""
    children = node.subqueries
    if node.scale is not None or not children or not all(type(child) is wq.Term for child in children):
        return None
    fields = {child.fieldname for child in children}
    if len(fields) != 1 or not fields <= set(_SCORED) or not all(isinstance(c.text, str) for c in children):
        return None
    return fields.pop(), sorted((child.text, float(child.boost)) for child in children)


def phrase_slots(node: Any) -> Optional[Tuple[str, List[Tuple[List[wq.Term], int]]]]:
    """A phrase (nested ordered spans of terms, each gap exact) as its field
    and its slots, each its spellings and its offset from the first."""
    if not isinstance(node, SpanNear2):
        return None
    if len(node.qs) != 2 or not node.ordered or node.slop != node.mindist:
        if all(type(q) is wq.Term or isinstance(q, SpanOr) for q in node.qs) and node.ordered and node.slop == node.mindist:
            slots = []
            for index, child in enumerate(node.qs):
                slots.append((_slot(child), index * node.mindist))
            fieldname = slots[0][0][0].fieldname
            return fieldname, slots
        return None
    left, right = node.qs
    if isinstance(left, SpanNear2):
        inner = phrase_slots(left)
        if inner is None:
            return None
        fieldname, slots = inner
    else:
        fieldname, slots = _slot(left)[0].fieldname, [(_slot(left), 0)]
    slots = slots + [(_slot(right), slots[-1][1] + node.mindist)]
    return fieldname, slots


def _slot(node: Any) -> List[wq.Term]:
    if type(node) is wq.Term:
        return [node]
    if isinstance(node, SpanOr) and all(type(t) is wq.Term for t in node.subqs):
        return list(node.subqs)
    raise ValueError(f"not a phrase slot: {node!r}")


def all_terms(node: Any) -> Iterator[Tuple[str, str]]:
    """Every (field, term) of a query, those of a phrase's slots spelt
    several ways among them (Whoosh's ``iter_all_terms`` leaves those out)."""
    if type(node) is wq.Term or isinstance(node, (wq.Prefix, wq.TermRange)):
        if isinstance(node.text if hasattr(node, "text") else None, str):
            yield node.fieldname, node.text
        return
    if isinstance(node, SpanNear2):
        for child in node.qs:
            yield from all_terms(child)
        return
    if isinstance(node, SpanOr):
        for child in node.subqs:
            yield from all_terms(child)
        return
    for child in node.children() if hasattr(node, "children") else ():
        yield from all_terms(child)


def wanted_statistics(query: wq.Query) -> Tuple[Set[Tuple[str, str]], Set[FrozenSet[str]]]:
    """The (field, term) pairs whose passage counts scoring ``query`` needs,
    and the groups of text terms whose article counts it needs."""
    terms: Set[Tuple[str, str]] = set()
    groups: Set[FrozenSet[str]] = set()
    for fieldname, text in all_terms(query):
        if isinstance(text, str):
            terms.add((fieldname, text))
            if fieldname == FIELDS.text:
                groups.add(frozenset([text]))
    for node in _walk(query):
        if isinstance(node, wq.Or):
            spellings = _spellings(node)
            if spellings is not None and spellings[0] == FIELDS.text:
                groups.add(frozenset(text for text, _ in spellings[1]))
    return terms, groups


def _walk(node: Any) -> Iterable[Any]:
    yield node
    for child in node.children() if hasattr(node, "children") else ():
        yield from _walk(child)


def quantized(length: int) -> int:
    """A passage's length as the local index keeps it, in a byte (BM25
    reads it there, locally): exact up to 40 words, within a few percent above."""
    return int(byte_to_length(length_to_byte(length)))


_quantized = quantized


class Evaluation:
    """Each candidate's score for a query, as :class:`searchlib.search.scoring.Evaluation`
    scores it over every passage, with what made it."""

    def __init__(self, candidates: Sequence[Candidate], statistics: Statistics, k1: float, b: float,
                 probabilistic: bool, coordination: float, one_word_spellings: bool) -> None:
        self.candidates = candidates
        self.stats = statistics
        self.k1, self.b = k1, b
        self.idf: Callable[[int, int], float] = bm25_idf(probabilistic)
        self.coordination = coordination
        self.one_word_spellings = one_word_spellings
        self.leaves: List[Tuple[str, str, Scores]] = []
        self.article_terms: Dict[str, Tuple[float, FrozenSet[str], Dict[str, float]]] = {}
        self.coordinated: List[Scores] = []
        self.units: List[Tuple[Tuple[str, ...], float]] = []

    def scores(self, query: wq.Query) -> Scores:
        return self._node(query, 1.0, True)

    def coordination_factor(self, number: int) -> Optional[float]:
        for factors in reversed(self.coordinated):
            factor = factors.get(number)
            if factor is not None:
                return factor
        return None

    # nodes

    def _node(self, node: wq.Query, boost: float, positive: bool) -> Scores:
        own = boost * getattr(node, "boost", 1.0)
        if isinstance(node, wq.Term) and node.fieldname in _SCORED and isinstance(node.text, str):
            return self._term(node.fieldname, ((node.text, 1.0),), own, positive)
        if isinstance(node, wq.Or):
            spellings = _spellings(node) if self.one_word_spellings else None
            if spellings is not None:
                return self._term(spellings[0], spellings[1], own, positive)
            return self._either(node, own, positive)
        if isinstance(node, wq.And):
            return self._all(node, own, positive)
        if isinstance(node, wq.AndMaybe):
            required = self._node(node.a, own, positive)
            optional = self._node(node.b, own, positive)
            return {number: score + optional.get(number, 0.0) for number, score in required.items()}
        if isinstance(node, wq.Every):
            return {candidate.number: own for candidate in self.candidates}
        if isinstance(node, wq.NullQuery.__class__):
            return {}
        return self._other(node, boost, positive)

    def _either(self, node: wq.Or, boost: float, positive: bool) -> Scores:
        tables = [self._node(child, boost, positive) for child in node.subqueries]
        if not tables:
            return {}
        merged: Scores = {}
        counts: Dict[int, int] = {}
        for table in tables:
            for number, score in table.items():
                merged[number] = merged.get(number, 0.0) + score
                counts[number] = counts.get(number, 0) + 1
        if node.scale is not None and self.coordination and len(tables) > 1:
            units = len(tables)
            factors = {number: (count / units) ** self.coordination for number, count in counts.items()}
            merged = {number: score * factors[number] for number, score in merged.items()}
            if positive:
                self.coordinated.append(factors)
        return merged

    def _all(self, node: wq.And, boost: float, positive: bool) -> Scores:
        excluded: List[Scores] = []
        tables: List[Scores] = []
        for child in node.subqueries:
            if isinstance(child, wq.Not):
                excluded.append(self._node(child.query, 1.0, False))
            else:
                tables.append(self._node(child, boost, positive))
        if not tables:
            return {}
        found = dict(tables[0])
        for table in tables[1:]:
            found = {number: score + table[number] for number, score in found.items() if number in table}
        for table in excluded:
            found = {number: score for number, score in found.items() if number not in table}
        return found

    def _bm25(self, idf: float, frequency: float, length: float, average: float) -> float:
        k1, b = self.k1, self.b
        return idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b) + k1 * b * length / (average or 1.0))

    def _term(self, fieldname: str, spellings: Sequence[Tuple[str, float]], boost: float, positive: bool) -> Scores:
        """BM25 of one word (its spellings as one) in one field, as locally."""
        stats = self.stats
        frequencies = [(stats.frequencies.get((fieldname, text), 0), weight) for text, weight in spellings]
        frequency = max((f for f, weight in frequencies if weight >= 1.0), default=0) or max(f for f, _ in frequencies)
        if not frequency:
            return {}
        idf = boost * self.idf(stats.passages, frequency)
        average = stats.average(fieldname) or 1.0
        found: Scores = {}
        for candidate in self.candidates:
            held = candidate.terms[fieldname]
            weighted = sum(weight * len(held.get(text, ())) for text, weight in spellings)
            if weighted:
                found[candidate.number] = self._bm25(idf, weighted, _quantized(candidate.lengths[fieldname]), average)
        texts = [text for text, _ in spellings]
        if positive:
            self.leaves.append((fieldname, "|".join(texts), found))
        if positive and fieldname == FIELDS.text:
            self.units.append((tuple(texts), idf))
            key = "|".join(texts)
            weight, _, _ = self.article_terms.get(key, (0.0, frozenset(), {}))
            self.article_terms[key] = (weight + boost, frozenset(texts), dict(spellings))
        return found

    def _other(self, node: wq.Query, boost: float, positive: bool) -> Scores:
        """Phrases, stop words and filters, scored as Whoosh's matchers score
        them locally: a phrase or a stop word by each of its words' BM25
        (lengths as Whoosh keeps them, in a byte), a filter by its boost."""
        own = boost * getattr(node, "boost", 1.0)
        phrase = phrase_slots(node)
        found: Scores = {}
        if phrase is not None:
            fieldname, slots = phrase
            for candidate in self.candidates:
                held = candidate.terms[fieldname]
                if _holds_phrase(held, slots):
                    total = 0.0
                    for terms, _ in slots:
                        for term in terms:
                            count = len(held.get(term.text, ()))
                            if count:
                                total += self._whoosh_bm25(fieldname, term.text, count, candidate.lengths[fieldname])
                    found[candidate.number] = boost * total
        elif isinstance(node, wq.Term) and node.fieldname == FIELDS.stops:
            for candidate in self.candidates:
                count = candidate.stops.get(node.text, 0)
                if count:
                    found[candidate.number] = own * self._whoosh_bm25(FIELDS.stops, node.text, count, candidate.lengths[FIELDS.stops])
        else:
            for candidate in self.candidates:
                if _filter_matches(node, candidate.fields):
                    found[candidate.number] = own
        if positive:
            terms = [(fieldname, text) for fieldname, text in node.iter_all_terms() if isinstance(text, str)]
            if terms:
                words = " ".join(dict.fromkeys(text for _, text in terms))
                self.leaves.append((terms[0][0], f'"{words}"' if len(terms) > 1 else words, found))
            for fieldname, text in node.iter_all_terms():
                if fieldname == FIELDS.text and isinstance(text, str) and text not in self.article_terms:
                    self.article_terms[text] = (own, frozenset([text]), {text: 1.0})
        return found

    def _whoosh_bm25(self, fieldname: str, text: str, count: int, length: int) -> float:
        stats = self.stats
        idf = self.idf(stats.passages, stats.frequencies.get((fieldname, text), 0))
        return self._bm25(idf, count, _quantized(length), stats.average(fieldname) or 1.0)

    # articles

    def article_scores(self) -> Dict[str, float]:
        """Each candidate article's BM25 over its whole text for the
        query's positive text terms."""
        stats = self.stats
        k1, b = self.k1, self.b
        average = stats.article_length_total / stats.articles if stats.articles else 1.0
        scores: Dict[str, float] = {}
        for weight, spellings, weights in self.article_terms.values():
            holding = stats.article_frequencies.get(spellings, 0)
            if not holding:
                continue
            scale = weight * probabilistic_idf(stats.articles, holding) * (k1 + 1)
            for doc_id, counts in stats.article_counts.items():
                frequency = sum(weights.get(term, 1.0) * counts.get(term, 0) for term in spellings)
                if frequency:
                    norm = k1 * (1 - b + b * stats.article_lengths.get(doc_id, 0) / average)
                    scores[doc_id] = scores.get(doc_id, 0.0) + scale * frequency / (frequency + norm)
        return scores


def _holds_phrase(held: Dict[str, List[int]], slots: Sequence[Tuple[List[wq.Term], int]]) -> bool:
    places = [set(itertools.chain.from_iterable(held.get(term.text, ()) for term in terms)) for terms, _ in slots]
    if not all(places):
        return False
    return any(all(start + offset in found for found, (_, offset) in zip(places[1:], slots[1:])) for start in places[0])


def _filter_matches(node: wq.Query, fields: Dict[str, Any]) -> bool:
    """Whether a passage's stored fields pass a filter node (``doc:``,
    ``source:``, ``date:``) that sits inside a query."""
    if isinstance(node, wq.Term):
        return bool(str(fields.get(node.fieldname, "")) == node.text)
    if isinstance(node, wq.Prefix):
        return bool(str(fields.get(node.fieldname, "")).startswith(node.text))
    if isinstance(node, wq.TermRange):
        value = str(fields.get(node.fieldname, ""))
        if not value:
            return False  # an undated passage has no date term
        low_ok = node.start is None or (value > node.start if node.startexcl else value >= node.start)
        high_ok = node.end is None or (value < node.end if node.endexcl else value <= node.end)
        return bool(low_ok and high_ok)
    if isinstance(node, wq.Or):
        return any(_filter_matches(child, fields) for child in node.subqueries)
    if isinstance(node, wq.And):
        return all(_filter_matches(child, fields) for child in node.subqueries)
    if isinstance(node, wq.Not):
        return not _filter_matches(node.query, fields)
    raise ValueError(f"a query node searchlib cannot send to a cluster: {type(node).__name__}")
