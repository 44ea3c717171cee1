"""A segment writer fed with ready-made postings.

Whoosh's own writer analyses every field of every document itself, then
pushes each posting through a sorting pool (a pickled tuple per posting,
sorted runs spilled to disk and merged back) and writes it one call at a
time, looking each document's length up again on the way. Those per-posting
steps cost more than the analysis. This writer takes chunks of documents
already analysed and inverted (in worker processes, see :mod:`._prepare`),
joins each field's postings across the chunks with one sort by term, and
writes each posting list a block at a time (see :mod:`._blocks`).
The files are in Whoosh's own format (a test compares an index written
this way with one Whoosh writes), so reading, merging and committing stay
Whoosh's.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

import numpy as np

from whoosh.codec.whoosh3 import STORED_COLUMN, W3Codec
from whoosh.columns import VarBytesColumn
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from ..storage import vectors
from .blocks import Grouped, compress, write_field

__all__ = ["PreparedChunk", "FieldPostings", "group_postings", "FastSegmentWriter", "supported", "stored_record"]

_STORED_LEVEL = STORED_COLUMN._child._level  # Whoosh's for stored fields


class FieldPostings(NamedTuple):
    """One field's postings over a chunk of passages, grouped by term.

    ``terms`` are the distinct terms (UTF-8, sorted) and ``counts`` how many
    postings each has; ``ids``, ``weights`` and ``values`` hold every
    posting's passage number (from 0 at the chunk's first passage), weight
    and encoded value, term after term and in passage order within a term.
    Weights and values are None for an ``Existence`` field (all 1, empty).
    A few flat arrays rather than a small array per term: they cross from
    a worker process in a few copies, not one pickled object per term.
    """

    terms: List[bytes]
    counts: "np.ndarray[Any, Any]"
    ids: "np.ndarray[Any, Any]"
    weights: "Optional[np.ndarray[Any, Any]]"
    values: Optional[List[bytes]]


def group_postings(
    terms: Sequence[Any],
    ids: Sequence[int],
    weights: Optional[Sequence[float]] = None,
    values: Optional[Sequence[bytes]] = None,
) -> FieldPostings:
    """:class:`FieldPostings` from postings listed in passage order, in any
    term order (``str`` terms are encoded to UTF-8, which keeps their order)."""
    # Each posting's term numbered by its rank among the distinct terms,
    # with the looking up done by map() from C: this runs for every posting.
    sorted_terms = sorted(set(terms))
    rank = dict(zip(sorted_terms, range(len(sorted_terms))))
    numbers = np.fromiter(map(rank.__getitem__, terms), np.int64, len(terms))
    return _by_term(
        [term.encode("utf-8") for term in sorted_terms] if sorted_terms and isinstance(sorted_terms[0], str) else sorted_terms,
        numbers,
        np.asarray(ids, np.uint32),
        None if weights is None else np.asarray(weights, np.float32),
        values,
    )


def _by_term(
    terms: List[bytes],
    ranks: "np.ndarray[Any, Any]",
    ids: "np.ndarray[Any, Any]",
    weights: "Optional[np.ndarray[Any, Any]]",
    values: Optional[Sequence[bytes]],
) -> FieldPostings:
    """Postings listed in passage order, each with its term's rank among
    ``terms`` (sorted), regrouped term by term; a stable sort keeps each
    term's postings in passage order."""
    order = np.argsort(ranks, kind="stable")
    return FieldPostings(
        terms,
        np.bincount(ranks, minlength=len(terms)),
        ids[order],
        None if weights is None else weights[order],
        None if values is None else [values[number] for number in order.tolist()],
    )


class PreparedChunk:
    """Consecutive Whoosh documents (passages), analysed and inverted.

    ``records`` holds each passage's stored fields as Whoosh keeps them
    (see :func:`stored_record`), ``columns`` its sortable field values,
    ``lengths`` its scorable field lengths, and ``postings`` each field's
    :class:`FieldPostings` over the chunk; ``vectors`` the rows of their
    vectors (:mod:`searchlib.storage.vectors`) when the index has an embedder.
    """

    __slots__ = ("records", "columns", "lengths", "postings", "vectors")

    def __init__(
        self,
        records: List[bytes],
        columns: List[Dict[str, Any]],
        lengths: List[Dict[str, int]],
        postings: Dict[str, FieldPostings],
    ) -> None:
        self.records = records
        self.columns = columns
        self.lengths = lengths
        self.postings = postings
        self.vectors: "Optional[np.ndarray[Any, Any]]" = None

    def __len__(self) -> int:
        return len(self.records)

    def __getstate__(self) -> Tuple[Any, ...]:
        return (self.records, self.columns, self.lengths, self.postings, self.vectors)

    def __setstate__(self, state: Tuple[Any, ...]) -> None:
        self.records, self.columns, self.lengths, self.postings, self.vectors = state


def stored_record(values: Dict[str, Any]) -> bytes:
    """A passage's stored fields as Whoosh's stored-fields column holds them:
    a pickled dictionary (in field order), compressed. Made where the
    passage is prepared, so the writing process neither pickles nor
    compresses it, and it travels compressed."""
    ordered = {name: values[name] for name in sorted(values)}
    return compress(pickle.dumps(ordered, 2), _STORED_LEVEL)


class _Loose:
    """Postings handed over one at a time (by Whoosh's merging of older
    segments), kept by field in arrival order with absolute document
    numbers, grouped by term when the segment is written."""

    def __init__(self) -> None:
        self.fields: Dict[str, Tuple[List[bytes], List[int], List[float], List[bytes]]] = {}

    def take(self, fieldname: str) -> Optional[FieldPostings]:
        """The field's postings grouped by term, handed over once (None: it has none)."""
        lists = self.fields.pop(fieldname, None)
        return None if lists is None else group_postings(*lists)


class _PostingBuffer:
    """Stands in for Whoosh's sorting pool: the chunks (and postings merged
    in) as they arrive, in document order, grouped by term across them
    only when the segment is written."""

    def __init__(self) -> None:
        # (first document number, postings by field) in document order; a
        # _Loose group's document numbers are absolute (base 0).
        self.sources: List[Tuple[int, Union[Dict[str, FieldPostings], _Loose]]] = []
        self._loose: Optional[_Loose] = None
        # Each document's length byte per scorable field, for the block
        # statistics (Whoosh reads them back from the column it just wrote).
        self.length_bytes: Dict[str, bytearray] = {}

    def add(self, item: Tuple[str, bytes, int, float, bytes]) -> None:
        """One posting, as Whoosh's merging of older segments hands them over."""
        fieldname, btext, docnum, weight, value = item
        if self._loose is None:
            self._loose = _Loose()
            self.sources.append((0, self._loose))
        lists = self._loose.fields.get(fieldname)
        if lists is None:
            lists = self._loose.fields[fieldname] = ([], [], [], [])
        lists[0].append(btext)
        lists[1].append(docnum)
        lists[2].append(weight)
        lists[3].append(value)

    def add_chunk(self, base: int, chunk: PreparedChunk) -> None:
        self.sources.append((base, chunk.postings))
        self._loose = None  # postings merged in later come after this chunk

    def fieldnames(self) -> List[str]:
        names: Set[str] = set()
        for _, postings in self.sources:
            names.update(postings.fields if isinstance(postings, _Loose) else postings)
        return sorted(names)

    def take(self, fieldname: str) -> Grouped:
        """A field's postings over the whole segment, grouped by term, and
        released here (a segment's fields are written one after another)."""
        parts: List[Tuple[int, FieldPostings]] = []
        for base, postings in self.sources:
            found = postings.take(fieldname) if isinstance(postings, _Loose) else postings.pop(fieldname, None)
            if found is not None:
                parts.append((base, found))
        return _gather(parts)

    def set_length(self, fieldname: str, docnum: int, length: int) -> None:
        column = self.length_bytes.get(fieldname)
        if column is None:
            column = self.length_bytes[fieldname] = bytearray()
        if len(column) <= docnum:
            column.extend(bytes(docnum + 1 - len(column)))
        column[docnum] = length_to_byte(length)

    def cleanup(self) -> None:
        self.sources.clear()
        self._loose = None
        self.length_bytes.clear()


def _gather(parts: List[Tuple[int, FieldPostings]]) -> Grouped:
    """Join a field's postings from consecutive chunks: document numbers
    made absolute, each term's postings from every chunk together, in
    document order (the chunks come in document order)."""
    if len(parts) == 1:
        base, only = parts[0]
        return only._replace(ids=only.ids.astype(np.int64) + base)
    terms = sorted(set().union(*(part.terms for _, part in parts)))
    rank = {term: number for number, term in enumerate(terms)}
    ranks = np.concatenate(
        [np.repeat(np.array([rank[term] for term in part.terms], np.int64), part.counts) for _, part in parts]
    )
    ids = np.concatenate([part.ids.astype(np.int64) + base for base, part in parts])
    if all(part.weights is None for _, part in parts):
        return _by_term(terms, ranks, ids, None, None)
    weights = np.concatenate(
        [part.weights if part.weights is not None else np.ones(len(part.ids), np.float32) for _, part in parts]
    )
    values: List[bytes] = []
    for _, part in parts:
        values.extend(part.values if part.values is not None else [b""] * len(part.ids))
    return _by_term(terms, ranks, ids, weights, values)


def supported(writer: SegmentWriter) -> bool:
    """Whether the fast path knows the writer's codec (Whoosh 2.7's own)."""
    return type(writer.codec) is W3Codec


class FastSegmentWriter(SegmentWriter):
    """A Whoosh segment writer that also takes prepared chunks
    (:meth:`add_chunk`). Documents added the usual way, deletions, merges
    and commits work as in Whoosh."""

    docnum: int  # the next document's number (Whoosh's attribute)

    def __init__(self, index: Any, **kwargs: Any) -> None:
        super().__init__(index, **kwargs)
        if not supported(self):
            raise TypeError(f"unsupported Whoosh codec {type(self.codec).__name__}")
        whoosh_pool: Any = self.pool
        whoosh_pool.cleanup()  # the spilling pool Whoosh made: unused
        self.pool: Any = _PostingBuffer()
        # The compressed-bytes writer under Whoosh's pickling wrapper.
        self._records = self.perdocwriter._get_column("_stored")._child
        self._records._compress = compress  # for documents merged in: the same bytes, a sixth of the time
        #: the length of the index's vectors (None: it keeps none), set by :func:`.writer.open_writer`
        self.vector_dimensions: Optional[int] = None
        self._vector_rows: List["np.ndarray[Any, Any]"] = []  # the new segment's, in document order

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``add_document``: the fields are analysed here."""
        schema = self.schema
        stored: Dict[str, Any] = {}
        columns: Dict[str, Any] = {}
        lengths: Dict[str, int] = {}
        postings: Dict[str, FieldPostings] = {}
        for name, value in fields.items():
            field = schema[name]
            if value is None:
                continue
            if field.stored:
                stored[name] = value
            if field.column_type:
                columns[name] = value
            if field.indexed:
                items = sorted(field.index(value))
                postings[name] = group_postings(
                    [btext for btext, _, _, _ in items],
                    [0] * len(items),
                    [weight for _, _, weight, _ in items],
                    [vbytes for _, _, _, vbytes in items],
                )
                if field.scorable:
                    lengths[name] = sum(freq for _, freq, _, _ in items)
        self.add_chunk(PreparedChunk([stored_record(stored)], [columns], [lengths], postings))

    def add_chunk(self, chunk: PreparedChunk) -> None:
        """Add the passages of a prepared chunk, in order."""
        self._check_state()
        schema = self.schema
        perdoc = self.perdocwriter
        buffer: _PostingBuffer = self.pool
        add_record = VarBytesColumn.Writer.add  # the record is compressed already
        base: int = self.docnum
        docnum: int = base
        for record, columns, lengths in zip(chunk.records, chunk.columns, chunk.lengths):
            perdoc.start_doc(docnum)
            for name in sorted(lengths):
                length = lengths[name]
                perdoc.add_field(name, schema[name], None, length)
                if length:
                    buffer.set_length(name, docnum, length)
            for name, value in columns.items():
                field = schema[name]
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
            add_record(self._records, docnum, record)
            perdoc.finish_doc()
            docnum += 1
        if self.vector_dimensions:
            rows = chunk.vectors
            if rows is None or rows.shape != (len(chunk), vectors.row_size(self.vector_dimensions)):
                rows = vectors.absent(len(chunk), self.vector_dimensions)
            self._vector_rows.append(rows)
        buffer.add_chunk(base, chunk)
        self.docnum = docnum
        self._added = True

    def add_reader(self, reader: Any) -> None:
        """Whoosh's merge of an older segment's live passages, their
        vectors carried over in the same order."""
        if self.vector_dimensions:
            count = reader.doc_count_all()
            found = vectors.read_rows(Path(self.storage.folder), reader._segment.segment_id(), count, self.vector_dimensions)
            self._vector_rows.append(vectors.rows_of(found, list(reader.all_doc_ids())))
        super().add_reader(reader)

    def _finalize_segment(self) -> Any:
        segment = super()._finalize_segment()
        # After the segment's files are assembled into one (which would take
        # this file in too), before the table of contents that makes the
        # segment part of the index.
        if self.vector_dimensions and any(vectors.any_present(rows) for rows in self._vector_rows):
            rows = np.concatenate(self._vector_rows)
            if len(rows) != self.docnum:  # documents added Whoosh's way, one at a time, have none
                rows = np.concatenate([rows, vectors.absent(self.docnum - len(rows), self.vector_dimensions)])
            vectors.write_rows(Path(self.storage.folder), self.newsegment.segment_id(), rows)
        return segment

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        per_doc = self.per_document_reader()
        try:
            self._write_postings(per_doc)
        finally:
            per_doc.close()
        self.fieldwriter.close()

    def _write_postings(self, per_doc: Any) -> None:
        """Every posting list, in field and term order, as Whoosh's field
        writer lays them out: the blocks in the postings file (gathered in
        memory and written a field at a time, not a few bytes a call) and
        each term's statistics and extent in the term table."""
        buffer: _PostingBuffer = self.pool
        fieldwriter = self.fieldwriter
        for fieldname in buffer.fieldnames():
            field = self.schema[fieldname]
            column = buffer.length_bytes.get(fieldname, bytearray()) if field.scorable else None
            if column is not None and len(column) < self.docnum:  # documents merged in from older segments
                known = len(column)
                column.extend(
                    length_to_byte(per_doc.doc_field_length(docnum, fieldname) or 0)
                    for docnum in range(known, self.docnum)
                )
            lengths = None if column is None else np.frombuffer(bytes(column), np.uint8)
            fieldwriter.start_field(fieldname, field)
            write_field(
                fieldwriter, buffer.take(fieldname), self.codec._blocklimit, self.codec._compression, lengths,
                field.format.fixed_value_size(),
            )
            fieldwriter.finish_field()
        buffer.cleanup()
