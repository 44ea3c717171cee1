"""Documents made ready for the index: passages, analysis, postings.

Everything here depends only on a document and the index's settings, never
on the index itself, so it can run in worker processes while the main one
writes (see :mod:`._workers`). Each passage is analysed once, and every
indexed field (the text, the stop words, the accent variants, the names'
sounds, the near-duplicate sketch) is derived from that one pass.
"""

from __future__ import annotations

import pickle
import struct
from typing import Any, Collection, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..analysis import duplicates, phonetic
from .. import ingest
from ..ingest import passages
from ..embedders import Embedder, embed_in_batches, passage_for_embedding
from ..storage import offsets as _offsets, vectors as _vectors
from ..storage.schema import FIELDS, VARIANT_SEPARATOR
from .segment import PreparedChunk, group_postings, stored_record
from ..analysis import FrenchAnalyzer, fold, normalize_word
from ..ingest import Document

__all__ = ["Preparer", "ChunkBuilder"]

_Word = Tuple[int, int, int, Any]
_pack_count = struct.Struct("!I").pack  # Whoosh's pack_uint
_UNSEEN = object()
_NAMES_CACHED = 100_000
_RUNS_CACHED = 200_000


def _encode_positions(places: List[int]) -> bytes:
    """Positions as Whoosh's ``Positions`` format encodes them."""
    deltas = [places[0]] + [b - a for a, b in zip(places, places[1:])]
    return _pack_count(len(places)) + pickle.dumps(deltas, 2)


# Most words occur once in a passage: their encoded position is looked up.
_ONE_POSITION = [_encode_positions([position]) for position in range(1024)]


#: what a run of characters between spaces brings to a passage (see
#: Preparer._summary): positions taken, (offset, term) of its indexed
#: words, and its words' keys, stop words, accent variants, names' sounds,
#: then (offset, start, end, term) of its indexed words, characters into the run
_Summary = Tuple[
    int, Tuple[Tuple[int, str], ...], Tuple[str, ...], Tuple[str, ...], Tuple[str, ...], Tuple[str, ...],
    Tuple[Tuple[int, int, int, str], ...],
]

#: a field's postings in one passage: terms, weights, encoded values, length
_Postings = Tuple[List[str], List[int], List[bytes], int]


def _positions(found: Dict[str, List[int]]) -> _Postings:
    """Postings of a Whoosh ``Positions`` field (terms, weights, encoded
    positions) from each term's positions, and the field's length."""
    single = _ONE_POSITION
    weights = [len(places) for places in found.values()]
    values = [
        single[places[0]] if len(places) == 1 and places[0] < 1024 else _encode_positions(places)
        for places in found.values()
    ]
    return list(found), weights, values, sum(weights)


def _places(found: Dict[str, List[Tuple[int, int, int]]]) -> _Postings:
    """Postings of the text field's :class:`~searchlib.storage.offsets.Offsets`
    format (terms, weights, encoded places) and the field's length."""
    weights = [len(places) for places in found.values()]
    return list(found), weights, _offsets.encode_each(found.values()), sum(weights)


def _frequencies(counts: Dict[str, int]) -> _Postings:
    """Postings of a Whoosh ``Frequency`` field and its length."""
    weights = list(counts.values())
    return list(counts), weights, [_pack_count(count) for count in weights], sum(weights)


def variant_terms(words: Iterable[_Word]) -> List[str]:
    """``key + separator + term`` for each word whose accent-resolution key
    differs from its term ("sécurité": key "securit", term "secur")."""
    pairs = {(key, term) for _, _, _, (term, _, key, _, _) in words if term is not None and key != term}
    return sorted(key + VARIANT_SEPARATOR + term for key, term in pairs)


def _name_entry(written: str, term: str) -> Optional[str]:
    spelling = fold(normalize_word(written.lower()))
    key = phonetic.skeleton(spelling)
    return None if key is None else VARIANT_SEPARATOR.join((key, spelling, term))


class Preparer:
    """Turns documents into prepared chunks for one index's settings.

    Picklable (its analyzer is rebuilt on the other side), so worker
    processes can each hold one.
    """

    def __init__(
        self,
        analyzer: FrenchAnalyzer,
        passage_words: Tuple[int, int],
        offsets: bool = True,
        embedder: Optional[Embedder] = None,
    ) -> None:
        self.analyzer = analyzer
        self.passage_words = passage_words
        self.offsets = offsets  # False: an index of format 5, whose text postings keep positions alone
        self.embedder = embedder  # makes each passage's vector, where the passages are prepared
        self._setup()

    def _setup(self) -> None:
        self._names: Dict[str, Optional[str]] = {}  # a capitalised word's entry in ``sounds``
        self._words: Dict[str, _Summary] = {}  # what a run of characters brings to each field

    def __getstate__(self) -> Dict[str, Any]:
        return {  # not the caches
            "analyzer": self.analyzer, "passage_words": self.passage_words, "offsets": self.offsets,
            "embedder": self.embedder,
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.analyzer = state["analyzer"]
        self.passage_words = state["passage_words"]
        self.offsets = state["offsets"]
        self.embedder = state["embedder"]
        self._setup()

    def _summary(self, run: str) -> _Summary:
        """What one run of characters without white space (or one spaced
        number) brings to a passage's fields, wherever it occurs: the
        positions it takes, its indexed terms at their offsets, every
        word's accent key (for the sketch), its stop words, accent variants
        and names' sounds. Cached: most runs of a text were seen before."""
        word = self.analyzer.lone_word(run)
        if word is not None and word != run:
            # "pays." brings what "pays" does: analysed once for all its
            # punctuations, its characters moved past the punctuation before it.
            summary = self._words.get(word) or self._summary(word)
            shift = run.find(word)
            if shift:
                placed = tuple((offset, start + shift, end + shift, term) for offset, start, end, term in summary[6])
                summary = summary[:6] + (placed,)
            self._remember(run, summary)
            return summary
        count, indexed, tokens, numbered, _ = self.analyzer.read_run(run)
        keys: List[str] = []
        stops: List[str] = []
        variants: List[str] = []
        sounds: List[str] = []
        names: Dict[str, Any] = self._names
        for _, start, end, info, _ in tokens:
            if info is None:
                continue
            term, stop, key, skip, _ = info
            keys.append(key)
            if term is None:
                stops.append(stop or "")
                continue
            if key != term:
                variants.append(key + VARIANT_SEPARATOR + term)
            start += skip
            if run[start : start + 1].isupper():
                written = run[start:end]
                entry = names.get(written, _UNSEEN)
                if entry is _UNSEEN:
                    if len(names) >= _NAMES_CACHED:
                        names.clear()
                    entry = names[written] = _name_entry(written, term)
                if entry is not None:
                    sounds.append(entry)
        summary = (count, numbered, tuple(keys), tuple(stops), tuple(variants), tuple(sounds), indexed)
        self._remember(run, summary)
        return summary

    def _remember(self, run: str, summary: _Summary) -> None:
        if len(self._words) >= _RUNS_CACHED:
            self._words.clear()
        self._words[run] = summary

    def prepare(self, work: Sequence[Tuple[Document, str]]) -> Tuple[List[int], PreparedChunk]:
        """The passages of each document of ``work`` (documents with their
        content hash) as one chunk, and how many passages each document
        made (0: it has no text)."""
        chunk = ChunkBuilder()
        counts = [self.add_document(chunk, document, digest) for document, digest in work]
        return counts, self.finish(chunk)

    def finish(self, chunk: "ChunkBuilder") -> PreparedChunk:
        """The chunk's postings grouped and, with an embedder, its passages' vectors."""
        prepared = chunk.finish()
        if self.embedder is not None:
            prepared.vectors = embed_rows(self.embedder, chunk.texts)
        return prepared

    def add_document(self, chunk: "ChunkBuilder", document: Document, digest: str) -> int:
        """Add a document's passages to ``chunk``; how many it made (0: no text)."""
        low, high = self.passage_words
        paragraphs = ingest.content_paragraphs(document.text, document.text_start)
        pieces = passages.split_passages(document.text, document.text_start, low, high, paragraphs=paragraphs)
        if not pieces:
            return 0
        words_of = self.analyzer.words
        title = document.title or ""
        title_words = list(words_of(title)) if title else []
        title_positions: Dict[str, List[int]] = {}
        for position, _, _, (term, _, _, _, _) in title_words:
            if term is not None:
                title_positions.setdefault(term, []).append(position)
        title_postings = _positions(title_positions)
        title_variants = variant_terms(title_words)
        document_terms = {
            FIELDS.doc_id: [document.id],
            FIELDS.date: [document.date or ""],
            FIELDS.source: [document.source or ""],
            FIELDS.origin: [document.origin or ""],
        }
        first = len(chunk.records)
        stored: List[Dict[str, Any]] = []
        runs_of = self.analyzer.runs
        words = self._words
        summary = self._summary
        offsets = self.offsets
        for number, piece in enumerate(pieces, first):
            text = piece.text_of(document.text)
            positions: Dict[str, List[int]] = {}
            places: Dict[str, List[Tuple[int, int, int]]] = {}
            at = 0  # where the run stands in the text
            find = text.find
            stops: Dict[str, int] = {}
            variants: Set[str] = set(title_variants)
            sounds: Set[str] = set()
            keys: List[str] = []
            # One pass over the passage's words feeds every field, taken a
            # run of characters between spaces at a time (see _summary).
            position = 0
            for run in runs_of(text):
                count, numbered, run_keys, run_stops, run_variants, run_sounds, placed = words.get(run) or summary(run)
                if offsets:
                    at = find(run, at)
                    for offset, start, end, term in placed:
                        place = (position + offset, at + start, at + end)
                        held = places.get(term)
                        if held is None:
                            places[term] = [place]
                        else:
                            held.append(place)
                    at += len(run)
                else:
                    for offset, term in numbered:
                        found = positions.get(term)
                        if found is None:
                            positions[term] = [position + offset]
                        else:
                            found.append(position + offset)
                keys += run_keys
                for stop in run_stops:
                    stops[stop] = stops.get(stop, 0) + 1
                if run_variants:
                    variants.update(run_variants)
                if run_sounds:
                    sounds.update(run_sounds)
                position += count
            text_postings = _places(places) if offsets else _positions(positions)
            stop_postings = _frequencies(stops)
            chunk.add(FIELDS.text, number, text_postings)
            chunk.add(FIELDS.title, number, title_postings)
            chunk.add(FIELDS.stops, number, stop_postings)
            for fieldname, terms in document_terms.items():
                chunk.add_terms(fieldname, number, terms)
            chunk.add_terms(FIELDS.variants, number, variants)
            chunk.add_terms(FIELDS.sounds, number, sounds)
            chunk.columns.append({FIELDS.doc_id: document.id})
            if self.embedder is not None:
                chunk.texts.append(passage_for_embedding(title, text))
            stored.append(
                {
                    FIELDS.doc_id: document.id,
                    FIELDS.passage: piece.number,
                    FIELDS.text: text,
                    FIELDS.title: title,
                    FIELDS.date: document.date or "",
                    FIELDS.source: document.source or "",
                    FIELDS.sketch: duplicates.sketch(keys),
                    FIELDS.start: piece.start,
                    FIELDS.end: piece.end,
                    FIELDS.metadata: document.metadata,
                    FIELDS.doc_hash: digest,
                }
            )
            chunk.lengths.append(
                {FIELDS.text: text_postings[3], FIELDS.title: title_postings[3], FIELDS.stops: stop_postings[3]}
            )
        whole = duplicates.document_sketch(values[FIELDS.sketch] for values in stored)
        chunk.records.extend(stored_record({**values, FIELDS.doc_sketch: whole}) for values in stored)
        return len(pieces)


def embed_rows(embedder: Embedder, texts: Sequence[str]) -> Any:
    """The stored rows of the vectors of ``texts``."""
    return _vectors.quantise(embed_in_batches(embedder, texts))


class ChunkBuilder:
    """Postings of consecutive passages, listed by field in passage order
    as they come, grouped by term once the chunk is finished."""

    def __init__(self) -> None:
        self.records: List[bytes] = []
        self.columns: List[Dict[str, Any]] = []
        self.lengths: List[Dict[str, int]] = []
        self.texts: List[str] = []  # what the embedder reads of each passage, when there is one
        self._weighted: Dict[str, Tuple[List[str], List[int], List[int], List[bytes]]] = {}
        self._existing: Dict[str, Tuple[List[str], List[int]]] = {}

    def add(self, fieldname: str, number: int, postings: _Postings) -> None:
        """A passage's postings in a weighted field (its length aside)."""
        lists = self._weighted.get(fieldname)
        if lists is None:
            lists = self._weighted[fieldname] = ([], [], [], [])
        terms, weights, values, _ = postings
        lists[0].extend(terms)
        lists[1].extend([number] * len(terms))
        lists[2].extend(weights)
        lists[3].extend(values)

    def add_terms(self, fieldname: str, number: int, terms: Collection[str]) -> None:
        """A passage's distinct terms in an ``Existence`` field (weight 1, no value)."""
        lists = self._existing.get(fieldname)
        if lists is None:
            lists = self._existing[fieldname] = ([], [])
        lists[0].extend(terms)
        lists[1].extend([number] * len(terms))

    def finish(self) -> PreparedChunk:
        postings = {fieldname: group_postings(*lists) for fieldname, lists in self._weighted.items()}
        postings.update({fieldname: group_postings(*lists) for fieldname, lists in self._existing.items()})
        return PreparedChunk(self.records, self.columns, self.lengths, postings)


# The preparer of a worker process, set once as the worker starts.
