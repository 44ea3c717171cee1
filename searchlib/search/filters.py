"""Field filters: which passages a query keeps, whatever their scores.

The query language's filters (``doc:``, ``source:``, ``date:``,
``title:``, as :mod:`.syntax` reads them; their names are the user's
syntax) map to index fields in :data:`FILTER_FIELDS`, the one table
joining the two. ``doc:``, ``source:`` and ``date:`` restrict the search
without scoring; they are built here, with the date ranges the API also
uses. ``title:`` searches words, so :mod:`.query` builds it.

Apart from :mod:`.query` because filters are about a passage's stored
identity (id, source, date), not about words.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional, Tuple

from whoosh import query as wq

from ..ingest import escape_surrogates
from ..storage.schema import FIELDS
from .expansion import MAX_EXPANSION, Expander

__all__ = ["FILTER_FIELDS", "RESTRICTING", "filter_query", "source_filter", "date_range", "MAX_SOURCES"]

#: each filter name of the query language (as :mod:`.syntax` gives it,
#: aliases resolved) and the field it looks in
FILTER_FIELDS: Mapping[str, str] = {
    "doc": FIELDS.doc_id,
    "source": FIELDS.source,
    "date": FIELDS.date,
    "title": FIELDS.title,
}
#: the filters that restrict the search without scoring
RESTRICTING = frozenset({"source", "doc", "date"})
#: how many sources a ``source:`` filter may stand for
MAX_SOURCES = MAX_EXPANSION * 4

_DATE_RE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_RANGE_RE = re.compile(r"(?P<start>[^.]*)\.\.(?P<end>.*)")
_COMPARE_RE = re.compile(r"(?P<op>>=|<=|>|<)(?P<date>.+)")


def filter_query(
    name: str, value: str, prefix: bool, expand: Optional[Expander]
) -> Tuple[Optional[wq.Query], Optional[str]]:
    """The query of a ``doc:``, ``source:`` or ``date:`` filter (``value``
    stripped; ``prefix`` for ``doc:id*``), and a note when it cannot be
    read (None then)."""
    if name in ("doc", "source"):
        # Ids and sources are indexed with lone surrogates escaped (a
        # Whoosh term cannot hold one): look them up the same way.
        value = escape_surrogates(value)
    if name == "doc":
        if prefix:
            return wq.Prefix(FILTER_FIELDS["doc"], value), None
        return wq.Term(FILTER_FIELDS["doc"], value), None
    if name == "source":
        return (source_filter(expand, value) if expand is not None else wq.Term(FILTER_FIELDS["source"], value)), None
    return _date_filter(value)


def _date_filter(value: str) -> Tuple[Optional[wq.Query], Optional[str]]:
    """``2016``, ``2016-07``, ``2016-07..2016-09``, ``>=2017-01``, ``<2017``."""
    low: Optional[str] = None
    high: Optional[str] = None
    ranged = _RANGE_RE.fullmatch(value)
    compared = _COMPARE_RE.fullmatch(value)
    if ranged:
        low, high = ranged.group("start") or None, ranged.group("end") or None
        high = high and high + "\uffff"
    elif compared:
        op, date = compared.group("op"), compared.group("date")
        if op in (">=", ">"):
            low = date if op == ">=" else date + "\uffff"
        else:
            high = date if op == "<" else date + "\uffff"
    else:
        low, high = value, value + "\uffff"
    for bound in (low, high):
        if bound is not None and not _DATE_RE.match(bound):
            return None, f"'date:{value}' is not a date (2016, 2016-07, 2016-07..2016-09, >=2017-01); ignored"
    return date_range(low, high), None


def source_filter(expand: Expander, text: str) -> wq.Query:
    """Passages whose source contains ``text`` (at most 256 sources)."""
    sources = expand.sources(text, MAX_SOURCES)
    source = FIELDS.source
    return wq.Or([wq.Term(source, found) for found in sources]) if sources else wq.NullQuery()


def date_range(low: Optional[str], high: Optional[str]) -> wq.Query:
    """Passages dated from ``low`` (inclusive) to ``high`` (exclusive), ISO strings."""
    return wq.TermRange(FIELDS.date, low or "0", high or "\uffff", startexcl=False, endexcl=True)
