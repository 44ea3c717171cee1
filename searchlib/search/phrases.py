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
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
import numpy.typing as npt
from whoosh import formats, query as wq
from whoosh.query.spans import SpanNear2, SpanOr

from ..storage import offsets
from ..storage.schema import FIELDS
from .places import Places
from .whoosh27 import block_values, has_block_values, next_block, plain_bm25, read_block, unfiltered

__all__ = ["phrase_clauses", "phrase_scores"]

Scores = Dict[int, float]
#: one word of a phrase in the passages holding them all: each posting's
#: passage, spelling (its index among the word's), weight and value
_Postings = Tuple["npt.NDArray[np.int64]", "npt.NDArray[np.int64]", "npt.NDArray[np.float64]", List[bytes]]
#: (passage, position) as one number: positions stay far below it
_SPAN = 1 << 32


class _Posting:
    """What a Whoosh scorer reads of a matcher: the current id and weight."""

    __slots__ = ("_id", "_weight")

    def __init__(self, docnum: int, weight: float) -> None:
        self._id, self._weight = docnum, weight

    def id(self) -> int:
        return self._id

    def weight(self) -> float:
        return self._weight


def _chosen_postings(
    blocks: List[Tuple[int, Sequence[int], Sequence[float], Sequence[bytes]]], chosen: "npt.NDArray[np.int64]"
) -> _Postings:
    """The postings of one word's blocks (``(spelling, ids, weights, values)``)
    in the passages ``chosen`` (sorted): every block's ids tested at once,
    only the postings picked read further."""
    sizes = np.array([len(block[1]) for block in blocks], dtype=np.int64)
    ids = np.fromiter(itertools.chain.from_iterable(block[1] for block in blocks), dtype=np.int64, count=int(sizes.sum()))
    picked = np.flatnonzero(np.isin(ids, chosen))
    starts = np.cumsum(sizes) - sizes
    in_block = np.searchsorted(starts, picked, side="right") - 1
    places = list(zip(in_block.tolist(), (picked - starts[in_block]).tolist()))
    indexes = np.array([blocks[block][0] for block, _ in places], dtype=np.int64)
    weights = np.array([blocks[block][2][at] for block, at in places], dtype=np.float64)
    return ids[picked], indexes, weights, [blocks[block][3][at] for block, at in places]


def _occurrences(
    numbers: "npt.NDArray[np.int64]",
    values: List[bytes],
    decode: Optional[Callable[[bytes], List[int]]],
    decoded: Dict[bytes, List[int]],
) -> Tuple["npt.NDArray[np.int64]", "npt.NDArray[np.int64]"]:
    """(passage, position) of every occurrence the postings hold, as two
    arrays; ``decode`` None: the values are :mod:`~searchlib.storage.offsets`'."""
    if decode is None:
        counts, positions = offsets.positions_of_each(values)
    else:
        found = []
        for value in values:
            held = decoded.get(value)
            if held is None:
                held = decoded[value] = decode(value)
            found.append(held)
        counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        positions = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
    return np.repeat(numbers, counts), positions


def _unique(values: "npt.NDArray[np.int64]") -> "npt.NDArray[np.int64]":
    """The distinct values, sorted, as ``np.unique`` gives them. numpy 2.3
    and later find them with a hash table, no faster than sorting on the
    mostly distinct numbers here (ten times slower on 100,000 of them), and
    its first call imports numpy's masked arrays: some 10 ms of a fresh
    process's first phrase."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    if len(values):
        keep[0] = True
        np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _matches(
    words: Sequence[Tuple["npt.NDArray[np.int64]", "npt.NDArray[np.int64]"]], slop: int, mindist: int
) -> "npt.NDArray[np.int64]":
    """The passages where each word of an ordered phrase stands between
    ``mindist`` and ``slop`` positions after one of the previous word's,
    chained from the first word (Whoosh's SpanNear2 over single words),
    sorted. Every (passage, position) is one number, so the words of all
    passages are chained at once."""
    numbers, positions = words[0]
    reachable = _unique(numbers * _SPAN + positions)
    for numbers, positions in words[1:]:
        places = numbers * _SPAN + positions
        near = np.isin(places - mindist, reachable)
        for distance in range(mindist + 1, slop + 1):
            near |= np.isin(places - distance, reachable)
        reachable = _unique(places[near])
        if not len(reachable):
            break
    return _unique(reachable // _SPAN)


def _any_within(ordered: Sequence[int], low: int, high: int) -> bool:
    """Whether a sorted sequence holds a number from ``low`` to ``high``."""
    at = bisect.bisect_left(ordered, low)
    return at < len(ordered) and ordered[at] <= high


def _scorer(weighting: Any, searcher: Any, subsearcher: Any, fieldname: str, text: bytes, shared: Dict[Any, Any]) -> Any:
    """A word's scorer in a segment. A plain BM25 scorer reads only the
    whole index's statistics (IDF, average length), so one made on the
    whole index serves every segment: made once, not once a segment."""
    scorer = shared.get(text)
    if scorer is None:
        scorer = shared[text] = weighting.scorer(searcher, fieldname, text)
    return scorer if plain_bm25(scorer) else weighting.scorer(subsearcher, fieldname, text)


def _totals(
    numbers: List[int], postings: List[_Postings], scorers: List[List[Any]], spellings: List[List[Any]], lengths: Any
) -> List[float]:
    """Each passage's phrase score: the sum over its words of each word's
    BM25 (its spellings' summed), added as Whoosh's binary trees of
    matchers add them, computed a spelling at a time over the passages
    (absent spellings as NaN, skipped by the sums as by Whoosh's union
    matchers). A plain BM25 scorer's arithmetic runs over arrays (the
    segment's ``lengths`` given); any other scorer scores each passage."""
    word_scores = []
    matched = np.array(numbers, dtype=np.int64)
    for (held_in, indexes, frequencies, _), word_scorers, words in zip(postings, scorers, spellings):
        weights = np.full((len(words), len(numbers)), np.nan)
        keep = np.isin(held_in, matched)
        weights[indexes[keep], np.searchsorted(matched, held_in[keep])] = frequencies[keep]
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


def phrase_scores(
    searcher: Any,
    layout: Any,
    node: Any,
    clauses: List[List[wq.Term]],
    boost: float,
    places: Optional[Places] = None,
    whole: bool = False,
) -> Optional[Scores]:
    """The passages holding a phrase, scored as Whoosh's span matcher
    scores them: the sum over its words of each word's BM25 (a word
    spelt several ways: its spellings' BM25 summed), in Whoosh's order
    of additions. The rarest word's passages are read first; of the
    other words' postings only the blocks that may hold one of those
    passages are read, and positions only of passages holding every
    word. ``layout`` is the searcher's :class:`.layout.Layout`; the
    blocks of text postings read are handed to ``places``, and with
    ``whole`` (a phrase whose words count for the article's BM25, which
    reads them all) its words are read whole into ``places`` first and
    taken from there. None where the postings are not Whoosh 2.7's own."""
    weighting = searcher.weighting
    fieldname = clauses[0][0].fieldname
    field = searcher.schema[fieldname]
    decode: Optional[Callable[[bytes], List[int]]]
    if isinstance(field.format, offsets.Offsets):
        decode = None  # every value's positions unpacked at once
    elif type(field.format) is formats.Positions:
        # Whoosh's decode_positions, its running sum in C: positions are
        # stored as a count and the pickled list of their differences.
        def decode(value: bytes) -> List[int]:
            return list(itertools.accumulate(pickle.loads(value[4:])))

    else:
        decode = field.format.decode_positions
    # a title's positions repeat in each of its article's passages: decoded once
    decoded: Dict[bytes, List[int]] = {}
    shared: Dict[Any, Any] = {}  # each word's scorer, where one serves every segment
    slop, mindist = node.slop, node.mindist
    keeping = places if fieldname == FIELDS.text else None
    # With ``whole``, the words of a phrase of the text field are read whole
    # into ``places`` first: the article's BM25 reads them all after, from there.
    read_whole = keeping if whole else None
    if read_whole is not None:
        for terms in clauses:
            for term in terms:
                read_whole.read_whole(term.text)
    by_article = fieldname == FIELDS.title
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
            for index, (term, text) in enumerate(spellings[clause]):
                kept = None if read_whole is None else read_whole.segment_blocks(term.text, offset)
                if kept is not None:
                    low = 0
                    for ids, weights, values in kept:
                        high = ids[-1]
                        if candidates is None or _any_within(candidates, low, high):
                            blocks.append((index, ids, weights, values))
                            holding.update(ids)
                        low = high + 1
                    continue
                matcher = reader.postings(fieldname, text)
                matcher = unfiltered(matcher)  # past the deletion filter
                if not has_block_values(matcher):
                    return None  # not Whoosh 2.7's postings: its matcher does it
                low = 0
                while matcher.is_active():
                    high = matcher.block_max_id()
                    if candidates is None or _any_within(candidates, low, high):
                        ids, weights = read_block(matcher)
                        values = block_values(matcher)
                        blocks.append((index, ids, weights, values))
                        holding.update(ids)
                        if keeping is not None:
                            keeping.keep(offset, spellings[clause][index][0].text, ids, values)
                    low = high + 1
                    next_block(matcher)
            candidates = sorted(holding if candidates is None else holding.intersection(candidates))
            blocks_of[clause] = blocks
            if not candidates:
                break
        chosen = {number for number in candidates or () if article[offset + number] >= 0}  # not deleted
        if not chosen:
            continue
        chosen_numbers = np.array(sorted(chosen), dtype=np.int64)
        owners = article[offset + chosen_numbers] if by_article else None
        if owners is not None:
            # Every passage of an article holds its title, with the same
            # postings and length: one passage an article is matched and
            # scored, and its score given to the others.
            by_owner = np.argsort(owners, kind="stable")
            in_order = owners[by_owner]
            firsts = np.flatnonzero(np.diff(in_order, prepend=in_order[0] - 1))
            chosen_numbers = np.sort(chosen_numbers[by_owner[firsts]])
        postings = [_chosen_postings(blocks_of[clause], chosen_numbers) for clause in range(len(clauses))]
        held = [_occurrences(numbers, values, decode, decoded) for numbers, _, _, values in postings]
        matched = _matches(held, slop, mindist)
        if not len(matched):
            continue
        scorers = [[_scorer(weighting, searcher, subsearcher, fieldname, text, shared) for _, text in words] for words in spellings]
        lengths = segment_of[offset].lengths.get(fieldname) if offset in segment_of else None
        passage_lengths = lengths[matched] if lengths is not None else None
        numbers = matched.tolist()
        totals = _totals(numbers, postings, scorers, spellings, passage_lengths)
        if owners is not None:
            of_article = dict(zip(article[offset + matched].tolist(), totals))
            numbers = [number for number, owner in zip(sorted(chosen), owners.tolist()) if owner in of_article]
            totals = [of_article[owner] for owner in owners.tolist() if owner in of_article]
        for number, total in zip(numbers, totals):
            found[offset + number] = boost * float(total)
    return found
