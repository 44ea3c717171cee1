"""What one query word stands for beyond itself, and how far it may go.

A word typed in a query also finds: its other spellings in the index
(names transliterated several ways: Daech, Daesh), the commoner words a
typing error or two away when the index hardly knows it (typo tolerance),
the terms starting with it (``word*``) or within an edit distance
(``word~``), and the other members of its synonym group ("ONU", "Nations
unies"). Each answer comes from the index (an :class:`Expander`) and is
capped, so no query can take the index down; the caps and weights are here.

Apart from :mod:`.query`, which walks the query tree and builds Whoosh
queries: this module only decides which terms a word expands to and at
what weight, and knows nothing of Whoosh's query classes.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, FrozenSet, List, Optional, Protocol, Sequence, Set, Tuple

from . import syntax
from ..analysis import FrenchAnalyzer, fold, normalize_word, strip_elision
from .synonyms import MAX_WORDS, Synonyms

__all__ = [
    "Expander", "Slot", "Pattern", "Resolver", "MAX_EXPANSION", "WEAK_WORDS", "VARIANT_WEIGHT", "CORRECTION_WEIGHT",
    "is_weak", "other_spellings", "close_words", "prefix_terms", "fuzzy_terms", "capped", "synonym_runs",
]

# One slot of a word or phrase: the terms that may fill it, and its position
# relative to the first slot.
Slot = Tuple[FrozenSet[str], int]
# A word or phrase to find (and highlight): its slots in order.
Pattern = Tuple[Slot, ...]
# Resolves a query word's (term, accent key) to the indexed terms it stands
# for; a stop word has no term of its own (None).
Resolver = Callable[[Optional[str], str], Set[str]]


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
CORRECTION_WEIGHT = 0.5
#: weight of a name's other spellings where the one typed is indexed too
VARIANT_WEIGHT = 0.5
#: other spellings found in under 1/_RARER_SPELLING as many passages as the one typed are left out
_RARER_SPELLING = 10
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


def is_weak(typed: str) -> bool:
    """Whether a word typed is a question word or filler (:data:`WEAK_WORDS`)."""
    return fold(normalize_word(typed.lower())) in WEAK_WORDS


def other_spellings(
    expand: Expander, analyzer: FrenchAnalyzer, typed: str, pattern: Pattern
) -> Tuple[Pattern, Dict[str, float], List[Tuple[str, str]]]:
    """A name also stands for its other spellings found in the index
    (Daech for Daesh, Manbij for Minbej): the pattern with them, the
    weight of each, and the corrections to suggest (a spelling typed that
    the index does not hold, and the indexed one). They count
    :data:`VARIANT_WEIGHT` as much as the spelling typed, since a skeleton
    shared by two common words (Gérard, Girard) is no proof they name one
    thing; a spelling the index does not hold at all is taken for the
    indexed one, at full weight."""
    surfaces = [typed[start:end] for _, start, end, info in analyzer.words(typed, extras=False) if info.term is not None]
    if len(surfaces) != len(pattern):
        return pattern, {}, []
    slots: List[Slot] = []
    weights: Dict[str, float] = {}
    corrections: List[Tuple[str, str]] = []
    for (terms, offset), surface in zip(pattern, surfaces):
        seen = max((expand.frequency(term) for term in terms), default=0)
        others = set(expand.sounding(fold(normalize_word(surface.lower())), indexed=seen > 0)) - terms
        # A spelling far rarer than the one typed is more often another
        # name (France, Franck) than the same one: it adds noise, not recall.
        others = {other for other in others if expand.frequency(other) * _RARER_SPELLING >= seen}
        if others and not seen:
            # The spelling typed is nowhere in the index: suggest the one that is.
            corrections.append((surface, max(others, key=expand.frequency)))
        elif others:
            weights.update(dict.fromkeys(others, VARIANT_WEIGHT))
        slots.append((terms | frozenset(others), offset))
    return tuple(slots), weights, corrections


def close_words(expand: Expander, term: str) -> Tuple[int, List[str]]:
    """Typo tolerance: how many passages hold ``term``, and, for a word
    the index hardly knows, the commoner words within one or two typing
    errors of it ("Astanna" → Astana, "Lavorv" → Lavrov), commonest
    first (none for a short or common word)."""
    seen = expand.frequency(term)
    if len(term) < _MIN_TOLERANT_LENGTH or seen >= _RARE:
        return seen, []
    distance = 1 if len(term) <= 5 else 2
    close = [(expand.frequency(other), other) for other in expand.within(term, distance, MAX_EXPANSION) if other != term]
    close = sorted((c for c in close if c[0] > seen), reverse=True)[:_MAX_CORRECTIONS]
    return seen, [other for _, other in close]


def prefix_terms(expand: Expander, typed: str) -> Tuple[Optional[List[str]], Optional[str]]:
    """The indexed terms starting with a prefix typed (``word*``), one more
    than the cap (see :func:`capped`); None and a note when the prefix is
    too short to search."""
    prefix = fold(strip_elision(normalize_word(typed.lower())))
    prefix = re.sub(r"[^\w]", "", prefix)
    if len(prefix) < 2:
        return None, f"'{typed}*': a prefix needs at least 2 letters; ignored"
    return expand.prefixed(prefix, MAX_EXPANSION + 1), None


def fuzzy_terms(expand: Expander, base: FrozenSet[str], distance: int) -> List[str]:
    """A fuzzy word's terms (``word~``): its own and those within
    ``distance`` edits of them, sorted, one more than the cap."""
    return sorted({t for term in base for t in expand.within(term, distance, MAX_EXPANSION + 1)} | base)


def capped(terms: List[str], typed: str) -> Tuple[List[str], Optional[str]]:
    """At most :data:`MAX_EXPANSION` of an expansion's terms, and a note when some were left out."""
    if len(terms) > MAX_EXPANSION:
        return terms[:MAX_EXPANSION], f"'{typed}' matches too many words: only the first {MAX_EXPANSION} are searched"
    return terms, None


def synonym_runs(synonyms: Optional[Synonyms], clauses: Sequence[syntax.Clause]) -> List[syntax.Clause]:
    """Clauses with each run of plain words that is a synonym ("Nations
    unies") made one phrase-like clause, so its group applies."""
    if synonyms is None or len(synonyms) == 0:
        return list(clauses)
    result: List[syntax.Clause] = []
    i = 0
    while i < len(clauses):
        for j in range(min(len(clauses), i + MAX_WORDS), i + 1, -1):
            run = clauses[i:j]
            if all(occur == run[0][0] and occur != syntax.MUST_NOT and _plain_word(node) for occur, node in run):
                text = " ".join(node.text for _, node in run)  # type: ignore[union-attr]
                if synonyms.members(text):
                    result.append((run[0][0], syntax.Phrase(text)))
                    i = j
                    break
        else:
            result.append(clauses[i])
            i += 1
    return result


def _plain_word(node: syntax.Node) -> bool:
    return isinstance(node, syntax.Word) and not node.prefix and not node.fuzzy and node.boost == 1.0
