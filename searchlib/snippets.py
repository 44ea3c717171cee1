"""Highlights and snippets drawn on a passage's original text.

Highlights are found by analysing the passage as the index did and keeping
the tokens whose term the query asked for, so they land on the words exactly
as written ("États-Unis" for the query "etats-unis"). The snippet is the
window of the passage holding the most distinct matched terms.
"""

from __future__ import annotations

import html
import re
from typing import Callable, Collection, List, Sequence, Tuple

from .analysis import Token
from .query import Pattern

__all__ = ["find_matches", "merge_spans", "make_snippet", "SNIPPET_WIDTH", "MARK_OPEN", "MARK_CLOSE"]

SNIPPET_WIDTH = 240
MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
ELLIPSIS = "…"

Span = Tuple[int, int]
Match = Tuple[int, int, str]

# What lies between two matched parts of one compound word: a hyphen or
# apostrophe, possibly around unmatched parts ("-le-" in "cessez-le-feu").
_COMPOUND_GAP_RE = re.compile(r"[-\u2010\u2011'\u2019](?:\w+[-\u2010\u2011'\u2019])*")
_SPACE_RE = re.compile(r"\s+")
_SENTENCE_START_RE = re.compile(r"[.!?…»\"]\s+")


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
        at_position = {token.position: i for i, token in enumerate(tokens)}
        for phrase in phrases:
            (head, _), rest = phrase[0], phrase[1:]
            for i, token in enumerate(tokens):
                if token.text not in head:
                    continue
                found = [i]
                for terms, offset in rest:
                    j = at_position.get(token.position + offset)
                    if j is None or tokens[j].text not in terms:
                        break
                    found.append(j)
                else:
                    marked.update(found)
    return [(tokens[i].start, tokens[i].end, tokens[i].text) for i in sorted(marked)]


def merge_spans(text: str, matches: Sequence[Match]) -> List[Span]:
    """Spans of the matches, one per word: the matched parts of a hyphenated
    word ("cessez-le-feu", "États-Unis") make one span."""
    spans: List[Span] = []
    for start, end, _ in matches:
        if spans and _COMPOUND_GAP_RE.fullmatch(text, spans[-1][1], start):
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


def make_snippet(text: str, matches: Sequence[Match], width: int = SNIPPET_WIDTH) -> str:
    """HTML snippet of ``text``: escaped, each match in ``<mark>``, "…" where cut."""
    if not matches or len(text) <= width:
        left, right = 0, len(text)
        if len(text) > width:
            right = text.rfind(" ", 0, width)
            right = width if right <= 0 else right
    else:
        left, right = _window_bounds(text, _best_window(matches, width), width)
    inside = [(s, e, t) for s, e, t in matches if s >= left and e <= right]
    pieces: List[str] = [ELLIPSIS] if left > 0 else []
    cursor = left
    for s, e in merge_spans(text, inside):
        pieces.append(_plain(text[cursor:s]))
        pieces.append(MARK_OPEN + _plain(text[s:e]) + MARK_CLOSE)
        cursor = e
    pieces.append(_plain(text[cursor:right]))
    if right < len(text):
        pieces.append(ELLIPSIS)
    return "".join(pieces).strip()


def _plain(fragment: str) -> str:
    return html.escape(_SPACE_RE.sub(" ", fragment), quote=False)
