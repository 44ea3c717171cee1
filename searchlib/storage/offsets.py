"""How the text field's postings keep where each occurrence stands.

Each posting of a passage's text keeps, for every occurrence of its term,
the word's position (as Whoosh's ``Positions`` format does, for phrases)
and its characters in the passage's text, so that highlights and the
forms a word was written in are read from the index at query time rather
than found by analysing the passages again.

Whoosh's own ``Characters`` format would do, but it pickles a tuple per
occurrence: 11% more index where this packing takes under 6%. A value is
one layout byte, then every occurrence's position, then every start, then
every length, little-endian: 16, 16 and 8 bits wide (layout 0), or 32 bits
each (layout 1) for the rare passage too long for those. Unpacked by
``struct`` in C, so phrases read positions as fast as from a pickle.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from typing import Any, Dict, Iterable, Iterator, List, Sequence, Tuple

import numpy as np
import numpy.typing as npt
from whoosh.formats import Format, tokens

__all__ = ["Offsets", "encode", "encode_each", "positions", "positions_of_each", "places"]

#: (position, start, end) of one occurrence, characters into the passage's text
Place = Tuple[int, int, int]

_NARROW, _WIDE = 0, 1
_ONE_NARROW = struct.Struct("<BHHB")
_layouts: Dict[Tuple[int, int], struct.Struct] = {}
_MEMO_COUNTS = 64


def _layout(kind: int, count: int) -> struct.Struct:
    """The packing of ``count`` occurrences (the small counts, which recur,
    compiled once: a pure function's memo, shared safely by threads)."""
    packing = _layouts.get((kind, count))
    if packing is None:
        spec = f"<B{count}H{count}H{count}B" if kind == _NARROW else f"<B{count * 3}I"
        packing = struct.Struct(spec)
        if count <= _MEMO_COUNTS:
            _layouts[(kind, count)] = packing
    return packing


def encode(places: Sequence[Place]) -> bytes:
    """The posting value of a term's occurrences in one passage, in order
    (one occurrence packs as :func:`encode_each`'s shortcut packs it)."""
    count = len(places)
    numbers = [position for position, _, _ in places]
    numbers += [start for _, start, _ in places]
    lengths = [end - start for _, start, end in places]
    if max(numbers) < 0x10000 and max(lengths) < 0x100:
        return _layout(_NARROW, count).pack(_NARROW, *numbers, *lengths)
    return _layout(_WIDE, count).pack(_WIDE, *numbers, *lengths)


def encode_each(occurrences: Iterable[Sequence[Place]]) -> List[bytes]:
    """:func:`encode` of each term's occurrences: indexing's hot loop, the
    commonest case (one short occurrence) packed inline."""
    pack_one = _ONE_NARROW.pack
    values = []
    for places in occurrences:
        if len(places) == 1:
            position, start, end = places[0]
            if position < 0x10000 and start < 0x10000 and end - start < 0x100:
                values.append(pack_one(_NARROW, position, start, end - start))
                continue
        values.append(encode(places))
    return values


def _count(value: bytes) -> Tuple[int, int]:
    """(layout, occurrences) of a posting value."""
    kind = value[0]
    return kind, (len(value) - 1) // (5 if kind == _NARROW else 12)


def positions(value: bytes) -> List[int]:
    """The positions of a posting value's occurrences."""
    kind, count = _count(value)
    return list(struct.unpack_from(f"<{count}{'H' if kind == _NARROW else 'I'}", value, 1))


def positions_of_each(values: Sequence[bytes]) -> Tuple["npt.NDArray[np.int64]", "npt.NDArray[np.int64]"]:
    """How many occurrences each posting value holds, and all their
    positions, value after value: unpacked together by numpy (phrases
    read thousands of values a query)."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    buffer = np.frombuffer(b"".join(values), dtype=np.uint8)
    starts = np.cumsum(lengths) - lengths
    if len(values) and buffer[starts].any():  # some are wide: unpacked one at a time
        found = [positions(value) for value in values]
        counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        return counts, np.fromiter((p for held in found for p in held), dtype=np.int64, count=int(counts.sum()))
    counts = (lengths - 1) // 5
    firsts = np.repeat(starts + 1, counts)  # where each value's positions start
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    at = firsts + 2 * within
    return counts, buffer[at].astype(np.int64) | (buffer[at + 1].astype(np.int64) << 8)


def places(value: bytes) -> List[Place]:
    """Every occurrence of a posting value as (position, start, end)."""
    kind, count = _count(value)
    numbers = _layout(kind, count).unpack(value)
    found = numbers[1 : 1 + count]
    starts = numbers[1 + count : 1 + 2 * count]
    lengths = numbers[1 + 2 * count :]
    return [(position, start, start + length) for position, start, length in zip(found, starts, lengths)]


class Offsets(Format):
    """A Whoosh format keeping each occurrence's position and characters
    (see the module's docstring). Supports frequency, weight, positions,
    position boosts (always 1) and characters, as ``Characters`` does, so
    Whoosh's own phrase matchers and highlighters read it too."""

    posting_size = -1
    textual = True
    __inittypes__ = dict(field_boost=float)

    def __init__(self, field_boost: float = 1.0) -> None:
        self.field_boost = field_boost
        self.options: Dict[str, Any] = {}

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Tuple[str, int, float, bytes]]:
        found: Dict[str, List[Place]] = defaultdict(list)
        kwargs.update(positions=True, chars=True, boosts=False)
        for token in tokens(value, analyzer, kwargs):
            found[token.text].append((token.pos, token.startchar, token.endchar))
        for term, occurrences in found.items():
            yield term, len(occurrences), len(occurrences) * self.field_boost, encode(occurrences)

    def encode(self, places: Sequence[Place]) -> bytes:
        return encode(places)

    def decode_frequency(self, value: bytes) -> int:
        return _count(value)[1]

    def decode_weight(self, value: bytes) -> float:
        return _count(value)[1] * self.field_boost

    def decode_positions(self, value: bytes) -> List[int]:
        return positions(value)

    def decode_characters(self, value: bytes) -> List[Place]:
        return places(value)

    def decode_position_boosts(self, value: bytes) -> List[Tuple[int, float]]:
        return [(position, 1.0) for position in positions(value)]
