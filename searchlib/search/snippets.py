"""Highlights and snippets drawn on a passage's original text.

Highlights are found by analysing the passage as the index did and keeping
the tokens whose term the query asked for, so they land on the words exactly
as written ("États-Unis" for the query "etats-unis"). The snippet is the
window of the passage holding the most distinct matched terms.
"""

from __future__ import annotations

import re
from typing import Callable, Collection, Dict, List, Sequence, Set, Tuple

from ..analysis import Token
from ..results import FORMATS, MARK_CLOSE, MARK_OPEN, render
from .query import Pattern

__all__ = [
    "find_matches", "pattern_terms", "merge_spans", "make_snippet", "snippet_window", "render", "FORMATS",
    "SNIPPET_WIDTH", "MARK_OPEN", "MARK_CLOSE",
]  # fmt: skip

SNIPPET_WIDTH = 240

Span = Tuple[int, int]
Match = Tuple[int, int, str]

# What lies between two matched parts of one compound word: a hyphen or
# apostrophe, possibly around unmatched parts ("-le-" in "cessez-le-feu").
_COMPOUND_GAP_RE = re.compile(r"[-\u2010\u2011'\u2019](?:\w+[-\u2010\u2011'\u2019])*")
_SPACE_RE = re.compile(r"\s+")
_SENTENCE_START_RE = re.compile(r"[.!?…»\"]\s+")


def pattern_terms(patterns: Collection[Pattern]) -> Set[str]:
    """Every term the patterns match: the only tokens :func:`find_matches`
    looks at, so the only ones a caller needs to build."""
    return {term for pattern in patterns for terms, _ in pattern for term in terms}


def find_matches(
    text: str, patterns: Collection[Pattern], words: Callable[[str], Sequence[Token]]
) -> List[Match]:
    """Every word of ``text`` that is a queried word, or part of a queried
    phrase found whole (same words, same gaps). ``words`` gives the words of
    a text with the term each stands for (stop words included)."""
    if not patterns:
        return []
    tokens = words(text)
    single: set[str] = set()
    for pattern in patterns:
        if len(pattern) == 1:
            single |= pattern[0][0]
    marked = {i for i, token in enumerate(tokens) if token.text in single}
    phrases = [pattern for pattern in patterns if len(pattern) > 1]
    if phrases:
        # A position may hold more than one token: a hyphenated word's first
        # part and the word joined, a name and its part after an apostrophe.
        at_position: Dict[int, List[int]] = {}
        for i, token in enumerate(tokens):
            at_position.setdefault(token.position, []).append(i)
        for phrase in phrases:
            (head, _), rest = phrase[0], phrase[1:]
            for i, token in enumerate(tokens):
                if token.text not in head:
                    continue
                found = [i]
                for terms, offset in rest:
                    j = next((j for j in at_position.get(token.position + offset, ()) if tokens[j].text in terms), None)
                    if j is None:
                        break
                    found.append(j)
                else:
                    marked.update(found)
    return sorted((tokens[i].start, tokens[i].end, tokens[i].text) for i in marked)


def merge_spans(text: str, matches: Sequence[Match]) -> List[Span]:
    """Spans of the matches, one per word: the matched parts of a hyphenated
    word ("cessez-le-feu", "États-Unis") make one span."""
    spans: List[Span] = []
    for start, end, _ in matches:
        if spans and start < spans[-1][1]:  # within a word matched whole ("e-mail" as "email")
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        elif spans and _COMPOUND_GAP_RE.fullmatch(text, spans[-1][1], start):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _best_window(matches: Sequence[Match], width: int) -> Span:
    """The span of the run of matches fitting in ``width`` characters that
    holds the most distinct terms, then the most matches."""
    best = (0, 0)
    best_span: Span = (matches[0][0], matches[0][1])
    for i, (start, _, _) in enumerate(matches):
        seen: set[str] = set()
        last_end = start
        count = 0
        for s, e, term in matches[i:]:
            if e - start > width:
                break
            seen.add(term)
            count += 1
            last_end = e
        if (len(seen), count) > best:
            best = (len(seen), count)
            best_span = (start, last_end)
    return best_span


def _window_bounds(text: str, cluster: Span, width: int) -> Span:
    """A window of about ``width`` characters around ``cluster``, starting at
    a sentence start when one is close before it, cut between words."""
    start, end = cluster
    slack = max(0, width - (end - start))
    left = max(0, start - slack // 3)
    sentence_starts = [m.end() for m in _SENTENCE_START_RE.finditer(text, max(0, start - slack), start)]
    if sentence_starts:
        left = sentence_starts[-1]
    right = min(len(text), left + width)
    if right < end:
        right = end
    if right == len(text):
        left = max(0, min(left, right - width))
    if left > 0:
        # Rather than open on the tail of a sentence, start at the next one
        # when it begins before the matches.
        later = _SENTENCE_START_RE.search(text, left, start)
        if later is not None:
            left = later.end()
    if left > 0:
        space = text.find(" ", left, start)
        if space != -1 and not text[left - 1].isspace():
            left = space + 1
    if right < len(text):
        space = text.rfind(" ", end, right)
        if space != -1:
            right = space
    return left, right


def snippet_window(text: str, matches: Sequence[Match], width: int = SNIPPET_WIDTH) -> Span:
    """Where the snippet of ``text`` lies: the densest cluster of matches in
    about ``width`` characters, cut at word or sentence boundaries."""
    if not matches or len(text) <= width:
        if len(text) <= width:
            return 0, len(text)
        right = text.rfind(" ", 0, width)
        return 0, (width if right <= 0 else right)
    return _window_bounds(text, _best_window(matches, width), width)


def make_snippet(text: str, matches: Sequence[Match], width: int = SNIPPET_WIDTH) -> str:
    """HTML snippet of ``text``: escaped, each match in ``<mark>``, "…" where cut."""
    return render(text, snippet_window(text, matches, width), merge_spans(text, matches))
