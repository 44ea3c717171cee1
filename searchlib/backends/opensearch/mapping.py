"""What a searchlib index looks like on an OpenSearch cluster: the index
settings and mappings, and the cluster documents a searchlib document
becomes.

searchlib analyses in Python and the cluster indexes searchlib's own terms,
so a query matches on the cluster exactly what it matches locally. A
passage's terms are sent as text split on spaces, one term a position:

- ``text_terms`` holds the first term at each position of the passage's
  text, ``text_terms_1`` and ``text_terms_2`` the second and third where
  analysis stacks several terms at one position (``porte-parole`` is
  ``port`` and ``porteparol`` at position 0); a position without one holds
  :data:`FILLER`, which keeps the positions of the terms after it.
- ``text_places`` holds :data:`FILLER` at every position: a phrase with a
  stop word inside ("porte-parole du Kremlin") needs one position, any
  term, between its words (a span of this field, masked as the text's).
- ``text_words`` lists the distinct terms, for counting passages and
  walking the vocabulary (terms aggregations); ``title_*`` likewise.
- ``text`` and ``title`` also keep the text as written, analysed by the
  closest chain OpenSearch has natively (``french_native``), for people
  who query the cluster directly. searchlib never queries them.

Each document also has one ``article`` record (its id ``doc_id/article``;
passages are ``doc_id/N``): its content hash, origin and passage count for
incremental updates, and its whole text's terms for the article's BM25.

Pure data: nothing here talks to a cluster, so ``search export`` writes the
same settings, mappings and documents.
"""

from __future__ import annotations

import itertools
import pickle
import zlib
from typing import Any, Collection, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from whoosh.util.numeric import byte_to_length, length_to_byte

from ...ingest import Document
from ...storage import offsets
from ...storage.schema import FIELDS

__all__ = [
    "FILLER", "SPELLINGS", "LAYERS", "PASSAGE", "ARTICLE", "FieldNames", "index_body", "passage_id", "article_id", "records_of",
    "records_from_chunk",
    "stored_fields", "NATIVE_ARTICLES",
]

#: the term of a position without one of its own (never a term analysis makes)
FILLER = "\u2423"
#: joins a word's spellings in a query (never in a term)
SPELLINGS = "\u001f"
#: terms a position may hold (more are rare: a fourth one is left out)
LAYERS = 3
PASSAGE = "passage"
ARTICLE = "article"
#: the French articles and pronouns elided before a vowel (OpenSearch's ``elision`` filter)
NATIVE_ARTICLES = ("l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu")
# Apostrophes as written, made ASCII before OpenSearch's elision filter sees them.
_APOSTROPHES = ("\u2019", "\u2018", "\u02bc", "\u2032", "\u00b4", "`", "\uff07")


class FieldNames:
    """The cluster's names for a searched field's parts (``text``, ``title``)."""

    def __init__(self, name: str) -> None:
        self.layers = (f"{name}_terms",) + tuple(f"{name}_terms_{layer}" for layer in range(1, LAYERS))
        self.places = f"{name}_places"
        self.words = f"{name}_words"
        self.length = f"{name}_length"


TEXT = FieldNames(FIELDS.text)
TITLE = FieldNames(FIELDS.title)
SEARCHED = {FIELDS.text: TEXT, FIELDS.title: TITLE}
STOP_TERMS, STOP_WORDS, STOPS_LENGTH = "stop_terms", "stop_words", "stops_length"


def passage_id(doc_id: str, passage: int) -> str:
    return f"{doc_id}/{passage}"


def article_id(doc_id: str) -> str:
    # Passage ids end in a number: "doc/article" is never one of them.
    return f"{doc_id}/article"


def index_body(k1: float, b: float, shards: int = 1, replicas: int = 1, settings: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The settings and mappings of a new index: BM25 with searchlib's
    ``k1`` and ``b`` on the terms' fields, ``shards`` and ``replicas``, and
    searchlib's own settings kept in the mapping's ``_meta``."""
    terms = {"type": "text", "analyzer": "searchlib_terms", "similarity": "searchlib_bm25", "index_options": "positions"}
    places = {"type": "text", "analyzer": "searchlib_places", "index_options": "positions", "norms": False}
    keyword = {"type": "keyword"}
    properties: Dict[str, Any] = {
        "kind": keyword,
        FIELDS.doc_id: keyword,
        FIELDS.passage: {"type": "integer"},
        FIELDS.date: keyword,
        "year": keyword,
        "month": keyword,
        FIELDS.source: keyword,
        FIELDS.origin: keyword,
        FIELDS.doc_hash: keyword,
        FIELDS.start: {"type": "integer", "index": False},
        FIELDS.end: {"type": "integer", "index": False},
        FIELDS.text: {"type": "text", "analyzer": "french_native"},
        FIELDS.title: {"type": "text", "analyzer": "french_native"},
        STOP_TERMS: {**terms, "index_options": "freqs"},
        STOP_WORDS: keyword,
        STOPS_LENGTH: {"type": "integer"},
        FIELDS.variants: keyword,
        FIELDS.sounds: keyword,
        "passages": {"type": "integer"},
        "article_terms": {**terms, "index_options": "freqs"},
        "article_words": keyword,
        "article_length": {"type": "integer"},
        "stored": {"type": "object", "enabled": False},
        # the order passages were written in: ties in score are broken by it, as locally
        "seq": {"type": "long"},
        "indexed_at": {"type": "date", "format": "epoch_millis"},
    }
    for names in SEARCHED.values():
        for layer in names.layers:
            properties[layer] = terms
        properties[names.places] = places
        properties[names.words] = keyword
        properties[names.length] = {"type": "integer"}
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "similarity": {"searchlib_bm25": {"type": "BM25", "k1": k1, "b": b}},
                # searchlib refreshes the index when a write ends: a refresh a
                # second during a bulk run would only make segments to merge
                "refresh_interval": "30s",
                **(dict(settings) if settings else {}),
            },
            "analysis": {
                "analyzer": {
                    # searchlib's own terms, split on spaces as they are; a
                    # filler keeps its position but is no term (nor counts in the length)
                    "searchlib_terms": {"type": "custom", "tokenizer": "searchlib_spaces", "filter": ["searchlib_fillers"]},
                    # a filler at every position: any term, for a phrase's gaps
                    "searchlib_places": {"type": "custom", "tokenizer": "searchlib_spaces"},
                    # a word's spellings, joined by SPELLINGS, at one position: a
                    # match query makes them one word (Lucene's synonym query), as
                    # searchlib scores them
                    "searchlib_spellings": {"type": "custom", "tokenizer": "keyword", "filter": ["searchlib_split_spellings"]},
                    "french_native": {
                        "type": "custom",
                        "char_filter": ["french_apostrophes"],
                        "tokenizer": "standard",
                        "filter": ["french_elision", "lowercase", "french_stop", "french_stemmer", "asciifolding"],
                    },
                },
                "tokenizer": {"searchlib_spaces": {"type": "whitespace", "max_token_length": 4096}},
                "char_filter": {
                    "french_apostrophes": {"type": "mapping", "mappings": [f"{mark}=>'" for mark in _APOSTROPHES]},
                },
                "filter": {
                    "searchlib_fillers": {"type": "stop", "stopwords": [FILLER], "ignore_case": False},
                    "searchlib_split_spellings": {
                        "type": "pattern_capture", "preserve_original": False, "patterns": [f"([^{SPELLINGS}]+)"],
                    },
                    "french_elision": {"type": "elision", "articles_case": True, "articles": list(NATIVE_ARTICLES)},
                    "french_stop": {"type": "stop", "stopwords": "_french_"},
                    "french_stemmer": {"type": "snowball", "language": "French"},
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            # what can be read back from the stored text and terms stays out of _source
            "_source": {"excludes": [TEXT.places, TITLE.places, TEXT.words, TITLE.words, STOP_WORDS, "article_terms",
                                     "article_words", FIELDS.variants, FIELDS.sounds]},
            "properties": properties,
        },
    }


def _positions_title(value: bytes) -> List[int]:
    # Whoosh's Positions format: a count, then the pickled differences.
    return list(itertools.accumulate(pickle.loads(value[4:])))


def _layered(found: Dict[int, List[str]]) -> Tuple[List[str], int]:
    """The layers' texts (``FILLER`` where a position has fewer terms) and
    the number of positions."""
    if not found:
        return [""] * LAYERS, 0
    size = max(found) + 1
    layers = [[FILLER] * size for _ in range(LAYERS)]
    for position, terms in found.items():
        for layer, term in enumerate(sorted(terms)[:LAYERS]):
            layers[layer][position] = term
    return [" ".join(words).rstrip(" " + FILLER) for words in layers], size


def _by_passage(postings: Any, decode: Any) -> Iterator[Tuple[int, str, Any]]:
    """(passage number in the chunk, term, decoded value) of a field's postings."""
    start = 0
    for term, count in zip(postings.terms, postings.counts.tolist()):
        text = term.decode("utf-8")
        for index in range(start, start + count):
            yield int(postings.ids[index]), text, decode(index)
        start += count


def records_of(preparer: Any, document: Document, digest: str) -> Optional[List[Dict[str, Any]]]:
    """The cluster records of ``document`` (its passages, then its article),
    from searchlib's own preparation of it (``preparer``, an
    :class:`searchlib.indexing.prepare.Preparer` keeping characters); None
    when it has no text to index."""
    counts, chunk = preparer.prepare([(document, digest)])
    return records_from_chunk(chunk, [document], counts)[0]


def records_from_chunk(chunk: Any, documents: Sequence[Document], counts: Sequence[int]) -> List[Optional[List[Dict[str, Any]]]]:
    """The cluster records of each of ``documents`` (None for one without
    text) from the chunk searchlib prepared of them (as it does for a
    local index, in worker processes on a large run), ``counts`` being
    each document's number of passages."""
    total = sum(counts)
    stored = [pickle.loads(zlib.decompress(record)) for record in chunk.records]
    text_places: List[Dict[int, List[str]]] = [{} for _ in range(total)]
    title_places: List[Dict[int, List[str]]] = [{} for _ in range(total)]
    stops: List[List[str]] = [[] for _ in range(total)]
    keys: Dict[str, List[List[str]]] = {FIELDS.variants: [[] for _ in range(total)], FIELDS.sounds: [[] for _ in range(total)]}
    postings = chunk.postings
    text = postings.get(FIELDS.text)
    if text is not None:
        for number, term, value in _by_passage(text, lambda i: offsets.positions(text.values[i])):
            held = text_places[number]
            for position in value:
                stack = held.get(position)
                if stack is None:
                    held[position] = [term]
                else:
                    stack.append(term)
    title = postings.get(FIELDS.title)
    if title is not None:
        decoded: Dict[bytes, List[int]] = {}  # a title's positions repeat in each of its passages
        for number, term, value in _by_passage(title, lambda i: title.values[i]):
            places = decoded.get(value)
            if places is None:
                places = decoded[value] = _positions_title(value)
            for position in places:
                title_places[number].setdefault(position, []).append(term)
    found_stops = postings.get(FIELDS.stops)
    if found_stops is not None:
        for number, term, weight in _by_passage(found_stops, lambda i: int(found_stops.weights[i])):
            stops[number].extend([term] * weight)
    for fieldname, lists in keys.items():
        held_keys = postings.get(fieldname)
        if held_keys is not None:
            for number, term, _ in _by_passage(held_keys, lambda i: None):
                lists[number].append(term)
    found: List[Optional[List[Dict[str, Any]]]] = []
    first = 0
    for document, count in zip(documents, counts):
        if not count:
            found.append(None)
            continue
        found.append(_records(document, range(first, first + count), stored, text_places, title_places, stops, keys, chunk.lengths))
        first += count
    return found


def _records(
    document: Document, numbers: range, stored: List[Dict[str, Any]], text_places: List[Dict[int, List[str]]],
    title_places: List[Dict[int, List[str]]], stops: List[List[str]], keys: Dict[str, List[List[str]]],
    lengths: List[Dict[str, int]],
) -> List[Dict[str, Any]]:
    date = document.date or ""
    records: List[Dict[str, Any]] = []
    article_counts: Dict[str, int] = {}
    article_length = 0
    digest = ""
    for number in numbers:
        fields = stored[number]
        digest = fields[FIELDS.doc_hash]
        record: Dict[str, Any] = {
            "kind": PASSAGE,
            FIELDS.doc_id: document.id,
            FIELDS.passage: fields[FIELDS.passage],
            # an undated passage has no date term (as locally): date bounds leave it out
            FIELDS.date: date or None,
            "year": date[:4] or None,
            "month": date[:7] if len(date) >= 7 else None,
            FIELDS.source: document.source or "",
            FIELDS.origin: document.origin or "",
            FIELDS.doc_hash: digest,
            FIELDS.start: fields[FIELDS.start],
            FIELDS.end: fields[FIELDS.end],
            FIELDS.text: fields[FIELDS.text],
            FIELDS.title: fields[FIELDS.title],
            STOP_TERMS: " ".join(stops[number]),
            STOP_WORDS: sorted(set(stops[number])),
            STOPS_LENGTH: lengths[number][FIELDS.stops],
            FIELDS.variants: keys[FIELDS.variants][number],
            FIELDS.sounds: keys[FIELDS.sounds][number],
            "stored": {
                FIELDS.sketch: list(fields[FIELDS.sketch]),
                FIELDS.doc_sketch: list(fields[FIELDS.doc_sketch]),
                FIELDS.metadata: fields[FIELDS.metadata],
            },
        }
        for names, places, fieldname in ((TEXT, text_places[number], FIELDS.text), (TITLE, title_places[number], FIELDS.title)):
            layers, size = _layered(places)
            for name, layer in zip(names.layers, layers):
                record[name] = layer
            record[names.places] = " ".join([FILLER] * size)
            record[names.words] = sorted({term for terms in places.values() for term in terms})
            record[names.length] = lengths[number][fieldname]
        for terms in text_places[number].values():
            for term in terms:
                article_counts[term] = article_counts.get(term, 0) + 1
        # as the local index sums them: each passage's length as kept in a byte
        article_length += int(byte_to_length(length_to_byte(lengths[number][FIELDS.text])))
        records.append(record)
    records.append(
        {
            "kind": ARTICLE,
            FIELDS.doc_id: document.id,
            FIELDS.date: date or None,
            FIELDS.source: document.source or "",
            FIELDS.origin: document.origin or "",
            FIELDS.doc_hash: digest,
            FIELDS.title: document.title or "",
            "passages": len(numbers),
            "article_terms": " ".join(term for term, times in sorted(article_counts.items()) for _ in range(times)),
            "article_words": sorted(article_counts),
            "article_length": article_length,
            "stored": {"counts": article_counts},
        }
    )
    return records


def stored_fields(source: Mapping[str, Any]) -> Dict[str, Any]:
    """A passage record's stored fields keyed as locally (:data:`FIELDS`)."""
    stored = source.get("stored") or {}
    return {
        FIELDS.doc_id: source[FIELDS.doc_id],
        FIELDS.passage: source[FIELDS.passage],
        FIELDS.text: source.get(FIELDS.text, ""),
        FIELDS.title: source.get(FIELDS.title, ""),
        FIELDS.date: source.get(FIELDS.date) or "",
        FIELDS.source: source.get(FIELDS.source, ""),
        FIELDS.sketch: tuple(stored.get(FIELDS.sketch, ())),
        FIELDS.doc_sketch: tuple(stored.get(FIELDS.doc_sketch, ())),
        FIELDS.start: source.get(FIELDS.start, 0),
        FIELDS.end: source.get(FIELDS.end, 0),
        FIELDS.metadata: stored.get(FIELDS.metadata) or {},
        FIELDS.doc_hash: source.get(FIELDS.doc_hash, ""),
    }


def passage_terms(source: Mapping[str, Any], names: FieldNames, wanted: Optional[Collection[str]] = None) -> Dict[str, List[int]]:
    """Each term of a passage record's field with its positions (from its
    layers); only those of ``wanted`` when given (a search needs its own
    terms alone, found by the list's own search rather than a Python loop)."""
    found: Dict[str, List[int]] = {}
    for layer in names.layers:
        text = source.get(layer) or ""
        if wanted is None:
            for position, term in enumerate(text.split(" ")):
                if term and term != FILLER:
                    found.setdefault(term, []).append(position)
            continue
        terms: Optional[List[str]] = None
        for term in wanted:
            if term not in text:
                continue  # a substring test first: most of a query's terms are not in most passages
            if terms is None:
                terms = text.split(" ")
            index = terms.index
            position = -1
            while True:
                try:
                    position = index(term, position + 1)
                except ValueError:
                    break
                found.setdefault(term, []).append(position)
    for places in found.values():
        places.sort()
    return found


def stop_counts(source: Mapping[str, Any]) -> Dict[str, int]:
    found: Dict[str, int] = {}
    for term in (source.get(STOP_TERMS) or "").split():
        found[term] = found.get(term, 0) + 1
    return found
