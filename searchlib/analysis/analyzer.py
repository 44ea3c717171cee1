"""The fused analyzer: the steps of :mod:`.filters` in one loop, cached.

:class:`FrenchAnalyzer` is what the index and queries use. It runs the very
same steps as the composed pipeline of :mod:`.filters` (a test checks they
give the same tokens), fused into one loop with a cache of the result per
written word and per white-space-free chunk (most words of a text were seen
before). Every token keeps ``startchar``/``endchar`` offsets into the
*original* text, whatever normalisation changed.

Stemming runs on the accented word (Snowball's French rules need the accents)
and accents are folded afterwards. For accent-insensitive search in both
directions, each word also has a *key*: the stem of its folded spelling,
which is what a query typed without accents computes.

Kept apart from the steps themselves (:mod:`.words`) so that this module
holds only the speed: the caches and the walk over a text's chunks, which
every way of reading a text (:meth:`FrenchAnalyzer.words`,
:meth:`~FrenchAnalyzer.count_words`, indexing's ``__call__``) shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Callable, Collection, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, cast

from whoosh.analysis import Analyzer, Token as _WhooshToken

from . import compounds as _compounds
from .words import (
    _TOKEN_RE,
    APOSTROPHES,
    FRENCH_STOP_WORDS,
    MAX_TOKEN_LENGTH,
    _prepared,
    _StemmerPool,
    fold,
    normalize_number,
    spaced_numbers,
)

__all__ = ["FrenchAnalyzer", "WordInfo", "Token"]

# A chunk without these holds no hyphenated word and no apostrophe.
_MAY_BE_COMPOUND_RE = re.compile(f"[{_compounds.HYPHENS}{APOSTROPHES}]")


class WordInfo(NamedTuple):
    """What the analysis makes of one written word."""

    #: the indexed term; None for a stop word
    term: Optional[str]
    #: the stop word folded; None for any other word
    stop: Optional[str]
    #: the accent-resolution key: the stem of the word's folded spelling
    key: str
    #: how many characters of the word as written its elision takes
    skip: int
    #: the word folded but not stemmed, its exact form ("" for a stop word)
    form: str


class _ChunkToken(NamedTuple):
    """One token of a chunk as it is read; offsets relative to the chunk,
    the start before any elision."""

    #: its number among the chunk's tokens (the position it takes in it)
    number: int
    start: int
    end: int
    #: None for a token the pipeline drops (it still takes a position)
    info: Optional[WordInfo]
    #: the joined form of a hyphenated word or a name's part after its
    #: apostrophe, at the number of the token it starts at
    extra: bool


class _Chunk(NamedTuple):
    """What a white-space-free chunk of text holds, ready for each reader.
    Offsets are relative to the chunk, a start past any elision; a number
    is a token's among the chunk's tokens."""

    #: how many tokens it holds (positions it takes)
    size: int
    #: the tokens the pipeline keeps, stop words included, as (number,
    #: start, end, info)
    words: Tuple[Tuple[int, int, int, WordInfo], ...]
    #: the same without the extra ones (see :class:`_ChunkToken`)
    typed: Tuple[Tuple[int, int, int, WordInfo], ...]
    #: the indexed ones as (number, start, end, term)
    indexed: Tuple[Tuple[int, int, int, str], ...]
    #: the indexed ones as (number, term)
    numbered: Tuple[Tuple[int, str], ...]
    #: the indexed ones as (term, form)
    forms: Tuple[Tuple[str, str], ...]


class _ChunkCache(Dict[str, _Chunk]):
    """The chunks read so far. Looking up one not read yet reads it, so
    that every chunk seen before costs a lookup in C and nothing else."""

    def __init__(self, read: Callable[[str], _Chunk]) -> None:
        super().__init__()
        self._read = read

    def __missing__(self, chunk: str) -> _Chunk:
        return self._read(chunk)


_UNSEEN = object()


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


class FrenchAnalyzer(Analyzer):
    """The steps of the analysis in one loop, with a cache per written word.

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
        self._words: Dict[str, Optional[WordInfo]] = {}
        self._chunks = _ChunkCache(self._read_chunk)

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

    # -- one word -------------------------------------------------------------

    def word_info(self, surface: str) -> Optional[WordInfo]:
        """What the pipeline makes of one written word (None: dropped)."""
        cached = self._words.get(surface, _UNSEEN)
        if cached is not _UNSEEN:
            return cached  # type: ignore[return-value]
        info = self._analyze_word(surface)
        if len(self._words) >= self.cache_size:
            self._words.clear()
        self._words[surface] = info
        return info

    def _analyze_word(self, surface: str) -> Optional[WordInfo]:
        prepared = _prepared(surface)
        return None if prepared is None else self._finished(*prepared)

    def _finished(self, word: str, skip: int) -> Optional[WordInfo]:
        """The steps after elision, on a word normalised, lower-cased and
        past its elision (``skip`` characters of it as written)."""
        word = normalize_number(word)
        if len(word) > MAX_TOKEN_LENGTH:
            return None
        stem = self._pool.stem
        folded = fold(word)
        if word in self.stop_words:
            return WordInfo(term=None, stop=folded, key=stem(folded), skip=skip, form="")
        return WordInfo(term=fold(stem(word)), stop=None, key=stem(folded), skip=skip, form=folded)

    # -- one chunk ------------------------------------------------------------

    def _read_chunk(self, chunk: str) -> _Chunk:
        """What ``chunk`` holds, read and kept (its cache asks for it the
        first time a chunk is looked up)."""
        word_info = self.word_info
        matches = list(_TOKEN_RE.finditer(chunk))
        tokens = [
            _ChunkToken(number, match.start(), match.end(), word_info(match.group()), False)
            for number, match in enumerate(matches)
        ]
        if _MAY_BE_COMPOUND_RE.search(chunk):
            tokens = self._with_extras(chunk, matches, tokens)
        words: List[Tuple[int, int, int, WordInfo]] = []
        typed: List[Tuple[int, int, int, WordInfo]] = []
        indexed: List[Tuple[int, int, int, str]] = []
        numbered: List[Tuple[int, str]] = []
        forms: List[Tuple[str, str]] = []
        for token in tokens:
            info = token.info
            if info is None:
                continue
            start = token.start + info.skip
            words.append((token.number, start, token.end, info))
            if not token.extra:
                typed.append((token.number, start, token.end, info))
            if info.term is not None:
                indexed.append((token.number, start, token.end, info.term))
                numbered.append((token.number, info.term))
                forms.append((info.term, info.form))
        found = _Chunk(
            size=len(matches),
            words=tuple(words),
            typed=tuple(typed),
            indexed=tuple(indexed),
            numbered=tuple(numbered),
            forms=tuple(forms),
        )
        if len(self._chunks) >= self.cache_size:
            self._chunks.clear()
        self._chunks[chunk] = found
        return found

    def _with_extras(
        self, chunk: str, matches: List["re.Match[str]"], tokens: List[_ChunkToken]
    ) -> List[_ChunkToken]:
        """``tokens`` with what :class:`CompoundFilter` adds, in its order:
        a hyphenated word joined right after its first part, then a name's
        part after its apostrophe right after the name."""
        joined = {
            # runs() leaves out parts too long to read: each part is prepared.
            first: (last, [cast(Tuple[str, int], _prepared(match.group())) for match in matches[first : last + 1]])
            for first, last in _compounds.runs(chunk, [match.span() for match in matches])
        }
        result = []
        for token in tokens:
            result.append(token)
            number = token.number
            if number in joined:
                last, parts = joined[number]
                word = "".join(part_word for part_word, _ in parts)
                _, skip = parts[0]
                result.append(_ChunkToken(number, token.start, matches[last].end(), self._finished(word, skip), True))
            surface = matches[number].group()
            prepared = _prepared(surface)
            part = _compounds.name_part(prepared[0], surface) if prepared is not None else None
            if part is not None:
                part_word, part_start = part
                result.append(_ChunkToken(number, token.start, token.end, self._finished(part_word, part_start), True))
        return [token for token in result if not token.extra or token.info is not None and token.info.term is not None]

    # -- a text: its chunks, walked once for every reader -----------------------

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

    def _chunks_of(self, value: str, offsets: bool = True) -> Iterator[Tuple[int, _Chunk]]:
        """Each chunk of ``value`` in order, as (where it starts in
        ``value``, what it holds): the one walk over a text that every
        reader shares. Chunks are cut at white space, except that a spaced
        number is one. ``offsets=False`` gives 0 for every start, sparing
        the search for them (what indexing's ``__call__`` needs); then no
        line of Python runs per chunk seen before."""
        pieces: List[str] = []
        starts: List[int] = []
        for offset, segment, is_number in self._segments(value):
            if is_number:
                pieces.append(segment)
                starts.append(offset)
                continue
            chunks = segment.split()
            pieces += chunks
            if offsets:
                cursor = 0
                find = segment.find
                for chunk in chunks:
                    cursor = find(chunk, cursor)
                    starts.append(offset + cursor)
                    cursor += len(chunk)
        return zip(starts if offsets else repeat(0), map(self._chunks.__getitem__, pieces))

    def words(self, value: str, extras: bool = True) -> Iterator[Tuple[int, int, int, WordInfo]]:
        """Every word of ``value`` as ``(position, start, end, info)``, stop
        words included: for the index's auxiliary fields and for highlighting.
        ``extras=False`` leaves out the joined forms of hyphenated words and
        names' parts after an apostrophe: the words as typed, for queries."""
        position = 0
        for base, chunk in self._chunks_of(value):
            for number, start, end, info in chunk.words if extras else chunk.typed:
                yield position + number, base + start, base + end, info
            position += chunk.size

    def count_words(
        self, value: str, terms: Collection[str], forms: Collection[str]
    ) -> Tuple[Dict[str, int], Dict[str, int]]:
        """How often each of ``terms`` (indexed terms) occurs in ``value``,
        and how often it is written as one of ``forms`` (words folded but
        not stemmed: :attr:`WordInfo.form`)."""
        term_counts: Dict[str, int] = {}
        form_counts: Dict[str, int] = {}
        for _, chunk in self._chunks_of(value, offsets=False):
            for term, form in chunk.forms:  # the indexed words only
                if term in terms:
                    term_counts[term] = term_counts.get(term, 0) + 1
                    if form in forms:
                        form_counts[form] = form_counts.get(form, 0) + 1
        return term_counts, form_counts

    def all_tokens(self, value: str, only: Optional[Collection[str]] = None) -> List[Token]:
        """The tokens of ``value`` stop words included (as written, folded):
        what highlighting matches a query against. With ``only``, just the
        tokens whose term is one of those (a query's, for its highlights)."""
        found = []
        for position, start, end, info in self.words(value):
            text = info.term if info.term is not None else info.stop or ""
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
        # The hot loop of indexing: the indexed tokens of each chunk, ready made.
        token = _WhooshToken(positions, chars, removestops=removestops, mode=mode)
        token.boost = 1.0
        token.stopped = False
        position = start_pos
        if not chars:
            # What indexing asks for: no offsets, so no searching for them.
            for _, chunk in self._chunks_of(value, offsets=False):
                for number, term in chunk.numbered:
                    token.text = term
                    token.pos = position + number
                    yield token
                position += chunk.size
            return
        for base, chunk in self._chunks_of(value):
            base += start_char
            for number, start, end, term in chunk.indexed:
                token.text = term
                token.pos = position + number
                token.startchar = base + start
                token.endchar = base + end
                yield token
            position += chunk.size

    def _tokens_with_stops(
        self, value: str, positions: bool, chars: bool, start_pos: int, start_char: int, mode: str
    ) -> Iterator[_WhooshToken]:
        token = _WhooshToken(positions, chars, removestops=False, mode=mode)
        token.boost = 1.0
        for position, start, end, info in self.words(value):
            term = info.term
            token.stopped = term is None
            token.text = info.stop if term is None else term
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token
