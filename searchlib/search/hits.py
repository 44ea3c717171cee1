"""What users are shown, made from what an index returns: hits with their
snippets, the "did you mean" suggestion, the parsed query, a document
put back together from its passages.

Nothing here reads the index: it works on stored passages (dicts keyed by
:data:`~searchlib.storage.schema.FIELDS`) and the query's patterns, so every
backend's answers are shown the same way.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Collection, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from ..analysis import FrenchAnalyzer, Token
from ..ingest import Document
from ..results import Hit, ParsedQuery, Passage, QueryClause, render
from ..storage.schema import FIELDS
from . import snippets, syntax
from .query import BuiltQuery, Pattern

__all__ = ["hit", "suggestion", "written", "parsed_query", "document", "passages"]

Explanation = Tuple[Tuple[str, str, float], ...]


def hit(
    fields: Mapping[str, Any],
    score: float,
    patterns: Sequence[Pattern],
    wanted: Set[str],
    copies: Tuple[str, ...],
    snippet_chars: int,
    analyzer: FrenchAnalyzer,
    explanation: Explanation = (),
    tokens: Optional[Sequence[Token]] = None,
) -> Hit:
    """A stored passage as a hit, the query's words highlighted; ``wanted``
    is :func:`snippets.pattern_terms` of ``patterns`` (only they become
    tokens). ``tokens`` are those of ``wanted`` in the text where the index
    keeps them; without, the text is analysed."""
    text = fields[FIELDS.text]
    if tokens is None:
        matches = snippets.find_matches(text, patterns, lambda value: analyzer.all_tokens(value, only=wanted))
    else:
        matches = snippets.find_matches(text, patterns, lambda _: tokens)
    highlights = snippets.merge_spans(text, matches)
    window = snippets.snippet_window(text, matches, snippet_chars)
    return Hit(
        doc_id=fields[FIELDS.doc_id],
        passage=fields[FIELDS.passage],
        score=float(score),
        title=fields.get(FIELDS.title) or None,
        date=fields.get(FIELDS.date) or None,
        source=fields.get(FIELDS.source) or None,
        text=text,
        snippet=render(text, window, highlights),
        highlights=highlights,
        metadata=dict(fields.get(FIELDS.metadata) or {}),
        start=fields.get(FIELDS.start, 0),
        end=fields.get(FIELDS.end, 0),
        duplicates=copies,
        snippet_window=window,
        explanation=explanation,
    )


def suggestion(
    query: str,
    corrections: Sequence[Tuple[str, str]],
    hits: Sequence[Hit],
    analyzer: FrenchAnalyzer,
    tokens: Sequence[Optional[Sequence[Token]]] = (),
    wanted: Collection[str] = frozenset(),
) -> Optional[str]:
    """The query with each corrected word replaced by the way the hits'
    text writes the term it was taken for (None if a hit does not show it).
    ``tokens``: each hit's tokens of the terms ``wanted``, where known."""
    suggested = query
    for typed, term in corrections:
        known = list(tokens) if term in wanted else []
        known += [None] * (len(hits) - len(known))
        spelling = next(_written_in_hits(term, hits, known, analyzer), None)
        if spelling is None:
            return None
        suggested = suggested.replace(typed, spelling, 1)
    return suggested if suggested != query else None


def written(typed: str, term: str, texts: Iterable[str], analyzer: FrenchAnalyzer) -> Optional[str]:
    """How ``texts`` (passages holding ``term``) write it: of its spellings
    there, the nearest to ``typed`` (a stem stands for many words:
    "négotiations" is "négociations", not "négocier")."""
    spellings: Dict[str, int] = {}
    for spelling in _spellings(term, texts, analyzer):
        spellings[spelling] = spellings.get(spelling, 0) + 1
    wanted = typed.lower()
    return max(
        spellings,
        key=lambda spelling: (difflib.SequenceMatcher(None, wanted, spelling.lower()).ratio(), spellings[spelling]),
        default=None,
    )


def _written_in_hits(
    term: str, hits: Sequence[Hit], tokens: Sequence[Optional[Sequence[Token]]], analyzer: FrenchAnalyzer
) -> Iterator[str]:
    """Each place the hits write a word indexed as ``term``, as written, in
    order: from their tokens where known, else from their text analysed."""
    for hit, known in zip(hits, tokens):
        if known is None:
            yield from _spellings(term, (hit.text,), analyzer)
        else:
            yield from (hit.text[token.start : token.end] for token in known if token.text == term)


def _spellings(term: str, texts: Iterable[str], analyzer: FrenchAnalyzer) -> Iterator[str]:
    """Each place ``texts`` write a word indexed as ``term``, as written, in order."""
    for text in texts:
        for token in analyzer.all_tokens(text):
            if token.text == term:
                yield text[token.start : token.end]


def parsed_query(query: str, built: BuiltQuery, spelling: Callable[[str, str], Optional[str]]) -> ParsedQuery:
    """``built`` as users are shown it; ``spelling(typed, term)`` is how the
    index writes a term a typing error was taken for."""
    clauses = built.tree.clauses if built.tree is not None else ()
    suggested: Optional[str] = query
    for typed, term in built.corrections:
        spelt = spelling(typed, term)
        suggested = suggested.replace(typed, spelt, 1) if suggested is not None and spelt else None
    return ParsedQuery(
        query,
        tuple(_clause(_group_occur(occur, node), node, built.resolved) for occur, node in clauses),
        built.notes,
        built.corrections,
        suggested if suggested != query else None,
    )


def _clause(occur: str, node: syntax.Node, resolved: Mapping[syntax.Node, Pattern]) -> QueryClause:
    """A node of the query's tree as users are shown it."""
    terms = tuple(tuple(sorted(slot)) for slot, _ in resolved.get(node, ()))
    if isinstance(node, syntax.Group):
        inner = tuple(_clause(_group_occur(inner_occur, child), child, resolved) for inner_occur, child in node.clauses)
        return QueryClause("group", occur, boost=node.boost, clauses=inner)
    if isinstance(node, syntax.Either):
        options = tuple(_clause(syntax.SHOULD, option, resolved) for option in node.options)
        return QueryClause("or", occur, clauses=options)
    if isinstance(node, syntax.Filter):
        value = node.value
        text = value.text + ("*" if isinstance(value, syntax.Word) and value.prefix else "")
        return QueryClause("filter", occur, text, field=node.name, terms=terms)
    if isinstance(node, syntax.Phrase):
        return QueryClause("phrase", occur, node.text, node.boost, terms=terms)
    kind = "prefix" if node.prefix else "fuzzy" if node.fuzzy else "word"
    return QueryClause(kind, occur, node.text, node.boost, distance=node.fuzzy, terms=terms)


def _group_occur(occur: str, node: syntax.Node) -> str:
    """A clause's occurrence as the search applies it: a source, doc or
    date filter among a group's clauses keeps only what it matches."""
    if isinstance(node, syntax.Filter) and node.name != "title" and occur != syntax.MUST_NOT:
        return syntax.MUST
    return occur


def passages(doc_id: str, rows: Sequence[Mapping[str, Any]]) -> List[Passage]:
    """A document's stored passages, in order, each at its offsets in the
    text :func:`document` puts back together."""
    found: List[Passage] = []
    end = 0
    for row in rows:
        start = int(row.get(FIELDS.start, end))
        if start < end:  # older indexes kept no offsets: one blank line between passages
            start = end + (2 if end else 0)
        text = row[FIELDS.text]
        end = start + len(text)
        found.append(Passage(doc_id, int(row[FIELDS.passage]), start, end, text))
    return found


def document(doc_id: str, rows: Sequence[Mapping[str, Any]]) -> Optional[Document]:
    """A document put back together from its stored passages, in order.

    ``text`` holds each passage at its own offsets; what lies between
    passages (blank lines, front matter, site furniture) is not stored and
    reads as blank space of the same length.
    """
    if not rows:
        return None
    pieces: List[str] = []
    end = 0
    for passage in passages(doc_id, rows):
        pieces.append(_blank(passage.start - end))
        pieces.append(passage.text)
        end = passage.end
    first = rows[0]
    return Document(
        id=doc_id,
        text="".join(pieces),
        title=first.get(FIELDS.title) or None,
        date=first.get(FIELDS.date) or None,
        source=first.get(FIELDS.source) or None,
        metadata=dict(first.get(FIELDS.metadata) or {}),
        text_start=len(pieces[0]),
    )


def _blank(length: int) -> str:
    """White space of ``length`` characters that reads as a paragraph break
    (a line break where there is room for one character only: passages are
    cut at line ends, and the document indexed again is cut alike)."""
    return "\n" if length == 1 else " " * (length - 2) + "\n\n" if length else ""
