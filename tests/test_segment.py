"""The fast segment writer writes what Whoosh's own writer writes."""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path
from typing import Any, Dict, List

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from searchlib import ingest
from searchlib.indexing.prepare import Preparer
from searchlib.indexing.blocks import compress
from searchlib.indexing.segment import FastSegmentWriter, FieldPostings
from searchlib.analysis import FrenchAnalyzer
from searchlib.storage.schema import build_schema

from news_sample import articles

TEXTS = [
    ("a", "Lavrov et Kerry à Genève", "Le cessez-le-feu en Syrie est entré en vigueur. L'armée syrienne et les rebelles "
     "l'ont respecté jusqu'à jeudi, selon l'OSDH. Les États-Unis et la Russie en discutent à Genève."),
    ("b", "", "Un court texte sur Alep, Alep et encore Alep : 280 000 habitants, 1er août 2016."),
    ("c", "Œuvres d’art", "Les œuvres du musée ont été déplacées. " * 30),
    # characters kept in the postings: runs opening on punctuation, names'
    # parts after an apostrophe, joined hyphenated words, spaced numbers
    ("d", "", "(O'Neill) et « d'Estaing », l'e-mail des États-Unis du 14-Juillet : 1 500 000 euros… [Alep]"),
]


def _documents(count: int) -> List[ingest.Document]:
    rows = [{"id": i, "title": t, "text": x} for i, t, x in TEXTS]
    rows += [{"id": a["id"], "title": a["title"], "text": a["text"]} for a in articles(count)]
    return list(ingest.as_documents(rows))


def _contents(path: Path) -> Dict[str, Any]:
    """Everything a reader sees of an index: every posting of every term
    (with the statistics kept for skipping blocks), stored fields, lengths."""
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        postings = {}
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            matcher = reader.postings(fieldname, btext)
            rows = []
            while matcher.is_active():
                rows.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings[(fieldname, btext)] = (
                rows, info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(),
                info.min_id(), info.max_id(),
            )
        stored = list(reader.all_stored_fields())
        lengths = {
            name: [reader.doc_field_length(n, name) for n in range(reader.doc_count_all())]
            for name in ("text", "title", "stops")
        }
        totals = {name: reader.field_length(name) for name in ("text", "title", "stops")}
    ix.close()
    return {"postings": postings, "stored": stored, "lengths": lengths, "totals": totals}


def _build(path: Path, documents: List[ingest.Document], fast: bool, segments: int = 1, blocklimit: int = 128) -> None:
    analyzer = FrenchAnalyzer()
    preparer = Preparer(analyzer, (40, 120))
    path.mkdir()
    ix = whoosh_index.create_in(str(path), build_schema(analyzer))
    share = -(-len(documents) // segments)
    for first in range(0, len(documents), share):
        part = documents[first : first + share]
        if fast:
            writer = FastSegmentWriter(ix, codec=W3Codec(blocklimit=blocklimit))
            # Two chunks a segment, so a term's postings come in pieces to join.
            for half in (part[: len(part) // 2], part[len(part) // 2 :]):
                writer.add_chunk(preparer.prepare([(document, "digest") for document in half])[1])
        else:
            _, chunk = preparer.prepare([(document, "digest") for document in part])
            writer = SegmentWriter(ix, codec=W3Codec(blocklimit=blocklimit))
            for number, record in enumerate(chunk.records):
                fields = pickle.loads(zlib.decompress(record))  # the passage's stored fields
                # Whoosh's writer analyses the fields itself; the auxiliary
                # fields are given as the term lists the preparer derived.
                for fieldname, postings in chunk.postings.items():
                    if fieldname in ("stops", "variants", "sounds"):
                        fields[fieldname] = [term.decode() for term in _terms_of(postings, number)]
                fields["origin"] = ""
                writer.add_document(**fields)
        writer.commit(merge=False)
    ix.close()


def _terms_of(postings: FieldPostings, number: int) -> List[bytes]:
    """The terms of passage ``number``, each as many times as it occurs there."""
    found = []
    first = 0
    for term, count in zip(postings.terms, postings.counts.tolist()):
        for index in range(first, first + count):
            if postings.ids[index] == number:
                frequency = 1 if postings.values is None else int.from_bytes(postings.values[index][:4], "big")
                found.extend([term] * frequency)
        first += count
    return found


@pytest.mark.parametrize("segments, blocklimit", [(1, 128), (3, 128), (2, 5)])
def test_an_index_written_fast_reads_as_one_whoosh_wrote(tmp_path, segments, blocklimit):
    # A small block limit cuts most posting lists into several blocks, the
    # last one partly filled, with a term's postings from both chunks.
    documents = _documents(40)
    _build(tmp_path / "whoosh", documents, fast=False, segments=segments, blocklimit=blocklimit)
    _build(tmp_path / "fast", documents, fast=True, segments=segments, blocklimit=blocklimit)
    whoosh, fast = _contents(tmp_path / "whoosh"), _contents(tmp_path / "fast")
    assert fast["stored"] == whoosh["stored"]
    assert fast["lengths"] == whoosh["lengths"] and fast["totals"] == whoosh["totals"]
    assert fast["postings"].keys() == whoosh["postings"].keys()
    for key, expected in whoosh["postings"].items():
        assert fast["postings"][key] == expected, key


def test_merging_segments_written_fast_keeps_every_posting(tmp_path):
    documents = _documents(40)
    _build(tmp_path / "fast", documents, fast=True, segments=4)
    before = _contents(tmp_path / "fast")
    ix = whoosh_index.open_dir(str(tmp_path / "fast"))
    writer = FastSegmentWriter(ix)
    writer.commit(optimize=True)  # every segment read back and written again as one
    ix.close()
    assert len(whoosh_index.open_dir(str(tmp_path / "fast"))._segments()) == 1
    after = _contents(tmp_path / "fast")
    assert after["stored"] == before["stored"]
    assert after["lengths"] == before["lengths"]
    assert {key: value[0] for key, value in after["postings"].items()} == {
        key: value[0] for key, value in before["postings"].items()
    }


@pytest.mark.parametrize("size", [0, 1, 10, 63, 64, 500, 5000, 100_000])
def test_compress_round_trips_through_zlib(size):
    data = bytes(range(256)) * (size // 256) + b"passage " * (size % 256 // 8)
    data = data[:size]
    assert zlib.decompress(compress(data, 3)) == data
