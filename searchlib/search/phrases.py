"""Phrases of plain words, matched and scored without Whoosh's span matchers.

A phrase typed in a query becomes Whoosh's ``SpanNear2`` over its words
(each a term, or a ``SpanOr`` of the word's spellings). Whoosh steps every
passage holding all the words through a tree of matchers, decoding spans
and scoring on the way. Here those passages come from set intersections,
only their positions are read, and each is scored with Whoosh's own BM25
scorers, summed in the order Whoosh's matcher trees sum them, so the
scores are Whoosh's (tests/test_ranking.py compares them).
"""

from __future__ import annotations

import bisect
import itertools
import pickle
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from whoosh import formats, query as wq
from whoosh.query.spans import SpanNear2, SpanOr

from .whoosh27 import block_values, has_block_values, next_block, plain_bm25, read_block, unfiltered

__all__ = ["phrase_clauses", "phrase_scores"]

Scores = Dict[int, float]
#: one word of a phrase: {passage: [(spelling, weight, positions)]}
_Rows = Dict[int, List[Tuple[int, float, List[int]]]]


class _Posting:
    """What a Whoosh scorer reads of a matcher: the current id and weight."""

    __slots__ = ("_id", "_weight")

    def __init__(self, docnum: int, weight: float) -> None:
        self._id, self._weight = docnum, weight

    def id(self) -> int:
        return self._id

    def weight(self) -> float:
        return self._weight


def _chained(places: Sequence[Sequence[int]], slop: int, mindist: int) -> bool:
    """Whether each clause of an ordered phrase has a position between
    ``mindist`` and ``slop`` after one of the previous clause's, chained
    from the first clause (Whoosh's SpanNear2 over single words)."""
    reachable = set(places[0])
    for following in places[1:]:
        if slop == mindist:  # the common case: words next to each other
            reachable = {p for p in following if p - slop in reachable}
        else:
            reachable = {p for p in following if any(p - d in reachable for d in range(mindist, slop + 1))}
        if not reachable:
            return False
    return True


def _any_within(ordered: Sequence[int], low: int, high: int) -> bool:
    """Whether a sorted sequence holds a number from ``low`` to ``high``."""
    at = bisect.bisect_left(ordered, low)
    return at < len(ordered) and ordered[at] <= high


def _totals(
    numbers: List[int], tables: List[_Rows], scorers: List[List[Any]], spellings: List[List[Any]], lengths: Any
) -> List[float]:
    """Each passage's phrase score: the sum over its words of each word's
    BM25 (its spellings' summed), added as Whoosh's binary trees of
    matchers add them, computed a spelling at a time over the passages
    (absent spellings as NaN, skipped by the sums as by Whoosh's union
    matchers). A plain BM25 scorer's arithmetic runs over arrays (the
    segment's ``lengths`` given); any other scorer scores each passage."""
    word_scores = []
    for table, word_scorers, words in zip(tables, scorers, spellings):
        weights = np.full((len(words), len(numbers)), np.nan)
        for at, number in enumerate(numbers):
            for index, weight, _ in table[number]:
                weights[index, at] = weight
        spelling_scores = []
        for index, scorer in enumerate(word_scorers):
            tf = weights[index]
            if lengths is not None and plain_bm25(scorer):
                k1, b = scorer.K1, scorer.B
                score = scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / scorer.avgfl)))
            else:
                score = np.array(
                    [np.nan if w != w else scorer.score(_Posting(n, w)) for n, w in zip(numbers, tf.tolist())]
                )
            term_boost = words[index][0].boost
            spelling_scores.append(score * term_boost if term_boost != 1.0 else score)  # as Whoosh wraps it
        word_scores.append(_tree_sum(spelling_scores))
    return [float(value) for value in _tree_sum(word_scores).tolist()]


def _tree_sum(values: Sequence[Any]) -> Any:
    """Arrays added as Whoosh's binary trees of union and intersection
    matchers add their children's scores (``make_binary_tree``: the first
    half, then the second), NaN (absent) skipped."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    first, second = _tree_sum(values[:half]), _tree_sum(values[half:])
    return np.where(np.isnan(first), second, np.where(np.isnan(second), first, first + second))


def phrase_clauses(node: Any) -> Optional[List[List[wq.Term]]]:
    """The words of an ordered phrase of plain words in one field (each a
    Term, or a SpanOr of its spellings), or None for any other node."""
    if not isinstance(node, SpanNear2) or not node.ordered or node.mindist < 1 or node.slop < node.mindist:
        return None
    clauses: List[List[wq.Term]] = []
    for child in node.qs:
        if type(child) is wq.Term:
            clauses.append([child])
        elif isinstance(child, SpanOr) and all(type(t) is wq.Term for t in child.subqs):
            clauses.append(list(child.subqs))
        else:
            return None
    if len(clauses) < 2 or len({t.fieldname for terms in clauses for t in terms}) != 1:
        return None
    if not all(isinstance(t.text, str) for terms in clauses for t in terms):
        return None
    return clauses


def phrase_scores(searcher: Any, layout: Any, node: Any, clauses: List[List[wq.Term]], boost: float) -> Optional[Scores]:
    """The passages holding a phrase, scored as Whoosh's span matcher
    scores them: the sum over its words of each word's BM25 (a word
    spelt several ways: its spellings' BM25 summed), in Whoosh's order
    of additions. The rarest word's passages are read first; of the
    other words' postings only the blocks that may hold one of those
    passages are read, and positions only of passages holding every
    word. ``layout`` is the searcher's :class:`.layout.Layout`. None
    where the postings are not Whoosh 2.7's own."""
    weighting = searcher.weighting
    fieldname = clauses[0][0].fieldname
    field = searcher.schema[fieldname]
    if type(field.format) is formats.Positions:
        # Whoosh's decode_positions, its running sum in C: positions are
        # stored as a count and the pickled list of their differences.
        def decode(value: bytes) -> List[int]:
            return list(itertools.accumulate(pickle.loads(value[4:])))

    else:
        decode = field.format.decode_positions
    slop, mindist = node.slop, node.mindist
    article = layout.article
    segment_of = {offset: segment for _, offset, segment, _ in layout.leaves}
    found: Scores = {}
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        spellings = [
            [(term, field.to_bytes(term.text)) for term in terms if (fieldname, field.to_bytes(term.text)) in reader]
            for terms in clauses
        ]
        if not all(spellings):
            continue
        order = sorted(
            range(len(clauses)), key=lambda c: sum(reader.doc_frequency(fieldname, text) for _, text in spellings[c])
        )
        candidates: Optional[List[int]] = None  # sorted passage numbers holding every word so far
        blocks_of: Dict[int, List[Tuple[int, Sequence[int], Sequence[float], Sequence[bytes]]]] = {}
        for clause in order:
            holding: Set[int] = set()
            blocks = []
            for index, (_, text) in enumerate(spellings[clause]):
                matcher = reader.postings(fieldname, text)
                matcher = unfiltered(matcher)  # past the deletion filter
                if not has_block_values(matcher):
                    return None  # not Whoosh 2.7's postings: its matcher does it
                low = 0
                while matcher.is_active():
                    high = matcher.block_max_id()
                    if candidates is None or _any_within(candidates, low, high):
                        ids, weights = read_block(matcher)
                        blocks.append((index, ids, weights, block_values(matcher)))
                        holding.update(ids)
                    low = high + 1
                    next_block(matcher)
            candidates = sorted(holding if candidates is None else holding.intersection(candidates))
            blocks_of[clause] = blocks
            if not candidates:
                break
        chosen = {number for number in candidates or () if article[offset + number] >= 0}  # not deleted
        if not chosen:
            continue
        # each word: {passage: [(spelling, weight, positions)]}; a title's
        # positions repeat in each of its article's passages, decoded once
        decoded: Dict[bytes, List[int]] = {}
        tables: List[_Rows] = []
        for clause in range(len(clauses)):
            table: _Rows = {}
            for index, ids, weights, values in blocks_of[clause]:
                for i in [i for i, number in enumerate(ids) if number in chosen]:
                    value = values[i]
                    held = decoded.get(value)
                    if held is None:
                        held = decoded[value] = decode(value)
                    table.setdefault(ids[i], []).append((index, weights[i], held))
            tables.append(table)
        scorers = [[weighting.scorer(subsearcher, fieldname, text) for _, text in words] for words in spellings]
        matched = []
        for number in sorted(chosen):
            rows = [table[number] for table in tables]
            places = [row[0][2] if len(row) == 1 else [p for _, _, word in row for p in word] for row in rows]
            if _chained(places, slop, mindist):
                matched.append(number)
        if not matched:
            continue
        lengths = segment_of[offset].lengths.get(fieldname) if offset in segment_of else None
        passage_lengths = lengths[np.array(matched)] if lengths is not None else None
        totals = _totals(matched, tables, scorers, spellings, passage_lengths)
        for number, total in zip(matched, totals):
            found[offset + number] = boost * float(total)
    return found
