"""A query as searchlib built it (a Whoosh query tree of indexed terms)
turned into OpenSearch's query DSL over the cluster's fields (see
:mod:`.mapping`).

Only searchlib's terms go to the cluster: in ``term`` and ``span_term``
queries, and a word's spellings joined in one ``match`` query that the
index's ``searchlib_spellings`` analyzer splits back into those terms (a
synonym query). What the user typed never reaches it as a query string,
so nothing typed can be read by OpenSearch's own query parser.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from whoosh import query as wq

from ...storage.schema import FIELDS
from .mapping import FILLER, SEARCHED, SPELLINGS, STOP_TERMS
from .scoring import phrase_slots

__all__ = ["to_dsl", "restriction"]

Dsl = Dict[str, Any]
_KEYWORDS = (FIELDS.doc_id, FIELDS.date, FIELDS.source, FIELDS.origin)


def to_dsl(node: wq.Query) -> Dsl:
    """The DSL query matching the passages ``node`` matches locally."""
    boost = float(getattr(node, "boost", 1.0))
    if isinstance(node, wq.Term) and isinstance(node.text, str):
        return _term(node.fieldname, node.text, boost)
    phrase = phrase_slots(node)
    if phrase is not None:
        return _phrase(*phrase)
    if isinstance(node, wq.Or):
        spellings = _spellings(node)
        if spellings is not None:
            return _one_word(*spellings, boost)
        return {"bool": {"should": [to_dsl(child) for child in node.subqueries], "minimum_should_match": 1, "boost": boost}}
    if isinstance(node, wq.And):
        must = [to_dsl(child) for child in node.subqueries if not isinstance(child, wq.Not)]
        must_not = [to_dsl(child.query) for child in node.subqueries if isinstance(child, wq.Not)]
        body: Dsl = {"must": must or [{"match_all": {}}], "boost": boost}
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(node, wq.AndMaybe):
        return {"bool": {"must": [to_dsl(node.a)], "should": [to_dsl(node.b)], "boost": boost}}
    if isinstance(node, wq.Not):
        return {"bool": {"must": [{"match_all": {}}], "must_not": [to_dsl(node.query)]}}
    if isinstance(node, wq.Every):
        return {"match_all": {"boost": boost}}
    if isinstance(node, wq.NullQuery.__class__):
        return {"match_none": {}}
    if isinstance(node, wq.Prefix) and node.fieldname in _KEYWORDS:
        return {"prefix": {node.fieldname: {"value": node.text}}}
    if isinstance(node, wq.TermRange) and node.fieldname in _KEYWORDS:
        bounds: Dict[str, str] = {}
        if node.start is not None:
            bounds["gt" if node.startexcl else "gte"] = node.start
        if node.end is not None:
            bounds["lt" if node.endexcl else "lte"] = node.end
        return {"range": {node.fieldname: bounds}}
    raise ValueError(f"a query node searchlib cannot send to a cluster: {type(node).__name__}")


def _term(fieldname: str, text: str, boost: float) -> Dsl:
    names = SEARCHED.get(fieldname)
    if names is not None:
        layers = [{"term": {layer: {"value": text}}} for layer in names.layers]
        return {"bool": {"should": layers, "minimum_should_match": 1, "boost": boost}}
    if fieldname == FIELDS.stops:
        return {"term": {STOP_TERMS: {"value": text, "boost": boost}}}
    if fieldname in _KEYWORDS:
        return {"term": {fieldname: {"value": text, "boost": boost}}}
    raise ValueError(f"a field searchlib cannot search on a cluster: {fieldname}")


def _spellings(node: wq.Or) -> Optional[Tuple[str, List[str]]]:
    """The field and terms of an Or of plain terms of one searched field,
    all of the same weight: one word spelt several ways, or a prefix's words."""
    children = node.subqueries
    if node.scale is not None or len(children) < 2 or not all(type(child) is wq.Term for child in children):
        return None
    fields = {child.fieldname for child in children}
    if len(fields) != 1 or not fields <= set(SEARCHED) or not all(isinstance(child.text, str) for child in children):
        return None
    if any(getattr(child, "boost", 1.0) != 1.0 for child in children):
        return None  # spellings weighed apart (a typing error's corrections): their own boosts
    return fields.pop(), [child.text for child in children]


def _one_word(fieldname: str, terms: List[str], boost: float) -> Dsl:
    """A word's spellings as one word on each layer: the cluster's synonym
    query (the spellings' frequencies added up, the commonest one's IDF),
    so that the cluster's candidates are those searchlib ranks first
    (separate terms would let a rare spelling's IDF outweigh the word)."""
    joined = SPELLINGS.join(terms)
    layers = [
        {"match": {layer: {"query": joined, "analyzer": "searchlib_spellings"}}} for layer in SEARCHED[fieldname].layers
    ]
    return {"bool": {"should": layers, "minimum_should_match": 1, "boost": boost}}


def _phrase(fieldname: str, slots: List[Any]) -> Dsl:
    """Each slot a span over the term's layers, masked as the first layer's
    field; a gap holds one position of any term (the places field)."""
    names = SEARCHED[fieldname]
    first = names.layers[0]

    def masked(layer: str, term: str) -> Dsl:
        span = {"span_term": {layer: term}}
        return span if layer == first else {"span_field_masking": {"query": span, "field": first}}

    clauses: List[Dsl] = []
    previous: Optional[int] = None
    for terms, offset in slots:
        if previous is not None:
            for _ in range(offset - previous - 1):
                clauses.append(masked(names.places, FILLER))
        spans = [masked(layer, term.text) for term in terms for layer in names.layers]
        clauses.append(spans[0] if len(spans) == 1 else {"span_or": {"clauses": spans}})
        previous = offset
    # Matched by the spans, scored as searchlib scores a phrase: the sum of
    # its words' BM25 (a span query's own score weighs a phrase otherwise,
    # and the cluster would pick other candidates than searchlib ranks first).
    words = [_term(fieldname, term.text, 1.0) for terms, _ in slots for term in terms]
    return {"bool": {"filter": [{"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}], "should": words}}


def restriction(node: Optional[wq.Query], after: Optional[str], before: Optional[str], sources: Optional[List[str]]) -> List[Dsl]:
    """The filters (not scored) of a search: the query's own ``date:``,
    ``source:`` and ``doc:`` at its top level, and the search's options."""
    found: List[Dsl] = []
    if node is not None:
        found.append(to_dsl(node))
    if after or before:
        bounds: Dict[str, str] = {}
        if after:
            bounds["gte"] = after
        if before:
            bounds["lt"] = before + "\uffff"
        found.append({"range": {FIELDS.date: bounds}})
    if sources is not None:
        found.append({"terms": {FIELDS.source: sources}} if sources else {"match_none": {}})
    return found
