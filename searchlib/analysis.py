"""French text analysis: the tokens the index stores and queries look up.

The analyzer is a pipeline of small Whoosh steps, each testable alone::

    FrenchTokenizer() | NormalizeFilter() | LowercaseFilter() | ElisionFilter()
        | NumberFilter() | FrenchStopFilter() | SnowballStemFilter() | FoldFilter()

Every token keeps ``startchar``/``endchar`` offsets into the *original* text, so
highlights can be drawn on the text exactly as the user stored it.

Stemming runs on the accented word (Snowball's French rules need the accents)
and accents are folded afterwards, so ``Sécurité`` and ``SÉCURITÉS`` index the
same term as ``sécurité``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterator, List

import Stemmer
from unidecode import unidecode
from whoosh.analysis import Composable, Filter, Token as _WhooshToken, Tokenizer

__all__ = [
    "Token",
    "analyze",
    "french_analyzer",
    "FrenchTokenizer",
    "NormalizeFilter",
    "LowercaseFilter",
    "ElisionFilter",
    "NumberFilter",
    "FrenchStopFilter",
    "SnowballStemFilter",
    "FoldFilter",
    "FRENCH_STOP_WORDS",
    "ELISION_PREFIXES",
]

APOSTROPHES = "'\u2019\u2018\u02bc"
# Invisible characters that may sit inside a word (soft hyphen, zero-width
# spaces and joiners, word joiner, BOM): they belong to the word, not between words.
_IGNORABLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_COMBINING = "\u0300-\u036f"
_WORD_CHAR = rf"(?:[^\W_]|[{_COMBINING}{_IGNORABLE}])"
_NUMBER_SPACES = " \u00a0\u202f"

_TOKEN_RE = re.compile(
    rf"""
    (?:[^\W\d_]+[{APOSTROPHES}])?(?:[^\W\d_][{_COMBINING}]*\.){{2,}}(?![^\W_])  # O.N.U., l'O.N.U.
    | (?<![\d.,])\d{{1,3}}(?:[{_NUMBER_SPACES}]\d{{3}})+(?![\d])  # 280 000
    | \d+(?:[.,]\d+)*                                          # 280.000, 2,5, 2017
    | [^\W_]{_WORD_CHAR}*(?:[{APOSTROPHES}][^\W_]{_WORD_CHAR}*)*  # word, l'armée
    """,
    re.VERBOSE,
)

ELISION_PREFIXES = frozenset(
    ["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"]
)

# The Snowball project's French stop list (snowballstem.org, BSD licence),
# including its later additions ("les", "ils", "cette", ...).
FRENCH_STOP_WORDS = frozenset(
    """
    au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais
    me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses
    son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été
    étée étées étés étant suis es est sommes êtes sont serai seras sera serons
    serez seront serais serait serions seriez seraient étais était étions étiez
    étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses
    fût fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai
    auras aura aurons aurez auront aurais aurait aurions auriez auraient avais
    avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez
    aient eusse eusses eût eussions eussiez eussent ceci cela celà cet cette ici
    ils les leurs quel quels quelle quelles sans soi
    """.split()
)

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_REMOVE_IGNORABLE = str.maketrans("", "", _IGNORABLE)
_UNIFY_APOSTROPHES = str.maketrans({a: "'" for a in APOSTROPHES})
_THOUSANDS_DOTS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_REMOVE_NUMBER_SPACES = str.maketrans("", "", _NUMBER_SPACES)


class FrenchTokenizer(Tokenizer):
    """Splits text into words, numbers and acronyms with exact offsets.

    Hyphens and punctuation separate tokens (so ``cessez-le-feu`` gives three
    consecutive positions); apostrophes stay inside a token so that the
    elision step can tell ``l'armée`` from ``aujourd'hui``.
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
        if not tokenize:
            token.original = token.text = token.surface = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        pos = start_pos
        for match in _TOKEN_RE.finditer(value):
            token.text = token.surface = match.group()
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


class NormalizeFilter(Filter):
    """Unicode clean-up: NFKC (ﬁ → fi, NFD → NFC), ligatures (œ → oe),
    invisible in-word characters removed, every apostrophe made ``'``."""

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            text = token.text
            if not text.isascii():
                text = unicodedata.normalize("NFKC", text.translate(_REMOVE_IGNORABLE))
                text = text.translate(_LIGATURES).translate(_UNIFY_APOSTROPHES)
            token.text = text
            yield token


class LowercaseFilter(Filter):
    """Lower case (``L'ARMÉE`` → ``l'armée``)."""

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            token.text = token.text.lower()
            yield token


class ElisionFilter(Filter):
    """Drops an elided article or pronoun (``l'``, ``qu'``, ``jusqu'`` …).

    The token's start offset moves past the apostrophe so highlights cover
    the word alone. Words such as ``aujourd'hui`` are left whole.
    Expects lower-cased text with apostrophes unified to ``'``.
    """

    def __init__(self, prefixes: frozenset[str] = ELISION_PREFIXES) -> None:
        self.prefixes = prefixes

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        prefixes = self.prefixes
        for token in tokens:
            text = token.text
            cut = text.find("'")
            if cut > 0 and cut + 1 < len(text) and text[:cut] in prefixes:
                token.text = text[cut + 1 :]
                if token.chars:
                    # The prefixes are plain ASCII, so the first apostrophe of
                    # the original spelling is the one just removed.
                    surface = token.surface
                    first = min(i for i in map(surface.find, APOSTROPHES) if i >= 0)
                    token.startchar += first + 1
            yield token


class NumberFilter(Filter):
    """Writes numbers and acronyms one way: ``280.000`` and ``280 000`` become
    ``280000``; decimals (``2,5``) and years stay; ``O.N.U.`` becomes ``onu``."""

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            text = token.text
            if text[0].isdigit():
                text = text.translate(_REMOVE_NUMBER_SPACES)
                if _THOUSANDS_DOTS.fullmatch(text):
                    text = text.replace(".", "")
                token.text = text
            elif "." in text:
                token.text = text.replace(".", "")
            yield token


class FrenchStopFilter(Filter):
    """Removes French stop words, keeping position gaps so that phrases
    (``cessez le feu`` against ``cessez-le-feu``) still line up."""

    def __init__(self, stoplist: frozenset[str] = FRENCH_STOP_WORDS) -> None:
        self.stops = stoplist

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        stops = self.stops
        for token in tokens:
            if token.text in stops:
                if token.removestops:
                    continue
                token.stopped = True
            else:
                token.stopped = False
            yield token


class SnowballStemFilter(Filter):
    """Official Snowball French stemmer (PyStemmer, in C) on the accented word.

    PyStemmer objects are not safe to share between threads, so each thread
    gets its own.
    """

    def __init__(self, language: str = "french") -> None:
        self.language = language
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"])  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballStemFilter) and other.language == self.language

    def __hash__(self) -> int:
        return hash((type(self), self.language))

    def _stemmer(self) -> Any:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = Stemmer.Stemmer(self.language)
        return stemmer

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        stem = self._stemmer().stemWord
        for token in tokens:
            if not token.stopped and not token.text[0].isdigit():
                token.text = stem(token.text)
            yield token


class FoldFilter(Filter):
    """Folds accents and other non-ASCII letters with unidecode (é → e)."""

    def __call__(self, tokens: Iterator[_WhooshToken]) -> Iterator[_WhooshToken]:
        for token in tokens:
            text = token.text
            if not text.isascii():
                folded = unidecode(text)
                token.text = folded if folded.strip() else text
            yield token


def french_analyzer() -> Composable:
    """The analyzer searchlib indexes and queries with."""
    return (
        FrenchTokenizer()
        | NormalizeFilter()
        | LowercaseFilter()
        | ElisionFilter()
        | NumberFilter()
        | FrenchStopFilter()
        | SnowballStemFilter()
        | FoldFilter()
    )


@dataclass(frozen=True)
class Token:
    """One indexed term with its place in the analysed text.

    ``text`` is the term as stored in the index; ``start``/``end`` are offsets
    into the string given to :func:`analyze`; ``position`` counts words,
    including removed stop words.
    """

    text: str
    start: int
    end: int
    position: int


_DEFAULT_ANALYZER = french_analyzer()


def analyze(text: str) -> List[Token]:
    """Return the tokens the index would store for ``text``."""
    if not isinstance(text, str):
        raise TypeError(f"analyze() needs a str, not {type(text).__name__}")
    return [
        Token(t.text, t.startchar, t.endchar, t.pos)
        for t in _DEFAULT_ANALYZER(text, positions=True, chars=True)
    ]
