"""Cutting a document into passages: the unit that search ranks and returns.

A passage is a paragraph, or a run of whole sentences of a long paragraph, or
a few short paragraphs put together; it records its character offsets into
the document text so a hit can always be shown in context.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple

__all__ = ["Passage", "split_passages", "split_sentences", "paragraph_spans", "MIN_WORDS", "MAX_WORDS"]

MIN_WORDS = 40
MAX_WORDS = 120

Span = Tuple[int, int]

_PARAGRAPH_RE = re.compile(r"[^\n]+")
_WORD_RE = re.compile(r"\w+")
_match_start = re.Match.start
_match_end = re.Match.end
# A sentence ends at . ! ? or … (possibly closed by quotes or brackets)
# followed by white space and something that can open a sentence.
_SENTENCE_END_RE = re.compile(
    r"""(?<=[.!?…])(?:[ \u00a0\u202f]?["»”’)\]])*(?P<gap>\s+)(?=[«"“(\[]?\s*[^\W_a-zà-ÿ]|[«"“])""",
    re.VERBOSE,
)
# Words after which a full stop does not end the sentence.
_ABBREVIATIONS = frozenset(
    """
    m mm mme mmes mlle mlles me mgr dr pr st ste art al av bd etc cf ex fig
    no n° p pp vol éd ed chap min max env hab tél tel ibid op cit coll dir
    """.split()
)
_LAST_WORD_RE = re.compile(r"(\w+)\.$")
# Scraped news often loses the space after a full stop ("jeudi.Le
# gouvernement", "pays.M. Lavrov"): a lower-case word (or number) of two
# characters or more, the stop, then a capital opening a word or an initial.
# "280.000", "2,5", "O.N.U." and "www.Le-Monde.fr" do not match.
_GLUED_END_RE = re.compile(r"(?<=[a-zà-ÿ0-9][a-zà-ÿ0-9][.!?])(?=[A-ZÀ-ÖØ-Ý](?:[a-zà-ÿ]|\.\s|['’][A-Za-zÀ-ÿ]))")


@dataclass(frozen=True)
class Passage:
    """A passage: its 0-based number in the document and its span there."""

    number: int
    start: int
    end: int

    def text_of(self, document_text: str) -> str:
        return document_text[self.start : self.end]


class _WordCounter:
    """How many words ``_WORD_RE`` finds in any span of one text, from one
    pass over the text rather than a search per span.

    Words are maximal runs of word characters, and whatever part of a run
    a span covers is itself one word of the span; so a span holds as many
    words as there are runs that overlap it.
    """

    def __init__(self, text: str) -> None:
        # map() over the matches calls their methods from C: a loop here
        # would cost a document's every word a turn of the interpreter.
        matches = list(_WORD_RE.finditer(text))
        self._starts: List[int] = list(map(_match_start, matches))
        self._ends: List[int] = list(map(_match_end, matches))

    def __call__(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        return bisect_left(self._starts, end) - bisect_right(self._ends, start)


def paragraph_spans(text: str, start: int = 0) -> Iterator[Span]:
    """Each non-blank line of ``text[start:]`` (a paragraph), white space trimmed."""
    for match in _PARAGRAPH_RE.finditer(text, start):
        first, last = match.span()
        while first < last and text[first].isspace():
            first += 1
        while last > first and text[last - 1].isspace():
            last -= 1
        if first < last:
            yield first, last


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the full stop just before ``end`` belongs to an abbreviation
    or an initial ("M. Lavrov", "John F. Kennedy") rather than ending a sentence."""
    if end <= 0 or text[end - 1] != ".":
        return False
    match = _LAST_WORD_RE.search(text, max(0, end - 12), end)
    if match is None:
        return False
    word = match.group(1)
    if word.lower() in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isupper()


def split_sentences(text: str, start: int = 0, end: int | None = None) -> List[Span]:
    """Spans of the sentences of ``text[start:end]``, white space trimmed."""
    end = len(text) if end is None else end
    spans: List[Span] = []
    sentence_start = start
    cuts = [(m.start(), m.start("gap"), m.end("gap")) for m in _SENTENCE_END_RE.finditer(text, start, end)]
    if "." in text[start:end]:
        cuts += [(m.start(), m.start(), m.start()) for m in _GLUED_END_RE.finditer(text, start, end)]
        cuts.sort()
    for stop, gap_start, gap_end in cuts:
        if _is_abbreviation(text, stop) or gap_start < sentence_start:
            continue
        spans.append((sentence_start, gap_start))
        sentence_start = gap_end
    if sentence_start < end:
        spans.append((sentence_start, end))
    return [(s, e) for s, e in spans if e > s]


def _cut_long(text: str, span: Span, max_words: int, count_words: _WordCounter) -> List[Span]:
    """Cut one long paragraph at sentence ends into near-equal parts."""
    sentences: List[Span] = []
    for sentence in split_sentences(text, *span):
        if count_words(*sentence) > max_words:
            sentences.extend(_cut_words(text, sentence, max_words))
        else:
            sentences.append(sentence)
    counts = [count_words(s, e) for s, e in sentences]
    total = sum(counts)
    parts = max(1, math.ceil(total / max_words))
    target = total / parts
    pieces: List[Span] = []
    piece_start = sentences[0][0]
    words = 0
    for (s, e), count in zip(sentences, counts):
        # Close the piece before this sentence when adding it would overshoot
        # the target by more than stopping short of it does.
        if words and words + count > max_words or (
            words and len(pieces) < parts - 1 and abs(words + count - target) > abs(words - target)
        ):
            pieces.append((piece_start, _previous_end(sentences, s)))
            piece_start, words = s, 0
        words += count
    pieces.append((piece_start, sentences[-1][1]))
    return pieces


def _cut_words(text: str, span: Span, max_words: int) -> List[Span]:
    """Cut a sentence longer than ``max_words`` (a list, a table flattened
    into text, a page without punctuation) between words, into near-equal parts."""
    # Only word starts after white space, so "l’armée" is never cut in two.
    starts = [m.start() for m in _WORD_RE.finditer(text, *span) if text[m.start() - 1].isspace()]
    parts = math.ceil(len(starts) / max_words)
    cuts = sorted({starts[round(i * len(starts) / parts)] for i in range(1, parts)} - {span[0]})
    pieces: List[Span] = []
    first = span[0]
    for cut in cuts:
        last = cut
        while last > first and text[last - 1].isspace():
            last -= 1
        pieces.append((first, last))
        first = cut
    pieces.append((first, span[1]))
    return [piece for piece in pieces if piece[1] > piece[0]]


def _previous_end(sentences: Sequence[Span], start: int) -> int:
    for s, e in reversed(sentences):
        if e <= start:
            return e
    return start


def split_passages(
    text: str,
    start: int = 0,
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
    paragraphs: Optional[Sequence[Span]] = None,
) -> List[Passage]:
    """Split ``text[start:]`` into passages of about ``min_words`` to ``max_words``.

    ``paragraphs`` are the spans to index (default: every non-blank line);
    paragraphs longer than ``max_words`` are cut at sentence ends; shorter
    than ``min_words``, they join their neighbours while the passage stays
    within ``max_words`` and nothing left out lies between them.
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"passage sizes must satisfy 1 <= min_words <= max_words, not {min_words}, {max_words}")
    spans = list(paragraph_spans(text, start)) if paragraphs is None else list(paragraphs)
    count_words = _WordCounter(text)
    pieces: List[Tuple[Span, int]] = []
    for span in spans:
        words = count_words(*span)
        if words > max_words:
            pieces.extend((piece, count_words(*piece)) for piece in _cut_long(text, span, max_words, count_words))
        elif words:
            pieces.append((span, words))

    passages: List[Passage] = []
    current: Optional[Span] = None
    current_words = 0
    for span, words in pieces:
        if (
            current is not None
            and current_words < min_words
            and current_words + words <= max_words
            and _adjacent(text, current, span)
        ):
            current = (current[0], span[1])
            current_words += words
            continue
        if current is not None:
            passages.append(Passage(len(passages), *current))
        current, current_words = span, words
    if current is not None:
        if passages and current_words < min_words:
            last = passages[-1]
            if _adjacent(text, (last.start, last.end), current) and (
                count_words(last.start, current[1]) <= max_words
            ):
                passages[-1] = Passage(last.number, last.start, current[1])
                return passages
        passages.append(Passage(len(passages), *current))
    return passages


def _adjacent(text: str, before: Span, after: Span) -> bool:
    """Whether only white space separates two spans (no left-out line)."""
    return not text[before[1] : after[0]].strip()
