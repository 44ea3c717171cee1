"""Near-identical passages across documents (syndicated wire copy).

Each passage gets a small MinHash sketch at indexing time: the smallest
hashes of its overlapping three-word shingles, taken over the analyzer's
folded, stemmed words, so that typography, accents and inflection do not
hide a copy. Two passages whose sketches agree on at least half of the
smallest hashes of their union have a Jaccard resemblance of about 0.5 or
more: a reworded headline or a changed byline still counts as a copy, two
articles on the same subject do not. Search compares the sketches of the
passages it is about to show, so no index-wide clustering is needed.

A document's sketch, stored with each of its passages, is taken the same
way over all its passages: the same story filed under two ids ties passage
for passage, so one copy's best passage may fold into the other's while its
next passage would still be shown as if it were another story. Documents
must agree on three quarters of their sketch: leaving a whole document out
is a larger step than folding a passage, and two articles built on the same
dispatch, each with its own paragraphs, share half their shingles often
enough (measured on the news corpus) to be shown apart.
"""

from __future__ import annotations

import zlib
from typing import Iterable, Sequence, Tuple

__all__ = [
    "Sketch", "sketch", "document_sketch", "resemblance", "near_identical", "SKETCH_SIZE", "THRESHOLD",
    "DOCUMENT_THRESHOLD",
]

Sketch = Tuple[int, ...]
SKETCH_SIZE = 12
THRESHOLD = 0.5
DOCUMENT_THRESHOLD = 0.75
_SHINGLE = 3


def sketch(words: Iterable[str], size: int = SKETCH_SIZE) -> Sketch:
    """The ``size`` smallest shingle hashes of a word sequence, ascending.

    CRC-32 is stable across processes and machines (Python's ``hash`` is
    salted), and fast enough to run on every passage.
    """
    sequence = list(words)
    if not sequence:
        return ()
    crc32 = zlib.crc32
    if len(sequence) < _SHINGLE:
        return (crc32(" ".join(sequence).encode("utf-8")),)
    shingles = map(" ".join, zip(*(sequence[offset:] for offset in range(_SHINGLE))))
    # Chained map()s hash every shingle from C, with no Python call per shingle.
    return tuple(sorted(set(map(crc32, map(str.encode, shingles))))[:size])


def document_sketch(passages: Iterable[Sketch], size: int = SKETCH_SIZE) -> Sketch:
    """The sketch of a document from its passages' sketches: the smallest
    hashes of the union of their shingles are among each passage's own
    smallest, so the passages' words need not be read again."""
    return tuple(sorted(set().union(*passages))[:size])


def resemblance(first: Sequence[int], second: Sequence[int], size: int = SKETCH_SIZE) -> float:
    """Estimated Jaccard resemblance of two passages' shingle sets."""
    if not first or not second:
        return 0.0
    union = sorted(set(first) | set(second))[:size]  # sorted() in C beats heapq.nsmallest here
    both = set(first) & set(second)
    return sum(1 for value in union if value in both) / len(union)


def near_identical(first: Sequence[int], second: Sequence[int], threshold: float = THRESHOLD) -> bool:
    """Whether two sketches come from copies of the same passage (or, with
    ``DOCUMENT_THRESHOLD``, of the same document)."""
    return resemblance(first, second) >= threshold
