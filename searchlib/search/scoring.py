"""A whole query's scores at once, term by term, over the passages' postings.

Whoosh scores a query document by document through a tree of matchers, in
Python: a news headline typed as a query (eight words, each over two fields
with its accent and spelling variants) walks hundreds of thousands of
matcher calls. Reading each term's postings a block at a time into arrays
and computing its BM25, the sums over fields and words, and each article's
BM25 over its passages as whole-array operations (numpy) does the same work
in a small fraction of the time, and gives every matching passage its exact
score (so ``total`` is free).

This module holds the BM25 weighting (IDF, :class:`Weighting` for what
Whoosh still scores) and :class:`Evaluation`, which turns a Whoosh query
tree into a :class:`Table` of passages and scores, handing the node types
it does not know (spans of phrases, ranges) to Whoosh's own matchers. The
index's shape it scores over (articles, lengths) is :mod:`.layout`'s; how
close the words stand, :mod:`.proximity`'s; Whoosh's insides, :mod:`.whoosh27`'s.

Over 400 lines: :class:`Evaluation`'s handlers of the node types
share one query's state (its leaves, units, articles' terms, the places
kept for highlights), and the readers of a word's postings (from the index,
or from the blocks a phrase read whole) sit beside them.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

import numpy as np
import numpy.typing as npt

from whoosh import query as wq
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

from ..storage.schema import FIELDS
from .layout import LENGTH_FIELDS, Layout, SegmentCache
from .phrases import phrase_clauses, phrase_scores
from .places import Places
from .proximity import proximity
from .whoosh27 import blocks, blocks_with_values

__all__ = ["SegmentCache", "Layout", "Evaluation", "Table", "Weighting", "probabilistic_idf", "bm25_idf"]

Scores = Dict[int, float]


def probabilistic_idf(documents: int, frequency: int) -> float:
    """Robertson's IDF (Lucene's): a word in every document weighs next to nothing."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def whoosh_idf(documents: int, frequency: int) -> float:
    """Whoosh's own IDF, which keeps at least 1 for the commonest word."""
    return math.log(documents / (frequency + 1)) + 1


def bm25_idf(probabilistic: bool) -> Any:
    return probabilistic_idf if probabilistic else whoosh_idf


class _Scorer(BM25FScorer):
    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: float = 1) -> None:
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        parent = searcher.get_parent()
        self.idf = probabilistic_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


class Weighting(BM25F):
    """Whoosh's BM25F with a given k1 and b and, optionally, Robertson's
    IDF: what Whoosh's own matchers use where :class:`Evaluation` hands a
    node over to them."""

    def __init__(self, k1: float, b: float, probabilistic: bool) -> None:
        super().__init__(B=b, K1=k1)
        self.probabilistic = probabilistic

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: float = 1) -> Any:
        if not self.probabilistic:
            return super().scorer(searcher, fieldname, text, qf=qf)
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _Scorer(searcher, fieldname, text, self.B, self.K1, qf=qf)


# -- tables of scores ----------------------------------------------------------


class Table(NamedTuple):
    """Scores of the passages a query or part of it matches: document
    numbers in increasing order, and their scores."""

    ids: "npt.NDArray[np.int64]"
    scores: "npt.NDArray[np.float64]"

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, docnum: int) -> Optional[float]:
        """The score of one passage, None where it does not match."""
        at = int(np.searchsorted(self.ids, docnum))
        return float(self.scores[at]) if at < len(self.ids) and self.ids[at] == docnum else None

    @classmethod
    def of(cls, scores: Dict[int, float]) -> "Table":
        ids = np.array(sorted(scores), dtype=np.int64)
        return cls(ids, np.array([scores[docnum] for docnum in ids.tolist()], dtype=np.float64))


EMPTY = Table(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def best(ids: "npt.NDArray[np.int64]", scores: "npt.NDArray[np.float64]", count: int) -> "npt.NDArray[np.int64]":
    """Where the ``count`` best scores stand in ``scores``, best first,
    ties in passage order (a partition, not a sort of every match)."""
    if len(ids) > count:
        floor = np.partition(scores, len(scores) - count)[len(scores) - count]
        chosen = np.flatnonzero(scores >= floor)
    else:
        chosen = np.arange(len(ids))
    return chosen[np.lexsort((ids[chosen], -scores[chosen]))][:count]


def _union(tables: Sequence[Table]) -> Tuple[Table, "npt.NDArray[np.int64]"]:
    """The passages of any of ``tables`` with their scores summed, in the
    order the tables come (so sums are those of adding them one by one),
    and how many of the tables hold each."""
    ids, where = np.unique(np.concatenate([t.ids for t in tables]), return_inverse=True)
    where = where.reshape(-1)
    scores = np.bincount(where, weights=np.concatenate([t.scores for t in tables]), minlength=len(ids))
    return Table(ids, scores.astype(np.float64, copy=False)), np.bincount(where, minlength=len(ids))


def _sums_by_run(owners: "npt.NDArray[np.int64]", values: "npt.NDArray[np.float64]") -> Tuple[Any, Any]:
    """``values`` added up over runs of equal ``owners`` (sorted): the
    owners once each, and their sums, added in order."""
    if not len(owners):
        return owners, values
    starts = np.flatnonzero(np.diff(owners, prepend=owners[0] - 1))
    return owners[starts], np.add.reduceat(values, starts)


def _spellings(node: wq.Or) -> Optional[Tuple[str, List[Tuple[str, float]]]]:
    """The field and the (term, weight) of an Or of plain terms of one
    field: one query word spelt several ways."""
    children = node.subqueries
    if node.scale is not None or not children or not all(type(child) is wq.Term for child in children):
        return None
    fields = {child.fieldname for child in children}
    if len(fields) != 1 or not fields <= set(LENGTH_FIELDS) or not all(isinstance(c.text, str) for c in children):
        return None
    return fields.pop(), sorted((child.text, float(child.boost)) for child in children)


def _postings(
    reader: Any, fieldname: str, spellings: Sequence[Tuple[str, float]], keep: Optional[Callable[..., None]] = None
) -> Tuple[Any, Any]:
    """(passage numbers in the segment, frequencies) of one word in one
    field of a segment, deleted passages included; a word spelt several
    ways: its spellings' frequencies, each times its weight, added up.
    ``keep(text, ids, values)`` is handed each block read, with its values."""
    parts: List[Tuple[Any, Any]] = []
    for text, share in spellings:
        if (fieldname, text) not in reader:
            continue
        ids: List[int] = []
        weights: List[float] = []
        if keep is None:
            for block_ids, block_weights in blocks(reader.postings(fieldname, text)):
                ids.extend(block_ids)
                weights.extend(block_weights)
        else:
            for block_ids, block_weights, values in blocks_with_values(reader.postings(fieldname, text)):
                keep(text, block_ids, values)
                ids.extend(block_ids)
                weights.extend(block_weights)
        parts.append(_part(ids, weights, share))
    return _summed(parts)


def _kept_postings(places: Places, offset: int, spellings: Sequence[Tuple[str, float]]) -> Tuple[Any, Any]:
    """:func:`_postings` of a word of the text field from the blocks
    ``places`` read whole (a phrase's words), not read again."""
    parts: List[Tuple[Any, Any]] = []
    for text, share in spellings:
        kept = places.segment_blocks(text, offset) or []
        if not kept:
            continue
        ids: List[int] = []
        weights: List[float] = []
        for block_ids, block_weights, _ in kept:
            ids.extend(block_ids)
            weights.extend(block_weights)
        parts.append(_part(ids, weights, share))
    return _summed(parts)


def _part(ids: List[int], weights: List[float], share: float) -> Tuple[Any, Any]:
    frequencies = np.array(weights, dtype=np.float64)
    return np.array(ids, dtype=np.int64), frequencies if share == 1.0 else frequencies * share


def _summed(parts: List[Tuple[Any, Any]]) -> Tuple[Any, Any]:
    """One word's spellings' postings, added up."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return EMPTY
    summed, _ = _union([Table(ids, weights) for ids, weights in parts])
    return summed.ids, summed.scores


# -- a query's scores ---------------------------------------------------------


class Evaluation:
    """Scores of every passage a query matches, with what made them.

    ``leaves`` keeps each scored term's table (for explanations);
    ``article_terms`` each text term's weight and per-article frequencies,
    from which :meth:`article_scores` computes the articles' BM25.
    """

    def __init__(
        self,
        searcher: Any,
        layout: Layout,
        k1: float,
        b: float,
        probabilistic: bool,
        coordination: float,
        one_word_spellings: bool = True,
        places: Optional[Places] = None,
    ) -> None:
        self.searcher = searcher
        self.layout = layout
        self.k1, self.b = k1, b
        self.idf = bm25_idf(probabilistic)
        self.coordination = coordination
        self.one_word_spellings = one_word_spellings
        #: where the blocks of text postings read are kept, for highlights (None: not kept)
        self.places = places
        self.leaves: List[Tuple[str, str, Table]] = []
        # each text term: its weight, and (articles, frequencies) of the articles holding it
        self.article_terms: Dict[str, Tuple[float, Tuple[Any, Any]]] = {}
        # each coordinated node's passages and the coordination factor applied to each
        self.coordinated: List[Table] = []
        # each positive word of the text field: its spellings and weight (IDF × boost)
        self.units: List[Tuple[Tuple[str, ...], float]] = []
        self.restriction: Optional[Set[int]] = None
        self._documents_all = searcher.reader().doc_count_all()

    def scores(self, query: wq.Query, restriction: Optional[Set[int]] = None) -> Table:
        self.restriction = restriction
        found = self._node(query, 1.0, True)
        if restriction is not None and len(found):
            keep = np.isin(found.ids, np.fromiter(restriction, dtype=np.int64, count=len(restriction)))
            found = Table(found.ids[keep], found.scores[keep])
        return found

    def coordination_factor(self, docnum: int) -> Optional[float]:
        """The coordination factor applied to a passage's score, if any
        (the outermost coordinated node's: it is scored last)."""
        for factors in reversed(self.coordinated):
            factor = factors.get(docnum)
            if factor is not None:
                return factor
        return None

    # nodes

    def _node(self, node: wq.Query, boost: float, positive: bool) -> Table:
        if isinstance(node, wq.Term) and node.fieldname in LENGTH_FIELDS and isinstance(node.text, str):
            return self._term(node.fieldname, ((node.text, 1.0),), boost * getattr(node, "boost", 1.0), positive)
        if isinstance(node, wq.Or):
            spellings = _spellings(node) if self.one_word_spellings else None
            if spellings is not None:
                return self._term(spellings[0], spellings[1], boost * getattr(node, "boost", 1.0), positive)
            return self._either(node, boost * getattr(node, "boost", 1.0), positive)
        if isinstance(node, wq.And):
            return self._all(node, boost * getattr(node, "boost", 1.0), positive)
        if isinstance(node, wq.AndMaybe):
            required = self._node(node.a, boost * getattr(node, "boost", 1.0), positive)
            optional = self._node(node.b, boost * getattr(node, "boost", 1.0), positive)
            _, in_required, in_optional = np.intersect1d(
                required.ids, optional.ids, assume_unique=True, return_indices=True
            )
            scores = required.scores.copy()
            scores[in_required] += optional.scores[in_optional]
            return Table(required.ids, scores)
        if isinstance(node, wq.Every):
            docs = self.restriction if self.restriction is not None else self.searcher.reader().all_doc_ids()
            ids = np.array(sorted(docs), dtype=np.int64)
            return Table(ids, np.full(len(ids), boost * getattr(node, "boost", 1.0)))
        if isinstance(node, wq.NullQuery.__class__):
            return EMPTY
        return self._whoosh(node, boost, positive)

    def _either(self, node: wq.Or, boost: float, positive: bool) -> Table:
        tables = sorted((self._node(child, boost, positive) for child in node.subqueries), key=len, reverse=True)
        if not tables:
            return EMPTY
        merged, counts = _union(tables)
        if node.scale is not None and self.coordination and len(tables) > 1:
            # Coordination: a passage holding more of the query's words ranks higher.
            units = len(tables)
            by_count = np.array([(count / units) ** self.coordination for count in range(units + 1)])
            factors = Table(merged.ids, by_count[counts])
            merged = Table(merged.ids, merged.scores * factors.scores)
            if positive:
                self.coordinated.append(factors)
        return merged

    def _all(self, node: wq.And, boost: float, positive: bool) -> Table:
        excluded: List[Table] = []
        tables: List[Table] = []
        for child in node.subqueries:
            if isinstance(child, wq.Not):
                excluded.append(self._node(child.query, 1.0, False))
            else:
                tables.append(self._node(child, boost, positive))
        if not tables:
            return EMPTY
        tables.sort(key=len)
        ids, scores = tables[0]
        for table in tables[1:]:
            ids, mine, theirs = np.intersect1d(ids, table.ids, assume_unique=True, return_indices=True)
            scores = scores[mine] + table.scores[theirs]
        for table in excluded:
            keep = ~np.isin(ids, table.ids, assume_unique=True)
            ids, scores = ids[keep], scores[keep]
        return Table(ids, scores)

    def _term(self, fieldname: str, spellings: Sequence[Tuple[str, float]], boost: float, positive: bool) -> Table:
        """BM25 of one query word in one field. A word the query spells
        several ways (accents, transliterations) is one word: its spellings'
        frequencies, each times its weight, add up in a passage, and it takes
        the IDF of its commonest full-weight spelling, as Lucene's synonym
        query does, so that a rare spelling does not outweigh the word typed."""
        frequencies = [(self.searcher.doc_frequency(fieldname, text), weight) for text, weight in spellings]
        frequency = max((f for f, weight in frequencies if weight >= 1.0), default=0) or max(f for f, _ in frequencies)
        if not frequency:
            return EMPTY
        texts = [text for text, _ in spellings]
        k1, b = self.k1, self.b
        average = self.searcher.avg_field_length(fieldname) or 1.0
        scale = boost * self.idf(self._documents_all, frequency) * (k1 + 1)
        constant, slope = k1 * (1 - b), k1 * b / average
        counting = positive and fieldname == FIELDS.text
        found_ids, found_scores, owners, weights = [], [], [], []
        for segment, numbers, docnums, owner, frequency_in in self._live_postings(fieldname, spellings):
            lengths = segment.lengths[fieldname][numbers]
            found_ids.append(docnums)
            found_scores.append(scale * frequency_in / (frequency_in + constant + slope * lengths))
            owners.append(owner)
            weights.append(frequency_in)
        found = Table(np.concatenate(found_ids), np.concatenate(found_scores)) if found_ids else EMPTY
        if positive:
            self.leaves.append((fieldname, "|".join(texts), found))
        if counting and len(found):
            self.units.append((tuple(texts), scale / (k1 + 1)))
            key = "|".join(texts)
            weight, _ = self.article_terms.get(key, (0.0, None))
            self.article_terms[key] = (weight + boost, _sums_by_run(np.concatenate(owners), np.concatenate(weights)))
        return found

    def _whoosh(self, node: wq.Query, boost: float, positive: bool) -> Table:
        """Nodes this module does not score itself (phrases, ranges): Whoosh's
        matcher, read to the end (phrases of plain words are matched here,
        to the same scores, faster). Their text terms still count for the
        article (a phrase's words are words of the article)."""
        clauses = phrase_clauses(node)
        phrase = (
            phrase_scores(self.searcher, self.layout, node, clauses, boost, self.places, positive)
            if clauses is not None
            else None
        )
        if phrase is not None:
            found = phrase
        else:
            context = self.searcher.context()
            found = {}
            for subsearcher, offset in self.searcher.leaf_searchers():
                matcher = node.matcher(subsearcher, context)
                while matcher.is_active():
                    found[offset + matcher.id()] = boost * float(matcher.score())
                    matcher.next()
        table = Table.of(found)
        if positive:
            terms = [(fieldname, text) for fieldname, text in node.iter_all_terms() if isinstance(text, str)]
            if terms:
                words = " ".join(dict.fromkeys(text for _, text in terms))
                self.leaves.append((terms[0][0], f'"{words}"' if len(terms) > 1 else words, table))
            for fieldname, text in node.iter_all_terms():
                if fieldname == FIELDS.text and isinstance(text, str) and text not in self.article_terms:
                    self._count_article_terms(text, boost * getattr(node, "boost", 1.0))
        return table

    def _count_article_terms(self, text: str, boost: float) -> None:
        owners, weights = [], []
        for _, _, _, owner, frequencies in self._live_postings(FIELDS.text, ((text, 1.0),)):
            owners.append(owner)
            weights.append(frequencies)
        if owners:
            self.article_terms[text] = (boost, _sums_by_run(np.concatenate(owners), np.concatenate(weights)))

    def _live_postings(self, fieldname: str, spellings: Sequence[Tuple[str, float]]) -> Iterator[Tuple[Any, ...]]:
        """A word's postings in each segment that holds it, deleted passages
        left out: (segment, passage numbers in it, document numbers, their
        articles, frequencies). Text postings are handed to :attr:`places`."""
        places = self.places if fieldname == FIELDS.text else None
        whole = places if places is not None and all(places.is_whole(text) for text, _ in spellings) else None
        if places is not None and all(places.has(text) for text, _ in spellings):
            places = None  # kept already: the same word asked twice
        for reader, offset, segment, _ in self.layout.leaves:
            if whole is not None:  # a phrase's word: read whole already
                numbers, frequencies = _kept_postings(whole, offset, spellings)
            else:
                keep = None if places is None else functools.partial(places.keep, offset)
                numbers, frequencies = _postings(reader, fieldname, spellings, keep)
            if not len(numbers):
                continue
            docnums = numbers + offset
            owners = self.layout.article[docnums]
            if segment.has_deletions:
                live = owners >= 0
                numbers, docnums, owners, frequencies = numbers[live], docnums[live], owners[live], frequencies[live]
                if not len(numbers):
                    continue
            yield segment, numbers, docnums, owners, frequencies
        if places is not None:
            for text, _ in spellings:
                places.finished(text)

    # articles

    def article_scores(self) -> "npt.NDArray[np.float64]":
        """Each article's BM25 over its whole text for the query's positive
        text terms (term frequencies summed over its passages), indexed by
        article."""
        layout = self.layout
        scores = np.zeros(layout.articles, dtype=np.float64)
        if not layout.articles:
            return scores
        k1, b = self.k1, self.b
        lengths, average = layout.article_lengths, layout.average_length
        for weight, (owners, frequencies) in self.article_terms.values():
            scale = weight * probabilistic_idf(layout.articles, len(owners)) * (k1 + 1)
            norm = k1 * (1 - b + b * lengths[owners] / average)
            scores[owners] += scale * frequencies / (frequencies + norm)
        return scores

    # proximity

    def proximity(self, passages: Sequence[int]) -> Scores:
        """For each of ``passages``, how close together its query words
        stand (see :func:`.proximity.proximity`)."""
        if len(self.units) < 2 or not passages:
            return {}
        average = self.searcher.avg_field_length(FIELDS.text) or 1.0
        return proximity(self.layout, self.units, average, self.k1, self.b, passages)

    def text_length(self, docnum: int) -> float:
        """A passage's length of text, as BM25 counts it."""
        return self.layout.text_length(docnum)
