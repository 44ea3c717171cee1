"""How close together a passage's query words stand (term proximity).

Rasolofo and Savoy's proximity for BM25: each pair of different query
words d positions apart adds 1/d², saturated like a term frequency.
Apart from :mod:`.scoring` because it works differently: not over whole
postings at once but over a few candidate passages, reading their
positions; the ranking asks for it only for the passages it may show.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from ..storage.schema import FIELDS
from .layout import Layout

__all__ = ["PROXIMITY_WINDOW", "proximity"]

#: words further apart than this many positions are not near each other
PROXIMITY_WINDOW = 5
Scores = Dict[int, float]
#: each positive word of the text field: its spellings and weight (IDF × boost)
Units = Sequence[Tuple[Tuple[str, ...], float]]


def proximity(layout: Layout, units: Units, average: float, k1: float, b: float, passages: Sequence[int]) -> Scores:
    """For each of ``passages``, how close together its query words
    (``units``) stand: each pair of different words d positions apart adds
    1/d² (within :data:`PROXIMITY_WINDOW`), saturated like a term frequency
    (``average`` is the text field's average length) and weighed by the
    rarer word's weight, summed over the pairs."""
    if len(units) < 2 or not passages:
        return {}
    positions = _positions(layout, units, passages)
    found: Scores = {}
    for docnum, held in positions.items():
        present = sorted(held)
        if len(present) < 2:
            continue
        norm = k1 * (1 - b + b * layout.text_length(docnum) / average)
        score = 0.0
        for i, first in enumerate(present):
            for second in present[i + 1 :]:
                near = 0.0
                for a in held[first]:
                    for c in held[second]:
                        distance = abs(a - c)
                        if 0 < distance <= PROXIMITY_WINDOW:
                            near += 1.0 / (distance * distance)
                if near:
                    weight = min(units[first][1], units[second][1])
                    score += weight * (k1 + 1) * near / (near + norm)
        if score:
            found[docnum] = score
    return found


def _positions(layout: Layout, units: Units, passages: Sequence[int]) -> Dict[int, Dict[int, List[int]]]:
    """{passage: {unit: positions of its words}} for the given passages."""
    result: Dict[int, Dict[int, List[int]]] = {}
    wanted = sorted(passages)
    text_field = FIELDS.text
    for reader, offset, segment, _ in layout.leaves:
        local = [d - offset for d in wanted if offset <= d < offset + len(segment.article)]
        if not local:
            continue
        for unit, (texts, _) in enumerate(units):
            for text in texts:
                if (text_field, text) not in reader:
                    continue
                matcher = reader.postings(text_field, text)
                for number in local:
                    if not matcher.is_active():
                        break
                    if matcher.id() < number:
                        matcher.skip_to(number)
                        if not matcher.is_active():
                            break
                    if matcher.id() == number:
                        held = result.setdefault(offset + number, {})
                        held.setdefault(unit, []).extend(matcher.value_as("positions"))
    return result
