"""Counts of the matching passages by year, month and source (facets), and
the order of a sort by date.

Both read a passage's date and source from :meth:`Layout.column` (each
passage's value as a number, read once a segment from the field's
postings), over the whole set of passages a query matches: the set whose
size is ``total``, not the page shown. A search engine's terms
aggregations and sorts on doc values do the same.
"""

from __future__ import annotations

from typing import Dict, Sequence, Tuple

import numpy as np
import numpy.typing as npt

from ..storage.schema import FIELDS
from .layout import Layout

__all__ = ["FACETS", "SORTS", "count", "by_date"]

#: the facets a search can count, and the field each is read from
FACETS: Dict[str, str] = {"year": FIELDS.date, "month": FIELDS.date, "source": FIELDS.source}
#: the orders a search can sort its hits in
SORTS = ("relevance", "date")

Facets = Dict[str, Dict[str, int]]


def _bucket(facet: str, value: str) -> str:
    """The bucket of a stored value ("" for none): a date's year or month."""
    if facet == "year":
        return value[:4] if len(value) >= 4 and value[:4].isdigit() else ""
    if facet == "month":
        return value[:7] if len(value) >= 7 and value[:4].isdigit() else ""
    return value


def count(layout: Layout, ids: "npt.NDArray[np.int64]", facets: Sequence[str]) -> Facets:
    """For each of ``facets``, the number of passages ``ids`` by value,
    the commonest first (ties by value); passages without one are left out."""
    found: Facets = {}
    for facet in facets:
        values, codes = layout.column(FACETS[facet])
        held = codes[ids]
        counts = np.bincount(held[held >= 0], minlength=len(values))
        buckets: Dict[str, int] = {}
        for code in np.flatnonzero(counts).tolist():
            bucket = _bucket(facet, values[code])
            if bucket:
                buckets[bucket] = buckets.get(bucket, 0) + int(counts[code])
        found[facet] = dict(sorted(buckets.items(), key=lambda item: (-item[1], item[0])))
    return found


def by_date(
    layout: Layout, ids: "npt.NDArray[np.int64]", scores: "npt.NDArray[np.float64]"
) -> Tuple["npt.NDArray[np.int64]", "npt.NDArray[np.float64]"]:
    """Every passage ``ids`` (with ``scores``), newest first: dates compare
    as written (a day after its month, a month after its year), undated
    passages come last, equal dates best score first, then passage order."""
    _, codes = layout.column(FIELDS.date)
    dates = codes[ids]  # -1, no date, sorts below every date
    order = np.lexsort((ids, -scores, -dates))
    return ids[order], scores[order]
