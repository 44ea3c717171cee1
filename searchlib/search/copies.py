"""Which of the ranked passages are shown: copies left out, a cap a document.

News feeds repeat themselves: the same dispatch under two ids, a passage
quoted whole in another article. Walking the ranking from the top, a
passage near-identical to one already shown (their sketches, see
:mod:`searchlib.analysis.duplicates`) is left out and its document named
by the hit it copies; a document near-identical to one shown is left out
whole. Apart from :mod:`.ranking` because it reads no scores: only the
order of the ranking and the passages' stored fields.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..analysis import duplicates
from ..storage.schema import FIELDS

__all__ = ["Chosen", "Kept", "walk", "finish"]

#: (stored fields with ``_docnum``, score, ids of documents holding copies)
Chosen = Tuple[Dict[str, Any], float, Tuple[str, ...]]
#: the same while walking, the copies' ids still being gathered
Kept = Tuple[Dict[str, Any], float, List[str]]


def walk(
    ranked: List[Tuple[int, float]],
    fields_of: Callable[[int], Dict[str, Any]],
    limit: int,
    per_doc: Optional[int],
    collapse: bool,
) -> List[Kept]:
    """The ranked passages to show, in order: at most ``limit``, at most
    ``per_doc`` a document, and (``collapse``) no copy of one shown.
    Copies of a passage score alike, so they sit next to each other
    in the ranking: a window a little deeper than ``limit`` finds them.
    A document near-identical to one shown (the same story under two
    ids) is left out whole, and named by that document's hits."""
    kept: List[Kept] = []
    by_value: Dict[int, List[int]] = {}
    per_document: Dict[str, int] = {}
    documents = _Documents()
    doc_id_field, sketch_field = FIELDS.doc_id, FIELDS.sketch
    for docnum, score in ranked:
        fields = fields_of(docnum)
        doc_id = fields[doc_id_field]
        if collapse:
            original = _original(fields, kept, by_value)
            if original is not None:
                original[2].append(doc_id)
                continue
            if documents.copies(fields):
                continue
        if len(kept) == limit:
            continue  # only looking for copies of what is shown
        if per_doc is not None:
            if per_document.get(doc_id, 0) >= per_doc:
                continue
            per_document[doc_id] = per_document.get(doc_id, 0) + 1
        for value in fields.get(sketch_field) or ():
            by_value.setdefault(value, []).append(len(kept))
        documents.shown(fields)
        kept.append((fields, score, []))
    if documents.named:
        for fields, _, copies in kept:
            copies.extend(documents.named.get(fields[doc_id_field], ()))
    return kept


class _Documents:
    """The documents shown so far, by the values of their sketches, and the
    documents found to copy them."""

    def __init__(self) -> None:
        self._sketches: Dict[str, Sequence[int]] = {}
        self._by_value: Dict[int, List[str]] = {}
        self._copied: Dict[str, str] = {}  # a copy's id: the id of the document shown
        self.named: Dict[str, List[str]] = {}  # a document shown: the ids of its copies

    def shown(self, fields: Dict[str, Any]) -> None:
        doc_id = fields[FIELDS.doc_id]
        sketch = fields.get(FIELDS.doc_sketch)
        if sketch and doc_id not in self._sketches:
            self._sketches[doc_id] = sketch
            for value in sketch:
                self._by_value.setdefault(value, []).append(doc_id)

    def copies(self, fields: Dict[str, Any]) -> bool:
        """Whether the passage's document copies a document shown (noted
        if so). Indexes made before documents had sketches compare passages only."""
        doc_id = fields[FIELDS.doc_id]
        if doc_id in self._copied:
            return True
        sketch = fields.get(FIELDS.doc_sketch)
        if not sketch or doc_id in self._sketches:
            return False
        seen: Set[str] = set()
        for value in sketch:
            for other in self._by_value.get(value, ()):
                if other not in seen:
                    seen.add(other)
                    if duplicates.near_identical(sketch, self._sketches[other], duplicates.DOCUMENT_THRESHOLD):
                        self._copied[doc_id] = other
                        self.named.setdefault(other, []).append(doc_id)
                        return True
        return False


def _original(fields: Dict[str, Any], kept: List[Kept], by_value: Dict[int, List[int]]) -> Optional[Kept]:
    """The passage shown already that this one copies, if any. Copies share
    at least half their sketch, so only passages sharing a value are compared."""
    sketch = fields.get(FIELDS.sketch) or ()
    doc_id = FIELDS.doc_id
    seen: Set[int] = set()
    for value in sketch:
        for position in by_value.get(value, ()):
            if position in seen:
                continue
            seen.add(position)
            other = kept[position]
            if other[0][doc_id] != fields[doc_id] and duplicates.near_identical(sketch, other[0].get(FIELDS.sketch) or ()):
                return other
    return None


def finish(kept: List[Kept]) -> List[Chosen]:
    return [(fields, score, tuple(dict.fromkeys(copies))) for fields, score, copies in kept]
