"""French text analysis: the terms the index stores and queries look up.

Each step is a plain function on one word, wrapped as a Whoosh filter so the
steps compose and can be tested alone, as Whoosh composes its own::

    FrenchTokenizer() | NormalizeFilter() | LowercaseFilter() | ElisionFilter()
        | CompoundFilter() | NumberFilter() | LengthFilter() | FrenchStopFilter()
        | StemFilter() | FoldFilter()

:class:`FrenchAnalyzer` runs the very same steps, fused into one loop with a
cache of the result per written word (most words of a text were seen before),
which is what the index uses. Every token keeps ``startchar``/``endchar``
offsets into the *original* text, whatever normalisation changed.

Stemming runs on the accented word (Snowball's French rules need the accents)
and accents are folded afterwards. For accent-insensitive search in both
directions, each word also has a *key*: the stem of its folded spelling,
which is what a query typed without accents computes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Collection, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple, cast

import Stemmer
from unidecode import unidecode
from whoosh.analysis import Analyzer, Filter, Token as _WhooshToken, Tokenizer

from . import compounds as _compounds
from .compounds import CompoundFilter

__all__ = [
    "Token",
    "AnalysisStep",
    "analyze",
    "analysis_steps",
    "FrenchAnalyzer",
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
    "FRENCH_STOP_WORDS",
    "ELISION_PREFIXES",
    "MAX_TOKEN_LENGTH",
    "normalize_word",
    "strip_elision",
    "normalize_number",
    "spaced_numbers",
    "joined_spelling",
    "fold",
]

APOSTROPHES = "'\u2019\u2018\u02bc"
# Invisible characters that may sit inside a word (soft hyphen, zero-width
# spaces and joiners, word joiner, BOM): part of the word, not separators.
_IGNORABLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_COMBINING = "\u0300-\u036f"
# Ideographs and kana carry no spaces between words: one token each.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTER = rf"[^\W\d_{_CJK}]"
_ALNUM = rf"[^\W_{_CJK}]"
_WORD_CHAR = rf"(?:{_ALNUM}|[{_COMBINING}{_IGNORABLE}])"
_NUMBER_SPACES = " \u00a0\u202f"

_TOKEN_RE = re.compile(
    rf"""
    (?:{_LETTER}+[{APOSTROPHES}])?{_LETTER}(?:\.{_LETTER})+\.?(?!{_ALNUM})   # O.N.U., l'U.E
    | (?<![\d.,])\d{{1,3}}(?:[{_NUMBER_SPACES}]\d{{3}})+(?![\d])            # 280 000
    | \d+(?:[.,]\d+)*{_WORD_CHAR}*                                       # 280.000 2,5 1er 10h30
    | [{_CJK}]                                                                                 # 中
    | {_ALNUM}{_WORD_CHAR}*(?:[{APOSTROPHES}]{_ALNUM}{_WORD_CHAR}*)*                           # l'armée, aujourd'hui
    """,
    re.VERBOSE,
)

# The fused analyzer cuts text at white space first (fast, in C) and runs
# the exact tokenizer within each chunk, once per distinct chunk (cached).
# Tokens never span white space, except numbers grouped by spaces
# ("280 000"): those are cut out first, exactly where the tokenizer would
# start one (not inside a word, nor after a separator of a number).
_SPACED_NUMBER_HINT_RE = re.compile(rf"\d[{_NUMBER_SPACES}]\d\d\d")
# The tokenizer's own pattern for them. Whether the tokenizer starts one
# where it matches depends on what comes before ("l'280 000", "a1 000" no;
# "‘280 000", "x_280 000", "中280 000" yes), which no lookbehind tells
# exactly: _segments asks the tokenizer itself.
_SPACED_NUMBER_RE = re.compile(rf"(?<![\d.,])\d{{1,3}}(?:[{_NUMBER_SPACES}]\d{{3}})+(?!\d)")

ELISION_PREFIXES: FrozenSet[str] = frozenset(
    ["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"]
)

# The Snowball project's French stop list (snowballstem.org, BSD licence),
# including its later additions ("les", "ils", "cette", ...).
FRENCH_STOP_WORDS: FrozenSet[str] = frozenset(
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

# Longer "words" are garbage (base64, run-together text): not worth a term.
MAX_TOKEN_LENGTH = 64

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_REMOVE_IGNORABLE = str.maketrans("", "", _IGNORABLE)
_UNIFY_APOSTROPHES = str.maketrans({a: "'" for a in APOSTROPHES})
_THOUSANDS_DOTS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_REMOVE_NUMBER_SPACES = str.maketrans("", "", _NUMBER_SPACES)
# A chunk without these holds no hyphenated word and no apostrophe.
_MAY_BE_COMPOUND_RE = re.compile(f"[{_compounds.HYPHENS}{APOSTROPHES}]")


# -- the steps, one word at a time --------------------------------------------


def normalize_word(word: str) -> str:
    """NFKC (ﬁ → fi, NFD → NFC), ligatures (œ → oe), invisible characters
    dropped, every apostrophe made ``'``."""
    if word.isascii():
        return word
    word = unicodedata.normalize("NFKC", word.translate(_REMOVE_IGNORABLE))
    return word.translate(_LIGATURES).translate(_UNIFY_APOSTROPHES)


def strip_elision(word: str, prefixes: FrozenSet[str] = ELISION_PREFIXES) -> str:
    """``l'armée`` → ``armée``; ``aujourd'hui`` stays. Expects lower case and ``'``."""
    cut = word.find("'")
    if cut > 0 and cut + 1 < len(word) and word[:cut] in prefixes:
        return word[cut + 1 :]
    return word


def normalize_number(word: str) -> str:
    """``280.000`` and ``280 000`` → ``280000``; ``2,5`` stays; ``o.n.u.`` → ``onu``."""
    if word[:1].isdigit():
        word = word.translate(_REMOVE_NUMBER_SPACES)
        return word.replace(".", "") if _THOUSANDS_DOTS.fullmatch(word) else word
    if "." in word:
        return word.replace(".", "")
    return word


def _prepared(surface: str) -> Optional[Tuple[str, int]]:
    """A written word normalised, lower-cased and past its elision, and how
    many characters of it as written the elision took (None: garbage too
    long to read)."""
    if len(surface) > _compounds.LONGEST_WRITTEN:  # spare NFKC a megabyte of garbage
        return None
    lowered = normalize_word(surface).lower()
    word = strip_elision(lowered)
    return word, _elided_length(surface) if word is not lowered else 0


def _unplural(stem: str) -> str:
    # Snowball leaves plurals in -x of nouns in -eu apart ("jeux"/"jeu",
    # "feux"/"feu", "lieux"/"lieu"). Rewriting the stem (not the word) keeps
    # every word that shared a stem together.
    return stem[:-1] if stem.endswith("eux") else stem


def _is_latin(char: str) -> bool:
    code = ord(char)
    return code < 0x250 or 0x1E00 <= code < 0x1F00


def fold(word: str) -> str:
    """Accents folded with Unidecode (é → e, ß → ss, ø → o).

    Only Latin letters are folded: other scripts keep their letters rather
    than become transliterations that would collide (中 and 钟 both "Zhong").
    """
    if word.isascii():
        return word
    if all(_is_latin(char) for char in word):
        folded = unidecode(word)
    else:
        folded = "".join(unidecode(char) if _is_latin(char) else char for char in word)
    folded = "".join(folded.split())  # Unidecode may add spaces
    return folded or word


class _StemmerPool:
    """One PyStemmer object per thread: they are not safe to share."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._local = threading.local()

    def stem(self, word: str) -> str:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = Stemmer.Stemmer(self.language)
        if word[:1].isdigit():
            return word
        return _unplural(stemmer.stemWord(word))


# -- the steps as composable Whoosh filters ------------------------------------


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


def _elided_length(surface: str) -> int:
    """How many characters of the word as written its elided prefix takes:
    up to the apostrophe ending it, or up to the character holding it when
    normalisation made it ("ŉ" is "ʼn" in NFKC: "Cŉ" is elided "c'n", and
    "dŉ'x" is "d'" then "n'x"; taking the first apostrophe as written
    raised ValueError on the one, skipped "n" on the other)."""
    for end in range(1, len(surface) + 1):
        head = normalize_word(surface[:end]).lower()
        if "'" in head:
            return end if head.endswith("'") else end - 1
    return 0


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


# -- the fused analyzer ---------------------------------------------------------

# Per written word: (term or None for a stop word, the folded stop word or
# None, the accent-resolution key, characters of elision to skip, the word
# folded but not stemmed: its exact form, "" for a stop word).
_WordInfo = Tuple[Optional[str], Optional[str], str, int, str]
# Per chunk: how many tokens it holds (positions it takes); the indexed
# ones as (number in the chunk, start, end, term); all of them as (number,
# start, end, info, extra), info None for a token the pipeline drops (it
# still takes a position), extra True for the joined form of a hyphenated
# word or a name's part after its apostrophe (at the number of the token
# they start at); the indexed ones again as (number, term); and as (term,
# form). Offsets are relative to the chunk, the start past any elision.
_Chunk = Tuple[
    int,
    Tuple[Tuple[int, int, int, str], ...],
    Tuple[Tuple[int, int, int, Optional[_WordInfo], bool], ...],
    Tuple[Tuple[int, str], ...],
    Tuple[Tuple[str, str], ...],
]

_UNSEEN = object()


def _chunk_start(value: str, floor: int, index: int) -> int:
    """Where the white-space-free run of ``value`` holding ``index`` starts
    (not before ``floor``)."""
    while index > floor and not value[index - 1].isspace():
        index -= 1
    return index


def _tokenizer_starts_at(value: str, chunk_start: int, index: int) -> bool:
    """Whether the tokenizer, run over ``value``, starts a token at
    ``index`` rather than reading it inside an earlier one; tokens before
    ``index`` start no earlier than ``chunk_start``."""
    for token in _TOKEN_RE.finditer(value, chunk_start):
        if token.end() > index:
            return token.start() >= index
    return True


def spaced_numbers(value: str) -> List[Tuple[int, int]]:
    """Where ``value`` holds numbers grouped by spaces ("280 000", "1 000
    000", no-break spaces too) that the analyzer reads as one number: their
    (start, end) offsets. Queries use it to read such a number as one word."""
    if not _SPACED_NUMBER_HINT_RE.search(value):  # no lookbehind: a fast first look
        return []
    spans: List[Tuple[int, int]] = []
    last = 0
    position = 0
    while (match := _SPACED_NUMBER_RE.search(value, position)) is not None:
        start = match.start()
        if not _tokenizer_starts_at(value, _chunk_start(value, last, start), start):
            # Inside a word ("a1 000 000"): what follows may still be one ("000 000").
            position = start + 1
            continue
        spans.append(match.span())
        last = position = match.end()
    return spans


def joined_spelling(text: str) -> str:
    """``text`` with its hyphenated words written joined, as the analyzer
    also indexes them ("un e-mail" → "un email"); queries use it to find
    the joined spelling too."""
    return _compounds.joined_spelling(text, _TOKEN_RE)


class FrenchAnalyzer(Analyzer):
    """The steps above in one loop, with a cache per written word.

    Gives exactly the tokens of the composed pipeline (a test checks it);
    ``stop_words`` replaces the Snowball list. Safe to share between
    threads: the caches only ever gain complete entries, and each thread
    stems with its own stemmer.
    """

    def __init__(self, stop_words: Optional[Iterable[str]] = None, cache_size: int = 200_000) -> None:
        self.stop_words = frozenset(FRENCH_STOP_WORDS if stop_words is None else stop_words)
        self.cache_size = cache_size
        self._setup()

    def _setup(self) -> None:
        self._pool = _StemmerPool("french")
        self._words: Dict[str, Optional[_WordInfo]] = {}
        self._chunks: Dict[str, _Chunk] = {}

    def __getstate__(self) -> Dict[str, Any]:
        return {"stop_words": sorted(self.stop_words), "cache_size": self.cache_size}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.stop_words = frozenset(state["stop_words"])
        self.cache_size = state["cache_size"]
        self._setup()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrenchAnalyzer) and other.stop_words == self.stop_words

    def __hash__(self) -> int:
        return hash((type(self), self.stop_words))

    def __repr__(self) -> str:
        return f"FrenchAnalyzer(stop_words=<{len(self.stop_words)} words>)"

    def word_info(self, surface: str) -> Optional[_WordInfo]:
        """What the pipeline makes of one written word (None: dropped)."""
        cached = self._words.get(surface, _UNSEEN)
        if cached is not _UNSEEN:
            return cached  # type: ignore[return-value]
        info = self._analyze_word(surface)
        if len(self._words) >= self.cache_size:
            self._words.clear()
        self._words[surface] = info
        return info

    def _analyze_word(self, surface: str) -> Optional[_WordInfo]:
        prepared = _prepared(surface)
        return None if prepared is None else self._finished(*prepared)

    def _finished(self, word: str, skip: int) -> Optional[_WordInfo]:
        """The steps after elision, on a word normalised, lower-cased and
        past its elision (``skip`` characters of it as written)."""
        word = normalize_number(word)
        if len(word) > MAX_TOKEN_LENGTH:
            return None
        stem = self._pool.stem
        if word in self.stop_words:
            folded = fold(word)
            return (None, folded, stem(folded), skip, "")
        folded = fold(word)
        return (fold(stem(word)), None, stem(folded), skip, folded)

    def _chunk_tokens(self, chunk: str) -> _Chunk:
        found = self._chunks.get(chunk)
        if found is None:
            word_info = self.word_info
            tokens: List[Tuple[int, int, int, Optional[_WordInfo], bool]] = []
            matches = list(_TOKEN_RE.finditer(chunk))
            for number, match in enumerate(matches):
                info = word_info(match.group())
                start, end = match.span()
                tokens.append((number, start, end, info, False))
            if _MAY_BE_COMPOUND_RE.search(chunk):
                tokens = self._with_extras(chunk, matches, tokens)
            indexed = tuple((n, start + info[3], end, info[0]) for n, start, end, info, _ in tokens if info is not None and info[0] is not None)
            found = (
                len(matches),
                indexed,
                tuple(tokens),
                tuple((number, term) for number, _, _, term in indexed),
                tuple((info[0], info[4]) for _, _, _, info, _ in tokens if info is not None and info[0] is not None),
            )
            if len(self._chunks) >= self.cache_size:
                self._chunks.clear()
            self._chunks[chunk] = found
        return found

    def _with_extras(
        self, chunk: str, matches: List["re.Match[str]"], tokens: List[Tuple[int, int, int, Optional[_WordInfo], bool]]
    ) -> List[Tuple[int, int, int, Optional[_WordInfo], bool]]:
        """``tokens`` with what :class:`CompoundFilter` adds, in its order:
        a hyphenated word joined right after its first part, then a name's
        part after its apostrophe right after the name."""
        joined = {
            # runs() leaves out parts too long to read: each part is prepared.
            first: (last, [cast(Tuple[str, int], _prepared(match.group())) for match in matches[first : last + 1]])
            for first, last in _compounds.runs(chunk, [match.span() for match in matches])
        }
        result = []
        for number, start, end, info, extra in tokens:
            result.append((number, start, end, info, extra))
            if number in joined:
                last, parts = joined[number]
                word = "".join(prepared_part[0] for prepared_part in parts)
                result.append((number, start, matches[last].end(), self._finished(word, parts[0][1]), True))
            prepared = _prepared(matches[number].group())
            part = _compounds.name_part(prepared[0], matches[number].group()) if prepared is not None else None
            if part is not None:
                result.append((number, start, end, self._finished(part[0], part[1]), True))
        return [token for token in result if not token[4] or token[3] is not None and token[3][0] is not None]

    @staticmethod
    def _segments(value: str) -> List[Tuple[int, str, bool]]:
        """``value`` as (offset, text, is_spaced_number) pieces: spaced
        numbers are single chunks, the rest splits at white space."""
        segments: List[Tuple[int, str, bool]] = []
        last = 0
        for start, end in spaced_numbers(value):
            segments.append((last, value[last:start], False))
            segments.append((start, value[start:end], True))
            last = end
        segments.append((last, value[last:], False))
        return segments

    def words(self, value: str, extras: bool = True) -> Iterator[Tuple[int, int, int, _WordInfo]]:
        """Every word of ``value`` as ``(position, start, end, info)``, stop
        words included: for the index's auxiliary fields and for highlighting.
        ``extras=False`` leaves out the joined forms of hyphenated words and
        names' parts after an apostrophe: the words as typed, for queries."""
        position = 0
        chunks = self._chunks
        chunk_tokens = self._chunk_tokens
        for offset, segment, is_number in self._segments(value):
            cursor = 0
            find = segment.find
            for chunk in (segment,) if is_number else segment.split():
                cursor = find(chunk, cursor)
                base = offset + cursor
                cursor += len(chunk)
                count, _, tokens, _, _ = chunks.get(chunk) or chunk_tokens(chunk)
                for number, start, end, info, extra in tokens:
                    if info is not None and (extras or not extra):
                        yield position + number, base + start + info[3], base + end, info
                position += count

    def count_words(
        self, value: str, terms: Collection[str], forms: Collection[str]
    ) -> Tuple[Dict[str, int], Dict[str, int]]:
        """How often each of ``terms`` (indexed terms) occurs in ``value``,
        and how often it is written as one of ``forms`` (words folded but
        not stemmed, the last item of a word's info)."""
        term_counts: Dict[str, int] = {}
        form_counts: Dict[str, int] = {}
        chunks = self._chunks
        chunk_tokens = self._chunk_tokens
        for _, segment, is_number in self._segments(value):
            pieces = [segment] if is_number else segment.split()
            for chunk, entry in zip(pieces, map(chunks.get, pieces)):
                found = entry or chunk_tokens(chunk)
                for term, form in found[4]:  # the indexed words only
                    if term in terms:
                        term_counts[term] = term_counts.get(term, 0) + 1
                        if form in forms:
                            form_counts[form] = form_counts.get(form, 0) + 1
        return term_counts, form_counts

    def all_tokens(self, value: str, only: Optional[Collection[str]] = None) -> List["Token"]:
        """The tokens of ``value`` stop words included (as written, folded):
        what highlighting matches a query against. With ``only``, just the
        tokens whose term is one of those (a query's, for its highlights)."""
        found = []
        for position, start, end, (term, stop, _, _, _) in self.words(value):
            text = term if term is not None else stop or ""
            if only is None or text in only:
                found.append(Token(text, start, end, position))
        return found

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[_WhooshToken]:
        if not removestops:
            yield from self._tokens_with_stops(value, positions, chars, start_pos, start_char, mode)
            return
        # The hot loop of indexing: words() inlined, names looked up once.
        token = _WhooshToken(positions, chars, removestops=removestops, mode=mode)
        token.boost = 1.0
        token.stopped = False
        position = start_pos
        chunks = self._chunks
        chunk_tokens = self._chunk_tokens
        for offset, segment, is_number in self._segments(value):
            pieces = [segment] if is_number else segment.split()
            if not chars:
                # What indexing asks for: no offsets, so no searching for them.
                for chunk, entry in zip(pieces, map(chunks.get, pieces)):
                    count, _, _, numbered, _ = entry or chunk_tokens(chunk)
                    for number, term in numbered:
                        token.text = term
                        token.pos = position + number
                        yield token
                    position += count
                continue
            cursor = 0
            find = segment.find
            for chunk, found in zip(pieces, map(chunks.get, pieces)):
                count, indexed, _, _, _ = found or chunk_tokens(chunk)
                cursor = find(chunk, cursor)
                base = start_char + offset + cursor
                cursor += len(chunk)
                for number, start, end, term in indexed:
                    token.text = term
                    token.pos = position + number
                    token.startchar = base + start
                    token.endchar = base + end
                    yield token
                position += count

    def _tokens_with_stops(
        self, value: str, positions: bool, chars: bool, start_pos: int, start_char: int, mode: str
    ) -> Iterator[_WhooshToken]:
        token = _WhooshToken(positions, chars, removestops=False, mode=mode)
        token.boost = 1.0
        for position, start, end, (term, stop, _, _, _) in self.words(value):
            token.stopped = term is None
            token.text = stop if term is None else term
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
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


@dataclass(frozen=True)
class AnalysisStep:
    """The tokens as they stand after one step of the analysis."""

    name: str
    tokens: Tuple[Token, ...]


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text to analyse must be a str, not {type(text).__name__}")


def analyze(text: str, analyzer: Optional[FrenchAnalyzer] = None) -> List[Token]:
    """The tokens the index stores for ``text``.

    ``analyzer`` defaults to the standard French analyzer; pass a
    ``FrenchAnalyzer(stop_words=...)`` to see another configuration.
    """
    _check_text(text)
    analyzer = analyzer or FrenchAnalyzer()
    return [Token(t.text, t.startchar, t.endchar, t.pos) for t in analyzer(text, positions=True, chars=True)]


def analysis_steps(text: str, stop_words: Iterable[str] = FRENCH_STOP_WORDS) -> List[AnalysisStep]:
    """The tokens after each step of the analysis, in order (like
    Elasticsearch's ``_analyze`` with ``explain``)."""
    _check_text(text)
    steps = french_pipeline(stop_words)
    result: List[AnalysisStep] = []
    for count in range(1, len(steps) + 1):
        tokenizer, *filters = [step for _, step in steps[:count]]
        stream = tokenizer(text, positions=True, chars=True)
        for step in filters:
            stream = step(stream)
        tokens = tuple(Token(t.text, t.startchar, t.endchar, t.pos) for t in stream)
        result.append(AnalysisStep(steps[count - 1][0], tokens))
    return result

