"""Whoosh 2.7's on-disk postings read a block at a time.

Whoosh's matchers hand out one posting a call; scoring every matching
passage (see :mod:`._scoring`) reads whole blocks instead, decoded in C
loops.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator, List, Sequence, Tuple

__all__ = ["read_block", "blocks"]


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


def blocks(matcher: Any) -> Iterator[Tuple[Sequence[int], Sequence[float]]]:
    """A term's postings, (ids, weights) a block at a time, deleted
    documents included (the layout marks them)."""
    matcher = getattr(matcher, "child", matcher)  # past Whoosh's deletion filter
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
