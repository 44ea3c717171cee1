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
holds only the speed: the caches and the walk over a text's chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Collection, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, cast

from whoosh.analysis import Analyzer, Token as _WhooshToken

from . import compounds as _compounds
from .words import (
    _SIMPLE_RUN_RE,
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

__all__ = ["FrenchAnalyzer", "Token"]

# A chunk without these holds no hyphenated word and no apostrophe.
_MAY_BE_COMPOUND_RE = re.compile(f"[{_compounds.HYPHENS}{APOSTROPHES}]")


class WordInfo(NamedTuple):
    """What analysis makes of one written word, cached by its spelling.
    Built once per distinct word; hot loops unpack it by position."""

    term: Optional[str]  # the indexed term, None for a stop word
    stop: Optional[str]  # the folded stop word, None for an indexed one
    key: str  # the accent-resolution key
    skip: int  # characters of elision to skip before the word itself
    form: str  # the word folded but not stemmed: its exact form ("" for a stop word)


_WordInfo = WordInfo


class ChunkInfo(NamedTuple):
    """What analysis makes of a chunk of text (a run between spaces),
    cached by its text. Offsets are relative to the chunk, ``indexed``
    starts past any elision. Built once per distinct chunk; hot loops
    unpack it by position."""

    size: int  # tokens it holds: positions it takes
    indexed: Tuple[Tuple[int, int, int, str], ...]  # (number, start, end, term) of the indexed tokens
    # every token as (number, start, end, info, extra): info None for one the
    # pipeline drops (it still takes a position), extra True for the joined
    # form of a hyphenated word or a name's part after its apostrophe
    tokens: Tuple[Tuple[int, int, int, Optional[WordInfo], bool], ...]
    numbered: Tuple[Tuple[int, str], ...]  # (number, term) of the indexed tokens
    forms: Tuple[Tuple[str, str], ...]  # (term, form) of the indexed tokens


_Chunk = ChunkInfo

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
            return WordInfo(None, folded, stem(folded), skip, "")
        folded = fold(word)
        return WordInfo(fold(stem(word)), None, stem(folded), skip, folded)

    def runs(self, value: str) -> List[str]:
        """The runs of characters of ``value`` that analysis reads one at a
        time, in order: the pieces between white space, except that a
        number grouped by spaces ("280 000") is one run."""
        pieces: List[str] = []
        for _, segment, is_number in self._segments(value):
            if is_number:
                pieces.append(segment)
            else:
                pieces += segment.split()
        return pieces

    def read_run(self, run: str) -> ChunkInfo:
        """What analysis makes of one run of :meth:`runs`, not cached (for
        callers that keep their own cache of what they derive from it)."""
        return self._simple_chunk(run) or self._read_chunk(run)

    @staticmethod
    def lone_word(run: str) -> Optional[str]:
        """The word of a run that holds one word of letters and nothing but
        punctuation around it ("pays." → "pays"), which analysis reads as
        that word alone; None for any other run."""
        simple = _SIMPLE_RUN_RE.fullmatch(run)
        return None if simple is None else simple.group(2)

    def _chunk_tokens(self, chunk: str) -> _Chunk:
        found = self._chunks.get(chunk)
        if found is None:
            found = self.read_run(chunk)
            if len(self._chunks) >= self.cache_size:
                self._chunks.clear()
            self._chunks[chunk] = found
        return found

    def _simple_chunk(self, chunk: str) -> Optional[_Chunk]:
        """A chunk that is one word of letters with punctuation around it
        (most are), read without the tokenizer; None for any other."""
        simple = _SIMPLE_RUN_RE.fullmatch(chunk)
        if simple is None:
            return None
        start, end = simple.span(2)
        info = self.word_info(simple.group(2))
        tokens = ((0, start, end, info, False),)
        if info is None or info.term is None:
            return ChunkInfo(1, (), tokens, (), ())
        return ChunkInfo(1, ((0, start, end, info.term),), tokens, ((0, info.term),), ((info.term, info.form),))

    def _read_chunk(self, chunk: str) -> _Chunk:
        """What the tokenizer and the word steps make of any chunk."""
        word_info = self.word_info
        tokens: List[Tuple[int, int, int, Optional[_WordInfo], bool]] = []
        matches = list(_TOKEN_RE.finditer(chunk))
        for number, match in enumerate(matches):
            info = word_info(match.group())
            start, end = match.span()
            tokens.append((number, start, end, info, False))
        if _MAY_BE_COMPOUND_RE.search(chunk):
            tokens = self._with_extras(chunk, matches, tokens)
        indexed = tuple(
            (n, start + info.skip, end, info.term)
            for n, start, end, info, _ in tokens
            if info is not None and info.term is not None
        )
        return ChunkInfo(
            len(matches),
            indexed,
            tuple(tokens),
            tuple((number, term) for number, _, _, term in indexed),
            tuple((info.term, info.form) for _, _, _, info, _ in tokens if info is not None and info.term is not None),
        )

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
        pieces = self.runs(value)
        for chunk, entry in zip(pieces, map(chunks.get, pieces)):
            found = entry or chunk_tokens(chunk)
            for term, form in found[4]:  # found.forms: the indexed words only (by position: a hot loop)
                if term in terms:
                    term_counts[term] = term_counts.get(term, 0) + 1
                    if form in forms:
                        form_counts[form] = form_counts.get(form, 0) + 1
        return term_counts, form_counts

    def form_at(self, value: str, start: int, end: int, term: str) -> str:
        """The form (folded, not stemmed) of the word of ``value`` indexed
        as ``term`` at ``start:end``, as :meth:`count_words` counts it: the
        written word's own analysis, cached, rather than the text's."""
        info = self.word_info(value[start:end])
        if info is not None and info.term == term:
            return info.form
        # A hyphenated word joined, a name's part after its apostrophe, a
        # spaced number: the word is only known in its text.
        for _, word_start, word_end, info in self.words(value):
            if word_start == start and word_end == end and info.term == term:
                return info.form
        return ""

    def all_tokens(self, value: str, only: Optional[Collection[str]] = None) -> List[Token]:
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
