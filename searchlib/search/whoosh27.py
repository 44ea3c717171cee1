"""Everything the search stage reads of Whoosh's insides, in one place.

Written against **Whoosh 2.7.4** (``whoosh.codec.whoosh3``, the W3 codec):
the private attributes and methods used below (a postings matcher's
``_data``, ``_blocklength``, ``_read_data``, ``_read_values``, ``_values``,
``_next_block``; a per-document reader's ``_perdoc`` and its length
columns' ``_cached_reader``, ``_fixedlen``, ``_dbfile``, ``_basepos``,
``_count``; ``_lenfield``; a range query's ``_btexts``; a scorer's
``_score``) are those of that version. Each use checks what it needs and
falls back on Whoosh's public, slower path where it is missing, so another
Whoosh is slower, not wrong; but upgrading Whoosh means reading this module
again, and nothing else in :mod:`searchlib.search` touches Whoosh's
private names.

Also here: the two span query classes that work around Whoosh 2.7.4 bugs.

Why: scoring every matching passage (:mod:`.scoring`, :mod:`.phrases`)
reads whole posting blocks and length columns, decoded in C loops, where
Whoosh's public API hands out one posting or one length a Python call.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, _lenfield
from whoosh.query.spans import SpanNear2, SpanOr
from whoosh.scoring import BM25FScorer

__all__ = [
    "read_block", "blocks", "blocks_with_values", "unfiltered", "has_block_values", "block_values", "next_block", "stored_records",
    "length_codes", "range_terms", "plain_bm25", "Near", "SpanEither",
]


# -- postings, a block at a time ---------------------------------------------


def read_block(matcher: Any) -> Tuple[Sequence[int], Sequence[float]]:
    """The ids and weights of the block a Whoosh 2.7 postings matcher is
    at, decoded as its ``_read_ids``/``_read_weights`` do, in C loops
    (theirs are generators, a Python step per posting)."""
    if matcher._data is None:
        matcher._read_data()
    deltas, weights, _ = matcher._data
    count = matcher._blocklength
    if weights is None:
        weights = [1.0] * count
    elif isinstance(weights, float):
        weights = [weights] * count
    return tuple(itertools.accumulate(deltas)), weights


def unfiltered(matcher: Any) -> Any:
    """A postings matcher past Whoosh's deletion filter (deleted passages
    included: the layout marks them)."""
    return getattr(matcher, "child", matcher)


def blocks(matcher: Any) -> Iterator[Tuple[Sequence[int], Sequence[float]]]:
    """A term's postings, (ids, weights) a block at a time, deleted
    documents included (the layout marks them)."""
    matcher = unfiltered(matcher)
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block"):
        # Whoosh 2.7's on-disk postings: whole blocks, not one posting a call.
        while matcher.is_active():
            yield read_block(matcher)
            matcher._next_block()
        return
    ids: List[int] = []
    weights: List[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


def blocks_with_values(matcher: Any) -> Iterator[Tuple[Sequence[int], Sequence[float], Sequence[bytes]]]:
    """A term's postings as :func:`blocks` gives them, each block with its
    encoded values (positions, and characters where the format keeps them)."""
    matcher = unfiltered(matcher)
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block") and hasattr(matcher, "_read_values"):
        while matcher.is_active():
            block_ids, block_weights = read_block(matcher)
            yield block_ids, block_weights, block_values(matcher)
            matcher._next_block()
        return
    ids: List[int] = []
    weights: List[float] = []
    values: List[bytes] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    yield ids, weights, values


def has_block_values(matcher: Any) -> bool:
    """Whether an (unfiltered) matcher is Whoosh 2.7's on-disk postings,
    whose blocks :func:`block_values` and :func:`next_block` read."""
    return hasattr(matcher, "_read_values")


def block_values(matcher: Any) -> Sequence[bytes]:
    """The encoded values (positions) of the block the matcher is at."""
    matcher._read_values()
    values: Sequence[bytes] = matcher._values
    return values


def next_block(matcher: Any) -> None:
    """Move the matcher to its next block."""
    matcher._next_block()


# -- stored fields ------------------------------------------------------------


def stored_records(reader: Any, numbers: Sequence[int]) -> List[Any]:
    """The stored fields of passages ``numbers`` of one segment, in one pass
    over Whoosh 2.7's stored column (one look-up of the column, none of the
    schema per field); Whoosh's ``stored_fields`` where it has no such column."""
    perdoc: Any = getattr(reader, "_perdoc", None)
    column = perdoc._cached_reader("_stored", STORED_COLUMN) if hasattr(perdoc, "_cached_reader") else None
    if column is None or getattr(reader, "is_closed", False):
        return [reader.stored_fields(number) for number in numbers]
    return [column[number] or {} for number in numbers]


# -- field lengths -------------------------------------------------------------


def length_codes(reader: Any, fieldname: str, count: int) -> Optional["npt.NDArray[np.uint8]"]:
    """Each passage's length of a field as the byte Whoosh 2.7 stores it
    in a column (see :func:`whoosh.util.numeric.byte_to_length`), read in
    one pass; None where the reader keeps no such column (ask
    ``reader.doc_field_length`` then)."""
    perdoc: Any = getattr(reader, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if hasattr(perdoc, "_cached_reader") else None
    if column is None or not count:
        return None
    if getattr(column, "_fixedlen", None) == 1 and hasattr(column, "_dbfile"):
        # the bytes as stored; passages past the end have the default, 0
        codes = np.zeros(count, dtype=np.uint8)
        stored = min(column._count, count)
        codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
        return codes
    return np.fromiter(column, dtype=np.uint8, count=count)


# -- queries and scorers -------------------------------------------------------


def range_terms(query: Any, reader: Any) -> Iterator[bytes]:
    """The indexed terms (bytes) a ``TermRange`` or ``Prefix`` stands for:
    Whoosh's own term expansion."""
    return iter(query._btexts(reader))


def plain_bm25(scorer: Any) -> bool:
    """Whether a scorer scores with Whoosh's ``bm25`` from its own idf,
    avgfl, B and K1, as BM25FScorer and subclasses that only set the IDF do."""
    return isinstance(scorer, BM25FScorer) and type(scorer)._score is BM25FScorer._score


class Near(SpanNear2):
    """Whoosh 2.7.4's SpanNear2 refers to an undefined name when asked for
    its size estimate (which ``Or`` does): this one answers."""

    def _and_query(self) -> wq.Query:
        return wq.And(self.qs)


class SpanEither(SpanOr):
    """Whoosh 2.7.4's SpanOr cannot estimate its size either (``Or`` and
    ``SpanNear2`` ask when a phrase slot has several spellings)."""

    def estimate_size(self, ixreader: Any) -> int:
        return int(sum(q.estimate_size(ixreader) for q in self.subqs))
