"""Words: what a word is, and the steps that make a written word a term.

The character classes and the tokenizer's pattern, then each step of the
analysis as a plain function on one word (normalisation, elision, numbers,
accent folding, stemming), and the numbers grouped by spaces that are read
as one word. Everything here works on a single word or on the pattern
alone and imports nothing else of the package, so that the composed
filters (:mod:`.filters`), the fused analyzer (:mod:`.analyzer`) and the
hyphenated-word rules (:mod:`.compounds`) all build on the same steps.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from typing import FrozenSet, Iterator, List, Optional, Tuple

import Stemmer
from unidecode import unidecode

__all__ = [
    "APOSTROPHES",
    "FRENCH_STOP_WORDS",
    "ELISION_PREFIXES",
    "MAX_TOKEN_LENGTH",
    "normalize_word",
    "strip_elision",
    "normalize_number",
    "spaced_numbers",
    "fold",
]

APOSTROPHES = "'\u2019\u2018\u02bc"
# Invisible characters that may sit inside a word (soft hyphen, zero-width
# spaces and joiners, word joiner, BOM): part of the word, not separators.
_IGNORABLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_COMBINING = "\u0300-\u036f"
# Ideographs and kana carry no spaces between words: one token each.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NUMBER_SPACES = " \u00a0\u202f"


def _token_pattern(cjk: str) -> str:
    """The tokenizer's pattern, its letters leaving out the ranges ``cjk``
    (each character of which is a token alone)."""
    letter = rf"[^\W\d_{cjk}]"
    alnum = rf"[^\W_{cjk}]"
    word_char = rf"(?:{alnum}|[{_COMBINING}{_IGNORABLE}])"
    one_cjk = rf"| [{cjk}]  # 中" if cjk else ""
    return rf"""
    (?:{letter}+[{APOSTROPHES}])?{letter}(?:\.{letter})+\.?(?!{alnum})   # O.N.U., l'U.E
    | (?<![\d.,])\d{{1,3}}(?:[{_NUMBER_SPACES}]\d{{3}})+(?![\d])     # 280 000
    | \d+(?:[.,]\d+)*{word_char}*                                    # 280.000 2,5 1er 10h30
    {one_cjk}
    | {alnum}{word_char}*(?:[{APOSTROPHES}]{alnum}{word_char}*)*     # l'armée, aujourd'hui
    """


class _Tokenizer:
    """The tokenizer's pattern (``finditer`` as a compiled pattern's),
    compiled when first used. Compiled whole it takes some 15 ms, a good
    part of a search's start-up: its classes leave out the CJK ranges,
    which ``re`` compiles a code point at a time. A search of plain words
    never needs it (the analyzer reads them with ``_SIMPLE_RUN_RE``), and
    a text holding no character from U+3040 on (French, all but always)
    is read with the same pattern less those ranges, which compiles at
    once and finds the same tokens: there the classes agree on every
    character, and a CJK character is never met."""

    _FIRST_CJK = "\u3040"

    def __init__(self) -> None:
        self._whole: Optional[re.Pattern[str]] = None
        self._below_cjk: Optional[re.Pattern[str]] = None

    def compiled(self, string: str = _FIRST_CJK) -> re.Pattern[str]:
        """The pattern to read ``string`` with (by default, any text)."""
        # Threads that race here compile the same pattern: no lock needed.
        if string and max(string) < self._FIRST_CJK:
            if self._below_cjk is None:
                self._below_cjk = re.compile(_token_pattern(""), re.VERBOSE)
            return self._below_cjk
        if self._whole is None:
            self._whole = re.compile(_token_pattern(_CJK), re.VERBOSE)
        return self._whole

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled(string).finditer(string, pos, endpos)


_TOKEN_RE = _Tokenizer()

# Most runs of text between spaces are one word of letters, perhaps opened
# by a quote or bracket and closed by punctuation ("«Le", "pays.", "(voir").
# In such a run the tokenizer finds exactly one token, the letters: no
# alternative of _TOKEN_RE can start on the punctuation around them, nor
# take any of it in (an acronym needs a letter after its dot). Apostrophes
# are left out even where Unicode calls them letters (U+02BC): a word with
# one may be elided or a name. The analyzer reads those runs with this
# pattern instead, several times faster.
_SIMPLE_RUN_RE = re.compile(rf"""([«"“(\[]*)([^\W\d_{_CJK}{APOSTROPHES}]+)[.,;:!?…»"”)\]]*""")

# The fused analyzer cuts text at white space first (fast, in C) and runs
# the exact tokenizer within each chunk, once per distinct chunk (cached).
# Tokens never span white space, except numbers grouped by spaces
# ("280 000"): those are cut out first, exactly where the tokenizer would
# start one (not inside a word, nor after a separator of a number).
_SPACED_NUMBER_HINT_RE = re.compile(rf"\d[{_NUMBER_SPACES}]\d\d\d")
# The tokenizer's own pattern for them. Whether the tokenizer starts one
# where it matches depends on what comes before ("l'280 000", "a1 000" no;
# "‘280 000", "x_280 000", "中280 000" yes), which no lookbehind tells
# exactly: spaced_numbers asks the tokenizer itself.
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
#: words written longer than this are garbage the analyzer drops unread
#: (four times its longest term, room for what normalisation removes)
LONGEST_WRITTEN = 256

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_REMOVE_IGNORABLE = str.maketrans("", "", _IGNORABLE)
_UNIFY_APOSTROPHES = str.maketrans({a: "'" for a in APOSTROPHES})
_THOUSANDS_DOTS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_REMOVE_NUMBER_SPACES = str.maketrans("", "", _NUMBER_SPACES)


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


def _prepared(surface: str) -> Optional[Tuple[str, int]]:
    """A written word normalised, lower-cased and past its elision, and how
    many characters of it as written the elision took (None: garbage too
    long to read)."""
    if len(surface) > LONGEST_WRITTEN:  # spare NFKC a megabyte of garbage
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


# -- numbers grouped by spaces ---------------------------------------------------


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
