"""From the text a user types to a Whoosh query.

This first reading of the query language knows bare words and "quoted
phrases" (also « guillemets » and “curly quotes”). Every word is analysed
exactly as the indexed text is; a word that analyses to several terms
(``cessez-le-feu``, ``États-Unis``) becomes a phrase, so it matches both
the hyphenated and the spaced spelling. Punctuation is never syntax: a
French "Qui est Lavrov ?" searches for Lavrov.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from whoosh import query as wq

from .analysis import Token

__all__ = ["ParsedQuery", "Pattern", "parse_query", "SEARCH_FIELDS"]

# Field name and boost: a word in the title says more about a passage
# than the same word once in its body.
SEARCH_FIELDS: Tuple[Tuple[str, float], ...] = (("text", 1.0), ("title", 1.5))
# Whoosh's coordination bonus: passages matching more of the query's words
# gain over those matching fewer.
_COORDINATION = 0.9

_PART_RE = re.compile(r'"(?P<dq>[^"]*)"?|[«“](?P<fq>[^»”]*)[»”]?|(?P<word>[^\s"«»“”]+)')

Analyzer = Callable[[str], Sequence[Token]]


# A word or phrase to highlight: its terms with their positions relative to
# the first one (stop words leave gaps).
Pattern = Tuple[Tuple[str, int], ...]


@dataclass(frozen=True)
class ParsedQuery:
    """A query ready to run: the Whoosh query (None when nothing is left to
    search), the word and phrase patterns to highlight, and notes on how the
    query was read."""

    query: Optional[wq.Query]
    patterns: Tuple[Pattern, ...]
    notes: Tuple[str, ...] = field(default=())


def _unit_query(tokens: Sequence[Token]) -> wq.Query:
    """Query for one word or phrase over every search field."""
    alternatives: List[wq.Query] = []
    for fieldname, boost in SEARCH_FIELDS:
        if len(tokens) == 1:
            alternatives.append(wq.Term(fieldname, tokens[0].text, boost=boost))
        else:
            # Removed stop words leave gaps between positions; allow them.
            slop = max(b.position - a.position for a, b in zip(tokens, tokens[1:]))
            alternatives.append(
                wq.Phrase(fieldname, [t.text for t in tokens], slop=max(1, slop), boost=boost)
            )
    return wq.Or(alternatives)


def _parts(text: str) -> Iterable[str]:
    for match in _PART_RE.finditer(text):
        yield next(g for g in match.groups() if g is not None)


def parse_query(text: str, analyze: Analyzer) -> ParsedQuery:
    """Read ``text`` with ``analyze`` (the index's analyzer)."""
    units: List[wq.Query] = []
    patterns: List[Pattern] = []
    ignored: List[str] = []
    for part in _parts(text):
        tokens = analyze(part)
        if not tokens:
            if any(ch.isalnum() for ch in part):
                ignored.append(part)
            continue
        first = tokens[0].position
        pattern = tuple((t.text, t.position - first) for t in tokens)
        if pattern not in patterns:
            patterns.append(pattern)
        units.append(_unit_query(tokens))
    if not units:
        if ignored:
            note = "only common words (" + ", ".join(ignored) + "): nothing to search for"
        else:
            note = "no words to search for"
        return ParsedQuery(None, (), (note,))
    query = units[0] if len(units) == 1 else wq.Or(units, scale=_COORDINATION)
    return ParsedQuery(query, tuple(patterns))
