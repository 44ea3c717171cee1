"""From the text a user types to a Whoosh query.

This reading of the query language knows bare words and "quoted phrases"
(also « guillemets » and “curly quotes”). Every word is analysed exactly as
the indexed text is, then resolved against the index's vocabulary so that a
word typed without accents also finds its accented spellings. A word that
analyses to several terms (``cessez-le-feu``, ``États-Unis``) is a phrase, so
it matches both the hyphenated and the spaced spelling; phrases keep the
gaps that stop words leave. Punctuation is never syntax: a French
"Qui est Lavrov ?" searches for Lavrov. A query made only of stop words
searches for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from whoosh import query as wq
from whoosh.query.spans import SpanNear2, SpanOr

from .analysis import FrenchAnalyzer

__all__ = ["ParsedQuery", "Pattern", "parse_query", "SEARCH_FIELDS", "STOPS_FIELD"]

# Field name and boost: a word in the title says more about a passage
# than the same word once in its body.
SEARCH_FIELDS: Tuple[Tuple[str, float], ...] = (("text", 1.0), ("title", 1.5))
STOPS_FIELD = "stops"
# Whoosh's coordination bonus: passages matching more of the query's words
# gain over those matching fewer.
_COORDINATION = 0.9

_PART_RE = re.compile(r'"(?P<dq>[^"]*)"?|[«“](?P<fq>[^»”]*)[»”]?|(?P<word>[^\s"«»“”]+)')

# One slot of a word or phrase: the terms that may fill it, and its position
# relative to the first slot.
Slot = Tuple[FrozenSet[str], int]
# A word or phrase to find (and highlight): its slots in order.
Pattern = Tuple[Slot, ...]
# Resolves a query word's (term, accent key) to the indexed terms it stands
# for; a stop word has no term of its own (None).
Resolver = Callable[[Optional[str], str], Set[str]]


@dataclass(frozen=True)
class ParsedQuery:
    """A query ready to run: the Whoosh query (None when nothing is left to
    search), the word and phrase patterns to highlight, and notes on how the
    query was read."""

    query: Optional[wq.Query]
    patterns: Tuple[Pattern, ...]
    notes: Tuple[str, ...] = field(default=())


class _Near(SpanNear2):
    """Whoosh 2.7.4's SpanNear2 refers to an undefined name when asked for
    its size estimate (which ``Or`` does): this one answers."""

    def _and_query(self) -> wq.Query:
        return wq.And(self.qs)


def _alternatives(fieldname: str, terms: Iterable[str]) -> List[wq.Term]:
    return [wq.Term(fieldname, term) for term in sorted(terms)]


def _word_query(fieldname: str, terms: FrozenSet[str], boost: float) -> wq.Query:
    leaves = _alternatives(fieldname, terms)
    return leaves[0].with_boost(boost) if len(leaves) == 1 else wq.Or(leaves, boost=boost)


def _phrase_query(fieldname: str, pattern: Pattern) -> wq.Query:
    """Slots in order with exactly the gaps of the pattern between them."""

    def slot(terms: FrozenSet[str]) -> wq.Query:
        leaves = _alternatives(fieldname, terms)
        return leaves[0] if len(leaves) == 1 else SpanOr(leaves)

    query = slot(pattern[0][0])
    previous = pattern[0][1]
    for terms, offset in pattern[1:]:
        gap = offset - previous
        query = _Near([query, slot(terms)], slop=gap, mindist=gap)
        previous = offset
    return query


def _unit_query(pattern: Pattern) -> wq.Query:
    """Query for one word or phrase over every search field."""
    if len(pattern) == 1:
        return wq.Or([_word_query(name, pattern[0][0], boost) for name, boost in SEARCH_FIELDS])
    return wq.Or([_phrase_query(name, pattern) for name, _ in SEARCH_FIELDS])


def _parts(text: str) -> Iterator[str]:
    for match in _PART_RE.finditer(text):
        yield next(g for g in match.groups() if g is not None)


def parse_query(text: str, analyzer: FrenchAnalyzer, resolve: Optional[Resolver] = None) -> ParsedQuery:
    """Read ``text`` with the index's ``analyzer``; ``resolve`` maps a word's
    term and accent key to the indexed terms it should match."""
    patterns: List[Pattern] = []
    stop_words: List[Tuple[str, str]] = []
    for part in _parts(text):
        slots: List[Slot] = []
        first: Optional[int] = None
        for position, _, _, (term, stop, key, _) in analyzer.words(part):
            if term is None:
                if stop is not None and (stop, key) not in stop_words:
                    stop_words.append((stop, key))
                continue
            first = position if first is None else first
            terms = resolve(term, key) if resolve is not None else {term}
            slots.append((frozenset(terms), position - first))
        pattern = tuple(slots)
        if pattern and pattern not in patterns:
            patterns.append(pattern)

    if patterns:
        units = [_unit_query(pattern) for pattern in patterns]
        query = units[0] if len(units) == 1 else wq.Or(units, scale=_COORDINATION)
        return ParsedQuery(query, tuple(patterns))
    if stop_words:
        return _stop_words_query(stop_words, resolve)
    return ParsedQuery(None, (), ("no words to search for",))


def _stop_words_query(stop_words: Sequence[Tuple[str, str]], resolve: Optional[Resolver]) -> ParsedQuery:
    """A query of only common words ("il était", "qui") searches for them as
    written, and for words that differ from them only by accents ("maïs"
    typed as "mais", "là" as "la")."""
    units: List[wq.Query] = []
    patterns: List[Pattern] = []
    for stop, key in stop_words:
        accented = resolve(None, key) if resolve is not None else set()
        terms = frozenset({stop} | accented)
        leaves = [wq.Term(STOPS_FIELD, stop)] + [
            wq.Term(name, term, boost=boost) for term in sorted(accented) for name, boost in SEARCH_FIELDS
        ]
        units.append(leaves[0] if len(leaves) == 1 else wq.Or(leaves))
        patterns.append(((terms, 0),))
    query = units[0] if len(units) == 1 else wq.Or(units, scale=_COORDINATION)
    note = "only common words (" + ", ".join(stop for stop, _ in stop_words) + "): matched as written"
    return ParsedQuery(query, tuple(patterns), (note,))
