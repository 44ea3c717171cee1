"""The semantic layer of a search: passages' vectors beside the query's,
fused with the lexical ranking.

Vectors are read once a segment (:class:`VectorCache`, shared by every
searcher of an index, keyed by the segment and the state of its vectors
file, so a segment being filled by ``search embed`` is read again) and kept
as float32 rows already multiplied by their scale: a query is then one
matrix-vector product a segment (BLAS), exact, with no conversion per
query. The file stays ``int8`` on disk (a quarter of the size).

Fusion (:class:`Semantic`) takes the lexical candidates (the best
``depth`` by the lexical score) and the semantic ones (the ``depth``
passages nearest the query, within the search's filters), and scores
their union:

- ``linear``: ``(1 - w) · lexical / best lexical + w · (similarity -
  lowest) / (highest - lowest)``, the similarities spread over the union;
- ``rrf`` (reciprocal rank fusion): ``(1 - w) / (k + lexical rank) + w /
  (k + semantic rank)``, k = 60, a list the passage is absent from adding
  nothing.

Every other lexical match keeps its place after them, in lexical order,
so the total still counts every passage the words match, plus those found
by meaning alone.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import numpy as np
import numpy.typing as npt

from ..storage import vectors as _vectors
from .layout import Layout, SegmentCache
from .scoring import best

__all__ = ["FUSIONS", "DEFAULT_FUSION", "DEFAULT_WEIGHT", "DEPTH", "VectorCache", "Semantic", "similarities", "missing"]

#: how lexical and semantic rankings are combined
FUSIONS = ("linear", "rrf")
#: chosen on PIAF and news headlines together (docs/relevance.md, "The semantic layer")
DEFAULT_FUSION = "linear"
DEFAULT_WEIGHT = 0.7
#: candidates taken from each ranking
DEPTH = 100
_RRF_K = 60.0


class VectorCache:
    """Each segment's vectors, read once (threads may read one at once; both read the same)."""

    def __init__(self) -> None:
        self._segments: Dict[Tuple[str, int], Tuple[Tuple[int, int], "npt.NDArray[np.float32]", "npt.NDArray[np.bool_]"]] = {}
        self._lock = threading.Lock()

    def segment(
        self, folder: Path, segment_id: str, count: int, dimensions: int
    ) -> Tuple["npt.NDArray[np.float32]", "npt.NDArray[np.bool_]"]:
        """The segment's rows as float32 (scaled), and which passages have one."""
        try:
            stat = os.stat(_vectors.vectors_file(folder, segment_id))
            state = (stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            state = (0, 0)
        key = (segment_id, count)
        with self._lock:
            held = self._segments.get(key)
        if held is not None and held[0] == state:
            return held[1], held[2]
        read = _vectors.read_rows(folder, segment_id, count, dimensions)
        rows = read.codes.astype(np.float32) * read.scale[:, None]
        with self._lock:
            self._segments[key] = (state, rows, read.present)
        return rows, read.present

    def forget(self, live: Set[str]) -> None:
        """Drop the segments no longer in the index."""
        with self._lock:
            for key in [key for key in self._segments if key[0] not in live]:
                del self._segments[key]


def similarities(
    searcher: Any,
    folder: Path,
    dimensions: int,
    query_vector: "npt.NDArray[np.float32]",
    cache: VectorCache,
    segments: SegmentCache,
) -> "npt.NDArray[np.float64]":
    """Each passage's cosine similarity to the query (by global number);
    -inf for passages without a vector or deleted."""
    layout = Layout.of(searcher, segments)
    found = np.full(len(layout.article), -np.inf, dtype=np.float64)
    query = np.asarray(query_vector, dtype=np.float32)
    live: Set[str] = set()
    for reader, offset, _, _ in layout.leaves:
        segment_id = reader._segment.segment_id()
        live.add(segment_id)
        count = reader.doc_count_all()
        rows, present = cache.segment(folder, segment_id, count, dimensions)
        if present.any():
            scores = (rows @ query).astype(np.float64)
            found[offset : offset + count] = np.where(present, scores, -np.inf)
    found[layout.article < 0] = -np.inf  # deleted passages
    cache.forget(live)
    return found


def missing(searcher: Any, folder: Path, dimensions: int, cache: VectorCache, segments: SegmentCache) -> int:
    """How many live passages have no vector."""
    layout = Layout.of(searcher, segments)
    count = 0
    for reader, offset, _, _ in layout.leaves:
        total = reader.doc_count_all()
        _, present = cache.segment(folder, reader._segment.segment_id(), total, dimensions)
        count += int(np.count_nonzero(~present & (layout.article[offset : offset + total] >= 0)))
    return count


@dataclass
class Semantic:
    """How one search fuses meaning with words: ``weight`` (0: words
    alone, 1: meaning alone), ``fusion`` (:data:`FUSIONS`), each passage's
    ``similarity`` (:func:`similarities`), ``depth`` candidates a ranking."""

    weight: float
    fusion: str
    similarity: "npt.NDArray[np.float64]"
    depth: int = DEPTH
    #: each fused passage's (lexical share, semantic share) of its score
    shares: Dict[int, Tuple[float, float]] = field(default_factory=dict)

    def fuse(
        self,
        ids: "npt.NDArray[np.int64]",
        scores: "npt.NDArray[np.float64]",
        restriction: Optional[Set[int]],
        limit: int,
    ) -> Tuple["npt.NDArray[np.int64]", "npt.NDArray[np.float64]"]:
        """Every lexical match and the nearest passages by meaning (in
        passage order, as the ranking keeps them) with their fused scores."""
        depth = max(self.depth, limit)
        similarity = self.similarity
        if restriction is not None:
            allowed = np.zeros(len(similarity), dtype=bool)
            kept = np.fromiter(restriction, np.int64, len(restriction))
            allowed[kept[kept < len(similarity)]] = True
            similarity = np.where(allowed, similarity, -np.inf)
        lexical = ids[best(ids, scores, depth)]
        reachable = np.flatnonzero(np.isfinite(similarity))
        nearest = reachable[best(reachable, similarity[reachable], depth)]
        union = np.union1d(lexical, nearest)
        if not len(union):
            return ids, scores
        lexical_score = np.zeros(len(union))
        if len(ids):
            at = np.searchsorted(ids, union)
            held = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == union)
            lexical_score[held] = scores[at[held]]
        meaning = similarity[union]
        if self.fusion == "rrf":
            lexical_part = _rrf(union, lexical)
            semantic_part = _rrf(union, nearest)
        else:
            strongest = lexical_score.max() if len(ids) else 0.0
            lexical_part = lexical_score / strongest if strongest > 0 else np.zeros(len(union))
            finite = np.isfinite(meaning)
            low = meaning[finite].min() if finite.any() else 0.0
            high = meaning[finite].max() if finite.any() else 0.0
            spread = high - low
            semantic_part = np.where(finite, (meaning - low) / spread if spread > 0 else 1.0, 0.0)
        lexical_part = (1.0 - self.weight) * lexical_part
        semantic_part = self.weight * semantic_part
        fused = lexical_part + semantic_part
        self.shares = {
            docnum: (float(a), float(b))
            for docnum, a, b in zip(union.tolist(), lexical_part.tolist(), semantic_part.tolist())
        }
        # The other lexical matches follow, in their lexical order, below every fused one.
        floor = float(fused.min()) if len(fused) else 0.0
        every = np.union1d(ids, union)
        result = np.zeros(len(every))
        if len(ids):
            top = scores.max() if scores.max() > 0 else 1.0
            result[np.searchsorted(every, ids)] = floor - 1.0 + 0.5 * scores / top
        result[np.searchsorted(every, union)] = fused
        return every, result


def _rrf(union: "npt.NDArray[np.int64]", ranked: "npt.NDArray[np.int64]") -> "npt.NDArray[np.float64]":
    """Each passage of ``union``'s reciprocal rank in ``ranked`` (0 where absent)."""
    rank = {docnum: place for place, docnum in enumerate(ranked.tolist(), 1)}
    return np.array([1.0 / (_RRF_K + rank[docnum]) if docnum in rank else 0.0 for docnum in union.tolist()])
