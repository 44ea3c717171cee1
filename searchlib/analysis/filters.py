"""The analysis as composable Whoosh filters, one step each.

Each step of :mod:`.words` wrapped as a Whoosh tokenizer or filter, so the
steps compose and can be tested alone, as Whoosh composes its own::

    FrenchTokenizer() | NormalizeFilter() | LowercaseFilter() | ElisionFilter()
        | CompoundFilter() | NumberFilter() | LengthFilter() | FrenchStopFilter()
        | StemFilter() | FoldFilter()

:func:`french_pipeline` names them in that order. The index does not run
this pipeline: :class:`~searchlib.analysis.FrenchAnalyzer` fuses the same
steps into one faster loop, and a test checks both give the same tokens.
This one is the reference, and what ``search analyze --steps`` shows.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Tuple

from whoosh.analysis import Filter, Token as _WhooshToken, Tokenizer

from . import compounds as _compounds
from .compounds import CompoundFilter
from .words import (
    _TOKEN_RE,
    ELISION_PREFIXES,
    FRENCH_STOP_WORDS,
    MAX_TOKEN_LENGTH,
    _elided_length,
    _StemmerPool,
    fold,
    normalize_number,
    normalize_word,
    strip_elision,
)

__all__ = [
    "FrenchTokenizer",
    "NormalizeFilter",
    "LowercaseFilter",
    "ElisionFilter",
    "CompoundFilter",
    "NumberFilter",
    "LengthFilter",
    "FrenchStopFilter",
    "StemFilter",
    "FoldFilter",
    "french_pipeline",
]


class FrenchTokenizer(Tokenizer):
    """Splits text into words, numbers and acronyms with exact offsets.

    Hyphens and punctuation separate tokens (``cessez-le-feu`` gives three
    consecutive positions); apostrophes stay inside a token so the elision
    step can tell ``l'armée`` from ``aujourd'hui``. ``token.surface`` keeps
    the text exactly as written, ``token.after_hyphen`` says whether a
    hyphen joins the token to the one before.
    """

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[_WhooshToken]:
        token = _WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        previous = (-2, -2)
        for match in _TOKEN_RE.finditer(value) if tokenize else [None]:
            token.text = token.surface = match.group() if match else value
            # For CompoundFilter: whether a hyphen joins this token to the last.
            token.after_hyphen = match is not None and _compounds.after_hyphen(value, previous, match.span())
            previous = match.span() if match else previous
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + (match.start() if match else 0)
                token.endchar = start_char + (match.end() if match else len(value))
            yield token


class _WordFilter(Filter):
    """A filter applying one word function to each token's text."""

    def transform(self, word: str) -> str:
        raise NotImplementedError

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            token.text = self.transform(token.text)
            yield token


class NormalizeFilter(_WordFilter):
    """See :func:`normalize_word`."""

    def transform(self, word: str) -> str:
        return normalize_word(word)


class LowercaseFilter(_WordFilter):
    """Lower case (``L'ARMÉE`` → ``l'armée``)."""

    def transform(self, word: str) -> str:
        return word.lower()


class NumberFilter(_WordFilter):
    """See :func:`normalize_number`."""

    def transform(self, word: str) -> str:
        return normalize_number(word)


class FoldFilter(_WordFilter):
    """See :func:`fold`."""

    def transform(self, word: str) -> str:
        return fold(word)


class ElisionFilter(Filter):
    """Drops an elided article or pronoun (``l'``, ``qu'``, ``jusqu'`` …),
    moving the token's start offset past the apostrophe."""

    def __init__(self, prefixes: FrozenSet[str] = ELISION_PREFIXES) -> None:
        self.prefixes = prefixes

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            word = strip_elision(token.text, self.prefixes)
            if word is not token.text and token.chars:
                token.startchar += _elided_length(token.surface)
            token.text = word
            yield token


class LengthFilter(Filter):
    """Drops tokens longer than ``MAX_TOKEN_LENGTH`` characters."""

    def __init__(self, limit: int = MAX_TOKEN_LENGTH) -> None:
        self.limit = limit

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            if len(token.text) <= self.limit:
                yield token


class FrenchStopFilter(Filter):
    """Removes stop words, keeping position gaps so phrases stay exact."""

    def __init__(self, stop_words: Iterable[str] = FRENCH_STOP_WORDS) -> None:
        self.stops = frozenset(stop_words)

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            token.stopped = token.text in self.stops
            if not (token.stopped and token.removestops):
                yield token


class StemFilter(Filter):
    """The official Snowball stemmer (PyStemmer, in C) on the accented word,
    plus plural stems in -eux joined to their singular."""

    def __init__(self, language: str = "french") -> None:
        self._pool = _StemmerPool(language)

    def __getstate__(self) -> Dict[str, Any]:
        return {"language": self._pool.language}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._pool = _StemmerPool(state["language"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StemFilter) and other._pool.language == self._pool.language

    def __hash__(self) -> int:
        return hash((type(self), self._pool.language))

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            if not token.stopped:
                token.text = self._pool.stem(token.text)
            yield token


def french_pipeline(stop_words: Iterable[str] = FRENCH_STOP_WORDS) -> List[Tuple[str, Any]]:
    """The analysis steps, named, in order (what ``search analyze --steps`` shows)."""
    return [
        ("tokenizer", FrenchTokenizer()),
        ("normalize", NormalizeFilter()),
        ("lowercase", LowercaseFilter()),
        ("elision", ElisionFilter()),
        ("compounds", CompoundFilter()),
        ("numbers", NumberFilter()),
        ("length", LengthFilter()),
        ("stop", FrenchStopFilter(stop_words)),
        ("stem", StemFilter()),
        ("fold", FoldFilter()),
    ]
