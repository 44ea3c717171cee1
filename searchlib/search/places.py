"""Where a query's words stand in a passage's text, read from the index.

The text field's postings keep each occurrence's position and characters
(:mod:`searchlib.storage.offsets`). Scoring reads the query's postings
whole; :class:`Places` keeps the blocks it read, so the highlights of the
passages shown and the forms their words are written in cost a look-up a
word, not an analysis of each passage again. A word scoring did not read
whole (a term of a phrase's rarest-first reading, say) has its postings
read whole once, on the first look-up.
"""

from __future__ import annotations

import bisect
from typing import Any, Collection, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..analysis import FrenchAnalyzer, Token
from ..storage import offsets
from ..storage.schema import FIELDS
from .whoosh27 import blocks_with_values

__all__ = ["Places"]

#: a block of a term's postings: (its first document number, the passage
#: numbers it holds within its segment, their encoded values, the segment's offset)
_Block = Tuple[int, Sequence[int], Sequence[bytes], int]


class Places:
    """Occurrences of terms of the text field in given passages, from the
    blocks of postings :meth:`keep` was handed (and, for other terms, from
    the postings read on demand). One per search; ``leaves`` is the
    searcher's ``(reader, offset)`` per segment."""

    def __init__(self, leaves: Sequence[Tuple[Any, int]]) -> None:
        self._leaves = leaves
        self._blocks: Dict[str, List[_Block]] = {}
        self._complete: Set[str] = set()  # terms whose every block is kept
        self._starts: Dict[str, List[int]] = {}
        # terms read whole on purpose, each segment's blocks with their weights
        self._whole: Dict[str, Dict[int, List[Tuple[Sequence[int], Sequence[float], Sequence[bytes]]]]] = {}

    def keep(self, offset: int, term: str, ids: Sequence[int], values: Sequence[bytes]) -> None:
        """A block of ``term``'s postings in the segment at ``offset``, as read."""
        if ids:
            self._blocks.setdefault(term, []).append((offset + ids[0], ids, values, offset))
            self._starts.pop(term, None)

    def finished(self, term: str) -> None:
        """Every block of ``term``'s postings has been kept."""
        self._complete.add(term)

    def read_whole(self, term: str) -> None:
        """Read and keep every block of ``term``'s postings with their
        weights, once: for a phrase's words, whose postings both the phrase
        and the article's BM25 read (see :meth:`segment_blocks`), and for a
        word scoring did not read whole, on its first look-up."""
        if term in self._whole:
            return
        by_segment: Dict[int, List[Tuple[Sequence[int], Sequence[float], Sequence[bytes]]]] = {}
        self._blocks.pop(term, None)
        self._starts.pop(term, None)
        for reader, offset in self._leaves:
            if (FIELDS.text, term) in reader:
                for ids, weights, values in blocks_with_values(reader.postings(FIELDS.text, term)):
                    by_segment.setdefault(offset, []).append((ids, weights, values))
                    self.keep(offset, term, ids, values)
        self._whole[term] = by_segment
        self._complete.add(term)

    def is_whole(self, term: str) -> bool:
        """Whether :meth:`read_whole` read ``term``."""
        return term in self._whole

    def segment_blocks(
        self, term: str, offset: int
    ) -> Optional[List[Tuple[Sequence[int], Sequence[float], Sequence[bytes]]]]:
        """The blocks of ``term``'s postings in the segment at ``offset``
        (ids, weights, values), in order, if :meth:`read_whole` read them."""
        by_segment = self._whole.get(term)
        return None if by_segment is None else by_segment.get(offset, [])

    def has(self, term: str) -> bool:
        """Whether every block of ``term`` is kept already."""
        return term in self._complete

    def tokens(self, docnum: int, terms: Iterable[str]) -> List[Token]:
        """Every occurrence of ``terms`` in the passage's text, in the text's
        order of words (as :meth:`FrenchAnalyzer.all_tokens` gives them)."""
        found = [
            Token(term, start, end, position)
            for term in terms
            for position, start, end in self._places(docnum, term)
        ]
        found.sort(key=lambda token: (token.position, token.start, token.end, token.text))
        return found

    def count_words(
        self, docnum: int, text: str, terms: Collection[str], forms: Collection[str], analyzer: FrenchAnalyzer
    ) -> Tuple[Dict[str, int], Dict[str, int]]:
        """:meth:`FrenchAnalyzer.count_words` of the passage's ``text``, from
        the characters its postings keep: only the words found are read."""
        term_counts: Dict[str, int] = {}
        form_counts: Dict[str, int] = {}
        form_at = analyzer.form_at
        for term in terms:
            for _, start, end in self._places(docnum, term):
                term_counts[term] = term_counts.get(term, 0) + 1
                form = form_at(text, start, end, term)
                if form in forms:
                    form_counts[form] = form_counts.get(form, 0) + 1
        return term_counts, form_counts

    def _places(self, docnum: int, term: str) -> List[Tuple[int, int, int]]:
        found = self._look_up(docnum, term)
        if found is None:
            if term in self._complete:
                return []
            self.read_whole(term)
            found = self._look_up(docnum, term)
        return offsets.places(found) if found else []

    def _look_up(self, docnum: int, term: str) -> Optional[bytes]:
        """The posting value of ``term`` in the passage (b"" where a kept
        block's range holds the passage and the term is not there), None
        if no kept block covers the passage."""
        blocks = self._blocks.get(term)
        if not blocks:
            return None
        starts = self._starts.get(term)
        if starts is None:
            blocks.sort(key=lambda block: block[0])
            starts = self._starts[term] = [block[0] for block in blocks]
        at = bisect.bisect_right(starts, docnum) - 1
        if at < 0:
            return None
        _, ids, values, offset = blocks[at]
        number = docnum - offset
        if number > ids[-1]:
            return None
        index = bisect.bisect_left(ids, number)
        return values[index] if ids[index] == number else b""
