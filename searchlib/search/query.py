"""From the text a user types to a Whoosh query.

:mod:`._syntax` reads the query language (words, phrases, exclusions,
OR/AND/NOT, parentheses, prefixes, fuzzy words, boosts, field filters) into
a tree; this module turns the tree into Whoosh queries. Every word is analysed exactly as
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
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Set,
    Tuple,
)

from whoosh import query as wq
from whoosh.query.spans import SpanNear2, SpanOr

from . import syntax
from ..analysis import FrenchAnalyzer, fold, joined_spelling, normalize_word, strip_elision
from ..ingest._decode import escape_surrogates
from .synonyms import Synonyms

__all__ = ["BuiltQuery", "Pattern", "Expander", "Synonyms", "parse_query", "date_range", "source_filter", "SEARCH_FIELDS", "STOPS_FIELD"]

# Field name and boost: a word in the title says more about a passage
# than the same word once in its body.
SEARCH_FIELDS: Tuple[Tuple[str, float], ...] = (("text", 1.0), ("title", 1.5))
STOPS_FIELD = "stops"
# Whoosh's coordination bonus: passages matching more of the query's words
# gain over those matching fewer.
_COORDINATION = 0.9

# One slot of a word or phrase: the terms that may fill it, and its position
# relative to the first slot.
Slot = Tuple[FrozenSet[str], int]
# A word or phrase to find (and highlight): its slots in order.
Pattern = Tuple[Slot, ...]
# Resolves a query word's (term, accent key) to the indexed terms it stands
# for; a stop word has no term of its own (None).
Resolver = Callable[[Optional[str], str], Set[str]]


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


class _Near(SpanNear2):
    """Whoosh 2.7.4's SpanNear2 refers to an undefined name when asked for
    its size estimate (which ``Or`` does): this one answers."""

    def _and_query(self) -> wq.Query:
        return wq.And(self.qs)


class _SpanEither(SpanOr):
    """Whoosh 2.7.4's SpanOr cannot estimate its size either (``Or`` and
    ``SpanNear2`` ask when a phrase slot has several spellings)."""

    def estimate_size(self, ixreader: Any) -> int:
        return int(sum(q.estimate_size(ixreader) for q in self.subqs))


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
        return leaves[0] if len(leaves) == 1 else _SpanEither(leaves)

    query = slot(pattern[0][0])
    previous = pattern[0][1]
    for terms, offset in pattern[1:]:
        gap = offset - previous
        query = _Near([query, slot(terms)], slop=gap, mindist=gap)
        previous = offset
    return query


def _title_query(pattern: Pattern) -> wq.Query:
    """A word or phrase in titles only (``title:``)."""
    return _word_query("title", pattern[0][0], 1.0) if len(pattern) == 1 else _phrase_query("title", pattern)


def _unit_query(pattern: Pattern, weights: Optional[Mapping[str, float]] = None) -> wq.Query:
    """Query for one word or phrase over every search field."""
    if len(pattern) == 1:
        return wq.Or([_word_query(name, pattern[0][0], boost, weights) for name, boost in SEARCH_FIELDS])
    return wq.Or([_phrase_query(name, pattern) for name, _ in SEARCH_FIELDS])


class Expander(Protocol):
    """What the index knows beyond a word's own spellings: terms starting
    with a prefix, terms within an edit distance, sources containing a text.
    Each answer is capped at ``limit`` terms."""

    def prefixed(self, prefix: str, limit: int) -> List[str]: ...

    def within(self, term: str, distance: int, limit: int) -> List[str]: ...

    def sources(self, text: str, limit: int) -> List[str]: ...

    def frequency(self, term: str) -> int: ...

    def sounding(self, folded: str, indexed: bool = False) -> List[str]: ...


# Caps on how far one query word may expand, so no query can take the index down.
MAX_EXPANSION = 64
# Typo tolerance: a word found in fewer than _RARE passages also searches for
# up to _MAX_CORRECTIONS commoner words close to it, at a lower weight.
_RARE = 3
_MIN_TOLERANT_LENGTH = 4
_MAX_CORRECTIONS = 3
_CORRECTION_WEIGHT = 0.5
#: weight of a name's other spellings where the one typed is indexed too
_VARIANT_WEIGHT = 0.5
#: other spellings found in under 1/_RARER_SPELLING as many passages as the one typed are left out
_RARER_SPELLING = 10
_FILTER_FIELDS = frozenset({"source", "doc", "date"})
# Question words, conversational filler, and the auxiliary and modal verbs
# the stop list leaves out ("a" for fear of "à", the infinitives, pouvoir,
# devoir, falloir: "Qui a pu signer ?"): they say what kind of answer is
# wanted, not what it is about, so they weigh less than the other words of a
# query (folded spellings; most other such words are stop words already).
WEAK_WORDS = frozenset(
    """quel quelle quels quelles lequel laquelle lesquels lesquelles duquel auquel auxquels auxquelles
    desquels desquelles combien comment pourquoi quand quoi ou donc alors voici voila svp stp merci
    bonjour salut
    a avoir etre peut peuvent pouvait pourrait pourraient doit doivent devait devrait devraient
    faut fallait faudrait""".split()
)
_DATE_RE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_RANGE_RE = re.compile(r"(?P<start>[^.]*)\.\.(?P<end>.*)")
_COMPARE_RE = re.compile(r"(?P<op>>=|<=|>|<)(?P<date>.+)")


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
            pattern, weights = self.spelt_otherwise(node.text, pattern)
        query = _unit_query(pattern, weights)
        boost = node.boost
        if isinstance(node, syntax.Word) and len(pattern) == 1 and not negated:
            self.remember_form(node.text, typed)
            if fold(normalize_word(node.text.lower())) in WEAK_WORDS:
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
        forms = [info[4] for _, _, _, info in self.analyzer.words(typed, extras=False) if info[0] is not None]
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

    def _runs(self, clauses: Sequence[syntax.Clause]) -> List[syntax.Clause]:
        """Clauses with each run of plain words that is a synonym ("Nations
        unies") made one phrase-like clause, so its group applies."""
        if self.synonyms is None or len(self.synonyms) == 0:
            return list(clauses)
        result: List[syntax.Clause] = []
        i = 0
        while i < len(clauses):
            for j in range(min(len(clauses), i + Synonyms._MAX_WORDS), i + 1, -1):
                run = clauses[i:j]
                if all(occur == run[0][0] and occur != syntax.MUST_NOT and _plain_word(node) for occur, node in run):
                    text = " ".join(node.text for _, node in run)  # type: ignore[union-attr]
                    if self.synonyms.members(text):
                        result.append((run[0][0], syntax.Phrase(text)))
                        i = j
                        break
            else:
                result.append(clauses[i])
                i += 1
        return result

    def spelt_otherwise(self, typed: str, pattern: Pattern) -> Tuple[Pattern, Dict[str, float]]:
        """A name also stands for its other spellings found in the index
        (Daech for Daesh, Manbij for Minbej): the pattern with them, and the
        weight of each. They count :data:`_VARIANT_WEIGHT` as much as the
        spelling typed, since a skeleton shared by two common words (Gérard,
        Girard) is no proof they name one thing; a spelling the index does
        not hold at all is taken for the indexed one, at full weight."""
        assert self.expand is not None
        surfaces = [typed[start:end] for _, start, end, info in self.analyzer.words(typed, extras=False) if info[0] is not None]
        if len(surfaces) != len(pattern):
            return pattern, {}
        slots: List[Slot] = []
        weights: Dict[str, float] = {}
        for (terms, offset), surface in zip(pattern, surfaces):
            seen = max((self.expand.frequency(term) for term in terms), default=0)
            others = set(self.expand.sounding(fold(normalize_word(surface.lower())), indexed=seen > 0)) - terms
            # A spelling far rarer than the one typed is more often another
            # name (France, Franck) than the same one: it adds noise, not recall.
            others = {other for other in others if self.expand.frequency(other) * _RARER_SPELLING >= seen}
            if others and not seen:
                # The spelling typed is nowhere in the index: suggest the one that is.
                self.corrections.append((surface, max(others, key=self.expand.frequency)))
            elif others:
                weights.update(dict.fromkeys(others, _VARIANT_WEIGHT))
            slots.append((terms | frozenset(others), offset))
        return tuple(slots), weights

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
        seen = self.expand.frequency(term)
        if len(term) < _MIN_TOLERANT_LENGTH or seen >= _RARE:
            self.remember(pattern)
            return exact, pattern
        distance = 1 if len(term) <= 5 else 2
        close = [
            (self.expand.frequency(other), other)
            for other in self.expand.within(term, distance, MAX_EXPANSION)
            if other != term
        ]
        close = sorted((c for c in close if c[0] > seen), reverse=True)[:_MAX_CORRECTIONS]
        if not close:
            self.remember(pattern)
            return exact, pattern
        widened: Pattern = ((frozenset(terms | {other for _, other in close}), 0),)
        self.remember(widened)
        self.corrections.append((typed, close[0][1]))
        fuzzy = wq.Or([_word_query(name, frozenset(o for _, o in close), boost * _CORRECTION_WEIGHT) for name, boost in SEARCH_FIELDS])
        return (wq.Or([exact, fuzzy]) if seen else fuzzy), widened

    def expanded(self, word: syntax.Word, negated: bool) -> Optional[wq.Query]:
        if self.expand is None:
            return self._as_plain(word, negated)
        if word.prefix:
            prefix = fold(strip_elision(normalize_word(word.text.lower())))
            prefix = re.sub(r"[^\w]", "", prefix)
            if len(prefix) < 2:
                self.notes.append(f"'{word.text}*': a prefix needs at least 2 letters; ignored")
                return None
            terms = self.expand.prefixed(prefix, MAX_EXPANSION + 1)
        else:
            pattern = self.pattern(word.text)
            if pattern is None or len(pattern) != 1:
                return self._as_plain(word, negated)
            (base, _), = pattern
            terms = sorted({t for term in base for t in self.expand.within(term, word.fuzzy, MAX_EXPANSION + 1)} | base)
        if len(terms) > MAX_EXPANSION:
            self.notes.append(f"'{word.text}' matches too many words: only the first {MAX_EXPANSION} are searched")
            terms = terms[:MAX_EXPANSION]
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
        if node.name in ("doc", "source"):
            # Ids and sources are indexed with lone surrogates escaped (a
            # Whoosh term cannot hold one): look them up the same way.
            value = escape_surrogates(value)
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
        if node.name == "doc":
            if isinstance(node.value, syntax.Word) and node.value.prefix:
                return wq.Prefix("doc_id", value)
            return wq.Term("doc_id", value)
        if node.name == "source":
            return source_filter(self.expand, value) if self.expand is not None else wq.Term("source", value)
        return self.date(value)

    def date(self, value: str) -> Optional[wq.Query]:
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
                self.notes.append(f"'date:{value}' is not a date (2016, 2016-07, 2016-07..2016-09, >=2017-01); ignored")
                return None
        return date_range(low, high)

    def group(self, group: syntax.Group, negated: bool = False, top: bool = False) -> Optional[wq.Query]:
        """The clauses of a group; filters of the top-level group restrict the
        search (without scoring), nested ones are ordinary clauses."""
        musts: List[wq.Query] = []
        shoulds: List[wq.Query] = []
        nots: List[wq.Query] = []
        for occur, child in self._runs(group.clauses):
            if occur == syntax.MUST_NOT:
                query = self.node(child, not negated)
                if query is not None:
                    nots.append(query)
                continue
            query = self.node(child, negated)
            if query is None:
                continue
            if isinstance(child, syntax.Filter) and child.name in _FILTER_FIELDS:
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


def _plain_word(node: syntax.Node) -> bool:
    return isinstance(node, syntax.Word) and not node.prefix and not node.fuzzy and node.boost == 1.0


def source_filter(expand: Expander, text: str) -> wq.Query:
    """Passages whose source contains ``text`` (at most 256 sources)."""
    sources = expand.sources(text, MAX_EXPANSION * 4)
    return wq.Or([wq.Term("source", source) for source in sources]) if sources else wq.NullQuery()


def date_range(low: Optional[str], high: Optional[str]) -> wq.Query:
    """Passages dated from ``low`` (inclusive) to ``high`` (exclusive), ISO strings."""
    return wq.TermRange("date", low or "0", high or "\uffff", startexcl=False, endexcl=True)


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
