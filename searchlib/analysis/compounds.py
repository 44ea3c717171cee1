"""Words written more than one way that the analyzer makes meet.

French writes many words both joined and hyphenated (``email`` and
``e-mail``, ``weekend`` and ``week-end``, ``covid19`` and ``COVID-19``), and
some names carry an apostrophe that is no elision (``O'Neill``, where
``d'Estaing`` is elided to ``Estaing``). Besides the parts of a hyphenated
word, the analyzer therefore also gives the word joined, and besides a name
with such an apostrophe, its part after the apostrophe; each at the
position of the word's first token, so the positions of every other word,
and so phrases, are unchanged. No list is involved.

These rules are shared by the composed pipeline (:class:`CompoundFilter`)
and the fused analyzer, which must give the same tokens.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Tuple

from whoosh.analysis import Filter, Token

from .words import _TOKEN_RE, LONGEST_WRITTEN, normalize_word

HYPHENS = "-\u2010\u2011"
_NORMALIZED_APOSTROPHE = "'"


def after_hyphen(value: str, previous: Tuple[int, int], current: Tuple[int, int]) -> bool:
    """Whether the token at ``current`` follows the one at ``previous``
    across one hyphen and nothing else (offsets into ``value``). A number
    grouped by spaces ("280 000") is never part of a hyphenated word: the
    fused analyzer reads it apart from the rest of the text."""
    return (
        previous[1] + 1 == current[0]
        and value[previous[1]] in HYPHENS
        and not _has_space(value, *previous)
        and not _has_space(value, *current)
    )


def _has_space(value: str, start: int, end: int) -> bool:
    return any(char.isspace() for char in value[start:end])


def joinable(surfaces: Sequence[str]) -> bool:
    """Whether hyphenated parts make a word worth joining: a letter among
    them (``2016-2017`` is a range, not a word) and no part so long that
    the analyzer drops it unread."""
    return (
        len(surfaces) > 1
        and any(char.isalpha() for surface in surfaces for char in surface)
        and not any(len(surface) > LONGEST_WRITTEN for surface in surfaces)
    )


def runs(value: str, spans: Sequence[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """The hyphenated words among the tokens at ``spans`` (in order), as
    (first, last) token numbers, for those worth joining."""
    found: List[Tuple[int, int]] = []
    first = 0
    for number in range(1, len(spans) + 1):
        if number < len(spans) and after_hyphen(value, spans[number - 1], spans[number]):
            continue
        if number - first > 1 and joinable([value[start:end] for start, end in spans[first:number]]):
            found.append((first, number - 1))
        first = number
    return found


def joined_spelling(value: str) -> str:
    """``value`` with its hyphenated words written joined, as the analyzer
    also indexes them ("un e-mail" → "un email"); queries use it to find
    the joined spelling too."""
    if not any(hyphen in value for hyphen in HYPHENS):
        return value  # nothing to join: no need to tokenize
    spans = [match.span() for match in _TOKEN_RE.finditer(value)]
    hyphens = {spans[number][0] - 1 for first, last in runs(value, spans) for number in range(first + 1, last + 1)}
    return "".join(char for index, char in enumerate(value) if index not in hyphens) if hyphens else value


def name_part(word: str, surface: str) -> Optional[Tuple[str, int]]:
    """A name's part after an apostrophe that is no elision, and where it
    starts in ``surface`` (the word as written): ``o'neill`` written
    ``O’Neill`` gives ``("neill", 2)``. ``word`` is the word normalised,
    lower-cased and past any elision; a part written in lower case is not
    a name's (``aujourd'hui`` stays whole)."""
    cut = word.rfind(_NORMALIZED_APOSTROPHE)
    if cut < 0 or cut + 1 == len(word) or len(surface) > LONGEST_WRITTEN:
        return None
    start = _part_start(surface)
    if start is None or not surface[start : start + 1].isupper():
        return None
    return word[cut + 1 :], start


def _part_start(surface: str) -> Optional[int]:
    # The last character written as an apostrophe, or holding one (NFKC
    # makes "ŉ" an apostrophe and "n"): the part starts after it, or at it.
    for index in range(len(surface) - 1, -1, -1):
        normal = normalize_word(surface[index])
        if _NORMALIZED_APOSTROPHE in normal:
            return index + 1 if normal.endswith(_NORMALIZED_APOSTROPHE) else index
    return None


class CompoundFilter(Filter):
    """After each hyphenated word's first part, the word joined; then, after
    a name with an apostrophe that is no elision, its part after it (see
    the module's description), so tokens never start before the last. Runs after the elision step, on the tokens of
    :class:`~searchlib.analysis.FrenchTokenizer`, which marks each token
    that follows a hyphen."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        run: List[Token] = []
        for token in tokens:
            if run and not getattr(token, "after_hyphen", False):
                yield from self._with_extras(run)
                run = []
            run.append(token.copy())
        yield from self._with_extras(run)

    @staticmethod
    def _with_extras(run: List[Token]) -> List[Token]:
        # All made before any is yielded: the next steps change a token's text in place.
        result: List[Token] = []
        for number, token in enumerate(run):
            result.append(token)
            if number == 0 and joinable([t.surface for t in run]):
                joined = token.copy()
                joined.text = "".join(t.text for t in run)
                joined.surface = "".join(t.surface for t in run)
                if joined.chars:
                    joined.endchar = run[-1].endchar
                result.append(joined)
            part = name_part(token.text, token.surface)
            if part is not None:
                extra = token.copy()
                extra.text = part[0]
                if extra.chars:
                    extra.startchar = token.endchar - len(token.surface) + part[1]
                result.append(extra)
        return result
