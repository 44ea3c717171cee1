"""From the text a user types to a Whoosh query.

:mod:`.syntax` reads the query language (words, phrases, exclusions,
OR/AND/NOT, parentheses, prefixes, fuzzy words, boosts, field filters) into
a tree; this module walks the tree and builds Whoosh queries, and keeps
what the rest of a search needs to know of it (patterns to highlight,
corrections, notes). What a word expands to is :mod:`.expansion`'s
decision, what a filter keeps :mod:`.filters`'; the Whoosh span classes
used for phrases come from :mod:`.whoosh27`. Every word is analysed exactly as
the indexed text is, then resolved against the index's vocabulary so that a
word typed without accents also finds its accented spellings. A word that
analyses to several terms (``cessez-le-feu``, ``États-Unis``) is a phrase, so
it matches both the hyphenated and the spaced spelling; phrases keep the
gaps that stop words leave. Punctuation is never syntax: a French
"Qui est Lavrov ?" searches for Lavrov. A query made only of stop words
searches for them.

At a little over 400 lines it stays one module: the builder's methods call
one another at every node of the tree and share its state (patterns,
notes, corrections), which a cut would have to pass around.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from whoosh import query as wq

from . import syntax
from ..analysis import FrenchAnalyzer, joined_spelling
from ..storage.schema import FIELDS
from .expansion import (
    CORRECTION_WEIGHT,
    MAX_EXPANSION,
    WEAK_WORDS,
    Expander,
    Pattern,
    Resolver,
    Slot,
    capped,
    close_words,
    fuzzy_terms,
    is_weak,
    other_spellings,
    prefix_terms,
    synonym_runs,
)
from .filters import FILTER_FIELDS, RESTRICTING, date_range, filter_query, source_filter
from .synonyms import Synonyms
from .whoosh27 import Near, SpanEither

__all__ = [
    "BuiltQuery", "Pattern", "Expander", "Synonyms", "parse_query", "date_range", "source_filter",
    "SEARCH_FIELDS", "STOPS_FIELD", "MAX_EXPANSION", "WEAK_WORDS",
]

# Field and boost: a word in the title says more about a passage
# than the same word once in its body.
SEARCH_FIELDS: Tuple[Tuple[str, float], ...] = ((FIELDS.text, 1.0), (FIELDS.title, 1.5))
STOPS_FIELD = FIELDS.stops
# Whoosh's coordination bonus: passages matching more of the query's words
# gain over those matching fewer.
_COORDINATION = 0.9


@dataclass(frozen=True)
class BuiltQuery:
    """A query ready to run: the Whoosh query (None when nothing is left to
    search), the word and phrase patterns to highlight, and notes on how the
    query was read."""

    query: Optional[wq.Query]
    patterns: Tuple[Pattern, ...]
    notes: Tuple[str, ...] = field(default=())
    filter: Optional[wq.Query] = None
    corrections: Tuple[Tuple[str, str], ...] = ()
    #: each lone word's terms (other spellings aside) and its exact form
    #: (folded, not stemmed), so the ranking can favour passages holding
    #: the word as typed
    forms: Tuple[Tuple[FrozenSet[str], str], ...] = ()
    #: the query as read, and the indexed terms each of its words and
    #: phrases was resolved to, for telling users how their query was read
    tree: Optional[syntax.Group] = None
    resolved: Mapping[syntax.Node, Pattern] = field(default_factory=dict, compare=False, hash=False)


def _alternatives(fieldname: str, terms: Iterable[str], weights: Optional[Mapping[str, float]] = None) -> List[wq.Term]:
    weights = weights or {}
    return [wq.Term(fieldname, term, boost=weights.get(term, 1.0)) for term in sorted(terms)]


def _word_query(
    fieldname: str, terms: FrozenSet[str], boost: float, weights: Optional[Mapping[str, float]] = None
) -> wq.Query:
    """One word over one field; ``weights`` lowers some of its spellings."""
    leaves = _alternatives(fieldname, terms, weights)
    return leaves[0].with_boost(boost) if len(leaves) == 1 else wq.Or(leaves, boost=boost)


def _phrase_query(fieldname: str, pattern: Pattern) -> wq.Query:
    """Slots in order with exactly the gaps of the pattern between them."""

    def slot(terms: FrozenSet[str]) -> wq.Query:
        leaves = _alternatives(fieldname, terms)
        return leaves[0] if len(leaves) == 1 else SpanEither(leaves)

    query = slot(pattern[0][0])
    previous = pattern[0][1]
    for terms, offset in pattern[1:]:
        gap = offset - previous
        query = Near([query, slot(terms)], slop=gap, mindist=gap)
        previous = offset
    return query


def _title_query(pattern: Pattern) -> wq.Query:
    """A word or phrase in titles only (``title:``)."""
    title = FILTER_FIELDS["title"]
    return _word_query(title, pattern[0][0], 1.0) if len(pattern) == 1 else _phrase_query(title, pattern)


def _unit_query(pattern: Pattern, weights: Optional[Mapping[str, float]] = None) -> wq.Query:
    """Query for one word or phrase over every search field."""
    if len(pattern) == 1:
        return wq.Or([_word_query(name, pattern[0][0], boost, weights) for name, boost in SEARCH_FIELDS])
    return wq.Or([_phrase_query(name, pattern) for name, _ in SEARCH_FIELDS])


class _Builder:
    def __init__(
        self,
        analyzer: FrenchAnalyzer,
        resolve: Optional[Resolver],
        expand: Optional[Expander],
        synonyms: Optional[Synonyms] = None,
        weak_words: float = 1.0,
    ) -> None:
        self.analyzer = analyzer
        self.weak_words = weak_words
        self.resolve = resolve
        self.expand = expand
        self.synonyms = synonyms
        self.patterns: List[Pattern] = []
        self.stop_words: List[Tuple[str, str]] = []
        self.notes: List[str] = []
        self.filters: List[wq.Query] = []
        # (word as typed, the indexed term it was probably meant to be)
        self.corrections: List[Tuple[str, str]] = []
        self.forms: List[Tuple[FrozenSet[str], str]] = []
        # Each word, phrase and title filter of the tree: every indexed term it searches.
        self.resolved: Dict[syntax.Node, Pattern] = {}

    def pattern(self, text: str) -> Optional[Pattern]:
        slots: List[Slot] = []
        first: Optional[int] = None
        for position, _, _, (term, stop, key, _, _) in self.analyzer.words(text, extras=False):
            if term is None:
                if stop is not None and (stop, key) not in self.stop_words:
                    self.stop_words.append((stop, key))
                continue
            first = position if first is None else first
            terms = self.resolve(term, key) if self.resolve is not None else {term}
            slots.append((frozenset(terms), position - first))
        return tuple(slots) if slots else None

    def remember(self, pattern: Pattern) -> None:
        if pattern not in self.patterns:
            self.patterns.append(pattern)

    def node(self, node: syntax.Node, negated: bool = False) -> Optional[wq.Query]:
        if isinstance(node, syntax.Group):
            query = self.group(node, negated)
            return query.with_boost(node.boost) if query is not None and node.boost != 1.0 else query
        if isinstance(node, syntax.Either):
            options = [q for q in (self.node(option, negated) for option in node.options) if q is not None]
            return None if not options else options[0] if len(options) == 1 else wq.Or(options)
        if isinstance(node, syntax.Filter):
            return self.filter(node, negated)
        if isinstance(node, syntax.Word) and (node.prefix or node.fuzzy):
            return self.expanded(node, negated)
        pattern = self.pattern(node.text)
        if pattern is None:
            return None
        others = self.synonyms.members(node.text) if self.synonyms is not None else ()
        if others:
            self.resolved[node] = pattern
            return self.with_synonyms(_unit_query(pattern), pattern, others, node.boost, negated)
        weights: Dict[str, float] = {}
        typed = pattern
        if isinstance(node, (syntax.Word, syntax.Phrase)) and self.expand is not None:
            pattern, weights, corrections = other_spellings(self.expand, self.analyzer, node.text, pattern)
            self.corrections.extend(corrections)
        query = _unit_query(pattern, weights)
        boost = node.boost
        if isinstance(node, syntax.Word) and len(pattern) == 1 and not negated:
            self.remember_form(node.text, typed)
            if is_weak(node.text):
                boost *= self.weak_words
                self.remember(pattern)
            else:
                query, pattern = self.tolerant(node.text, pattern, query)
        elif not negated:
            self.remember(pattern)
        self.resolved[node] = pattern
        joined = self.joined(node.text, negated)
        if joined is not None:
            query = wq.Or([query, _unit_query(joined)])
        return query.with_boost(boost) if boost != 1.0 else query

    def joined(self, typed: str, negated: bool) -> Optional[Pattern]:
        """The pattern of a hyphenated word's spelling joined, which it also
        stands for: "e-mail" finds "email" (the index holds "e-mail" joined
        as well, so the other way needs nothing); None without one."""
        spelling = joined_spelling(typed)
        pattern = self.pattern(spelling) if spelling != typed else None
        if pattern is not None and not negated:
            self.remember(pattern)
        return pattern

    def remember_form(self, typed: str, pattern: Pattern) -> None:
        """A lone word's terms (its other spellings left out: they are
        other words, weighed as such) and exact form, folded, not stemmed."""
        forms = [info.form for _, _, _, info in self.analyzer.words(typed, extras=False) if info.term is not None]
        if len(forms) == 1 and (pattern[0][0], forms[0]) not in self.forms:
            self.forms.append((pattern[0][0], forms[0]))

    def with_synonyms(
        self, query: wq.Query, pattern: Pattern, others: Sequence[str], boost: float, negated: bool
    ) -> wq.Query:
        options = [query]
        if not negated:
            self.remember(pattern)
        for other in others:
            other_pattern = self.pattern(other)
            if other_pattern is not None:
                options.append(_unit_query(other_pattern))
                if not negated:
                    self.remember(other_pattern)
        either = wq.Or(options)
        return either.with_boost(boost) if boost != 1.0 else either

    def tolerant(self, typed: str, pattern: Pattern, exact: wq.Query) -> Tuple[wq.Query, Pattern]:
        """A word the index hardly knows also searches for the commoner
        words within one or two typing errors of it ("Astanna" → Astana,
        "Lavorv" → Lavrov), weighted below the spelling typed, so exact
        matches rank first where both exist. The pattern returned holds
        them too."""
        ((terms, _),) = pattern
        if self.expand is None or len(terms) != 1:
            self.remember(pattern)
            return exact, pattern
        (term,) = terms
        seen, close = close_words(self.expand, term)
        if not close:
            self.remember(pattern)
            return exact, pattern
        widened: Pattern = ((frozenset(terms | set(close)), 0),)
        self.remember(widened)
        self.corrections.append((typed, close[0]))
        fuzzy = wq.Or([_word_query(name, frozenset(close), boost * CORRECTION_WEIGHT) for name, boost in SEARCH_FIELDS])
        return (wq.Or([exact, fuzzy]) if seen else fuzzy), widened

    def expanded(self, word: syntax.Word, negated: bool) -> Optional[wq.Query]:
        if self.expand is None:
            return self._as_plain(word, negated)
        if word.prefix:
            found, note = prefix_terms(self.expand, word.text)
            if found is None:
                self.notes.append(note or "")
                return None
            terms = found
        else:
            pattern = self.pattern(word.text)
            if pattern is None or len(pattern) != 1:
                return self._as_plain(word, negated)
            (base, _), = pattern
            terms = fuzzy_terms(self.expand, base, word.fuzzy)
        terms, note = capped(terms, word.text)
        if note is not None:
            self.notes.append(note)
        if not terms:
            return None
        pattern = ((frozenset(terms), 0),)
        self.resolved[word] = pattern
        if not negated:
            self.remember(pattern)
        query = _unit_query(pattern)
        return query.with_boost(word.boost) if word.boost != 1.0 else query

    def _as_plain(self, word: syntax.Word, negated: bool) -> Optional[wq.Query]:
        """A prefix or fuzzy word searched as the word itself."""
        plain = syntax.Word(word.text, boost=word.boost)
        query = self.node(plain, negated)
        if plain in self.resolved:
            self.resolved[word] = self.resolved[plain]
        return query

    def filter(self, node: syntax.Filter, negated: bool) -> Optional[wq.Query]:
        value = node.value.text.strip()
        if node.name == "title":
            pattern = self.pattern(value)
            if pattern is None:
                return None
            self.resolved[node] = pattern
            if not negated:
                self.remember(pattern)
            joined = self.joined(value, negated)
            if joined is None:
                return _title_query(pattern)
            return wq.Or([_title_query(pattern), _title_query(joined)])
        prefix = isinstance(node.value, syntax.Word) and node.value.prefix
        query, note = filter_query(node.name, value, prefix, self.expand)
        if note is not None:
            self.notes.append(note)
        return query

    def group(self, group: syntax.Group, negated: bool = False, top: bool = False) -> Optional[wq.Query]:
        """The clauses of a group; filters of the top-level group restrict the
        search (without scoring), nested ones are ordinary clauses."""
        musts: List[wq.Query] = []
        shoulds: List[wq.Query] = []
        nots: List[wq.Query] = []
        for occur, child in synonym_runs(self.synonyms, group.clauses):
            if occur == syntax.MUST_NOT:
                query = self.node(child, not negated)
                if query is not None:
                    nots.append(query)
                continue
            query = self.node(child, negated)
            if query is None:
                continue
            if isinstance(child, syntax.Filter) and child.name in RESTRICTING:
                if top and not negated:
                    self.filters.append(query)  # restricts, does not score
                else:
                    musts.append(query)
            elif occur == syntax.MUST:
                musts.append(query)
            else:
                shoulds.append(query)
        positive: Optional[wq.Query] = None
        if musts:
            positive = musts[0] if len(musts) == 1 else wq.And(musts)
            if shoulds:
                positive = wq.AndMaybe(positive, shoulds[0] if len(shoulds) == 1 else wq.Or(shoulds, scale=_COORDINATION))
        elif shoulds:
            positive = shoulds[0] if len(shoulds) == 1 else wq.Or(shoulds, scale=_COORDINATION)
        if nots:
            excluded = nots[0] if len(nots) == 1 else wq.Or(nots)
            if positive is None:
                self.excluded_only = True
                return None
            # Whoosh 2.7's AndNot matcher lets some excluded documents through
            # (its skipping misses postings); And with Not does not.
            positive = wq.And([positive, wq.Not(excluded)])
        return positive

    excluded_only = False


def parse_query(
    text: str,
    analyzer: FrenchAnalyzer,
    resolve: Optional[Resolver] = None,
    expand: Optional[Expander] = None,
    synonyms: Optional[Synonyms] = None,
    weak_words: float = 1.0,
) -> BuiltQuery:
    """Read ``text`` with the index's ``analyzer``; ``resolve`` maps a word's
    term and accent key to the indexed terms it should match; ``expand``
    answers prefixes, fuzzy words and source filters; ``weak_words`` is the
    weight of question words and filler (:data:`WEAK_WORDS`)."""
    parsed = syntax.parse(text)
    builder = _Builder(analyzer, resolve, expand, synonyms, weak_words)
    query = builder.group(parsed.root, top=True)
    notes = list(dict.fromkeys(parsed.notes + builder.notes))  # each said once
    filters = builder.filters
    if query is None and filters and not builder.excluded_only:
        query = wq.Every()
    if query is not None:
        return BuiltQuery(
            query, tuple(builder.patterns), tuple(notes), _combine(filters), tuple(builder.corrections), tuple(builder.forms),
            parsed.root, builder.resolved,
        )
    if builder.excluded_only:
        notes.append("only exclusions (-word, NOT): nothing to search for")
        return BuiltQuery(None, (), tuple(notes), tree=parsed.root, resolved=builder.resolved)
    if builder.stop_words:
        stops = _stop_words_query(builder.stop_words, resolve)
        return BuiltQuery(
            stops.query, stops.patterns, tuple(notes) + stops.notes, _combine(filters), tree=parsed.root,
            resolved=builder.resolved,
        )
    return BuiltQuery(None, (), tuple(notes + ["no words to search for"]), tree=parsed.root, resolved=builder.resolved)


def _combine(filters: Sequence[wq.Query]) -> Optional[wq.Query]:
    return None if not filters else filters[0] if len(filters) == 1 else wq.And(list(filters))


def _stop_words_query(stop_words: Sequence[Tuple[str, str]], resolve: Optional[Resolver]) -> BuiltQuery:
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
    return BuiltQuery(query, tuple(patterns), (note,))
