"""A segment writer fed with ready-made postings.

Whoosh's own writer analyses every field of every document itself, then
pushes each posting through a sorting pool (a pickled tuple per posting,
sorted runs spilled to disk and merged back) and writes it one call at a
time, looking each document's length up again on the way. Those per-posting
steps cost more than the analysis. This writer takes chunks of documents
already analysed and inverted (in worker processes, see :mod:`._prepare`),
keeps them grouped by term, and writes each posting list a block at a time.
The files are in Whoosh's own format (a test compares an index written
this way with one Whoosh writes), so reading, merging and committing stay
Whoosh's; blocks too small to gain from compression are stored plain,
and pickled with a newer protocol, both of which Whoosh's reader reads.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from typing import Any, Dict, List, Optional, Tuple

from whoosh.codec.whoosh3 import STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.columns import VarBytesColumn
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.system import pack_int, pack_ushort
from whoosh.writing import SegmentWriter

__all__ = ["PreparedChunk", "TermPostings", "FastSegmentWriter", "supported", "compress", "stored_record"]

#: postings of one term within a chunk: document numbers (from 0 at the
#: chunk's first passage), weights and encoded values, in document order;
#: None for weights all 1 and values all empty (an ``Existence`` field)
TermPostings = Tuple["array[int]", Optional["array[float]"], Optional[List[bytes]]]

_STORED_LEVEL = STORED_COLUMN._child._level  # Whoosh's for stored fields
# A field's postings are written out whenever this many bytes are waiting.
_FLUSH_BYTES = 1 << 22

# Blocks smaller than this are not worth compressing (zlib's own header and
# checksum would outweigh what it saves).
_COMPRESS_FROM = 64


def compress(data: bytes, level: int) -> bytes:
    """``zlib.compress`` for small inputs: a window no larger than the data
    (zlib.compress sets up a 32 KB window and 256 KB of state each call,
    which costs more than compressing a posting block or a passage does).
    Any zlib reader decompresses it; the output is the same or nearly."""
    wbits = min(15, max(9, len(data).bit_length()))
    compressor = zlib.compressobj(level, zlib.DEFLATED, wbits, 8 if wbits > 12 else 2)
    return compressor.compress(data) + compressor.flush()


class PreparedChunk:
    """Consecutive Whoosh documents (passages), analysed and inverted.

    ``records`` holds each passage's stored fields as Whoosh keeps them
    (see :func:`stored_record`), ``columns`` its sortable field values,
    ``lengths`` its scorable field lengths, and ``postings`` maps field →
    term bytes → :data:`TermPostings` over the chunk.
    """

    __slots__ = ("records", "columns", "lengths", "postings")

    def __init__(
        self,
        records: List[bytes],
        columns: List[Dict[str, Any]],
        lengths: List[Dict[str, int]],
        postings: Dict[str, Dict[bytes, TermPostings]],
    ) -> None:
        self.records = records
        self.columns = columns
        self.lengths = lengths
        self.postings = postings

    def __len__(self) -> int:
        return len(self.records)

    def __getstate__(self) -> Tuple[Any, ...]:
        return (self.records, self.columns, self.lengths, self.postings)

    def __setstate__(self, state: Tuple[Any, ...]) -> None:
        self.records, self.columns, self.lengths, self.postings = state


def stored_record(values: Dict[str, Any]) -> bytes:
    """A passage's stored fields as Whoosh's stored-fields column holds them:
    a pickled dictionary (in field order), compressed. Made where the
    passage is prepared, so the writing process neither pickles nor
    compresses it, and it travels compressed."""
    ordered = {name: values[name] for name in sorted(values)}
    return compress(pickle.dumps(ordered, 2), _STORED_LEVEL)


class _Term:
    """A term's postings in the segment being written, as pieces
    ``(first document number, postings)`` in document order."""

    __slots__ = ("pieces", "loose")

    def __init__(self) -> None:
        self.pieces: List[Tuple[int, TermPostings]] = []
        self.loose: Optional[TermPostings] = None  # postings merged in one at a time

    def gather(self) -> TermPostings:
        """The term's postings over the whole segment."""
        if len(self.pieces) == 1 and self.pieces[0][0] == 0:
            return self.pieces[0][1]
        ids: "array[int]" = array("I")
        for base, piece in self.pieces:
            ids.extend([base + number for number in piece[0]] if base else piece[0])
        if all(piece[1] is None for _, piece in self.pieces):
            return ids, None, None
        weights: "array[float]" = array("f")
        values: List[bytes] = []
        for _, (piece_ids, piece_weights, piece_values) in self.pieces:
            weights.extend(piece_weights if piece_weights is not None else array("f", [1.0]) * len(piece_ids))
            values.extend(piece_values if piece_values is not None else [b""] * len(piece_ids))
        return ids, weights, values


class _PostingBuffer:
    """Stands in for Whoosh's sorting pool: postings grouped by field and
    term as they arrive (document numbers only ever grow), sorted by term
    once, when the segment is written."""

    def __init__(self) -> None:
        self.fields: Dict[str, Dict[bytes, _Term]] = {}
        # Each document's length byte per scorable field, for the block
        # statistics (Whoosh reads them back from the column it just wrote).
        self.length_bytes: Dict[str, bytearray] = {}

    def add(self, item: Tuple[str, bytes, int, float, bytes]) -> None:
        """One posting, as Whoosh's merging of older segments hands them over."""
        fieldname, btext, docnum, weight, value = item
        term = self._term(fieldname, btext)
        if term.loose is None:
            term.loose = (array("I"), array("f"), [])
            term.pieces.append((0, term.loose))
        ids, weights, values = term.loose
        assert weights is not None and values is not None
        ids.append(docnum)
        weights.append(weight)
        values.append(value)

    def _term(self, fieldname: str, btext: bytes) -> _Term:
        terms = self.fields.setdefault(fieldname, {})
        term = terms.get(btext)
        if term is None:
            term = terms[btext] = _Term()
        return term

    def add_chunk(self, base: int, chunk: PreparedChunk) -> None:
        for fieldname, postings in chunk.postings.items():
            terms = self.fields.get(fieldname)
            if terms is None:
                terms = self.fields[fieldname] = {}
            for btext, entry in postings.items():
                term = terms.get(btext)
                if term is None:
                    term = terms[btext] = _Term()
                term.pieces.append((base, entry))

    def set_length(self, fieldname: str, docnum: int, length: int) -> None:
        column = self.length_bytes.get(fieldname)
        if column is None:
            column = self.length_bytes[fieldname] = bytearray()
        if len(column) <= docnum:
            column.extend(bytes(docnum + 1 - len(column)))
        column[docnum] = length_to_byte(length)

    def cleanup(self) -> None:
        self.fields.clear()
        self.length_bytes.clear()


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

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``add_document``: the fields are analysed here."""
        schema = self.schema
        stored: Dict[str, Any] = {}
        columns: Dict[str, Any] = {}
        lengths: Dict[str, int] = {}
        postings: Dict[str, Dict[bytes, TermPostings]] = {}
        for name, value in fields.items():
            field = schema[name]
            if value is None:
                continue
            if field.stored:
                stored[name] = value
            if field.column_type:
                columns[name] = value
            if field.indexed:
                items = list(field.index(value))
                postings[name] = {
                    btext: (array("I", [0]), array("f", [weight]), [vbytes]) for btext, _, weight, vbytes in items
                }
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
        buffer.add_chunk(base, chunk)
        self.docnum = docnum
        self._added = True

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
        blocklimit = self.codec._blocklimit
        compression = self.codec._compression
        postfile = fieldwriter._postfile
        table = fieldwriter._tindex
        for fieldname in sorted(buffer.fields):
            field = self.schema[fieldname]
            column = buffer.length_bytes.get(fieldname, bytearray()) if field.scorable else None
            if column is not None and len(column) < self.docnum:  # documents merged in from older segments
                known = len(column)
                column.extend(
                    length_to_byte(per_doc.doc_field_length(docnum, fieldname) or 0)
                    for docnum in range(known, self.docnum)
                )
            terms = buffer.fields.pop(fieldname)
            fieldwriter.start_field(fieldname, field)
            prefix = pack_ushort(fieldwriter._fieldid)
            fixed_size = field.format.fixed_value_size()
            out = bytearray()
            base = postfile.tell()
            for btext in sorted(terms):
                terminfo = W3TermInfo()
                start = base + len(out)
                _encode_blocks(out, terminfo, terms[btext].gather(), blocklimit, compression, column, fixed_size)
                terminfo.set_extent(start, base + len(out) - start)
                table.add(prefix + btext, terminfo.to_bytes())
                if len(out) >= _FLUSH_BYTES:
                    postfile.write(bytes(out))
                    base += len(out)
                    out = bytearray()
            postfile.write(bytes(out))
            fieldwriter.finish_field()
        buffer.cleanup()


def _encode_blocks(
    out: bytearray,
    terminfo: Any,
    postings: TermPostings,
    blocklimit: int,
    compression: int,
    lengths: Optional[bytearray],
    fixed_size: Optional[int],
) -> None:
    """Append one posting list to ``out`` as Whoosh's postings writer
    writes it (a header, then blocks of ``blocklimit`` postings, the last
    one's length negative), a block at a time rather than a posting at a
    time, and keep the term's statistics in ``terminfo`` as it does."""
    ids, weights, values = postings
    count = len(ids)
    out += WHOOSH3_HEADER_MAGIC
    for first in range(0, count, blocklimit):
        last = min(first + blocklimit, count)
        block_ids = ids[first:last] if count > blocklimit else ids
        if weights is None:
            block_weights: Any = None
            block_values: List[bytes] = []
        else:
            block_weights = weights[first:last] if count > blocklimit else weights
            block_values = [value for value in values[first:last] if value] if values is not None else []
        if lengths is not None:
            present = [lengths[docnum] for docnum in block_ids if lengths[docnum]]
        else:
            present = []
        min_length = byte_to_length(min(present)) if present else None
        max_length = byte_to_length(max(present)) if present else 0
        max_weight = 1.0 if block_weights is None else max(0.0, max(block_weights))
        # The term's statistics, as Whoosh's TermInfo.add_block keeps them.
        terminfo._weight += len(block_ids) if block_weights is None else sum(block_weights)
        terminfo._df += len(block_ids)
        if min_length is not None:
            terminfo._minlength = min_length if terminfo._minlength is None else min(terminfo._minlength, min_length)
        terminfo._maxlength = max(terminfo._maxlength, max_length)
        terminfo._maxweight = max(terminfo._maxweight, max_weight)
        if terminfo._minid is None:
            terminfo._minid = block_ids[0]
        terminfo._maxid = block_ids[-1]
        # The block as Whoosh's W3PostingsWriter._write_block makes it.
        deltas = [block_ids[0]] + [b - a for a, b in zip(block_ids, block_ids[1:])]
        if block_weights is None or all(w == 1.0 for w in block_weights):
            mini_weights: Any = None
        elif all(w == block_weights[0] for w in block_weights):
            mini_weights = block_weights[0]
        else:
            mini_weights = tuple(block_weights)
        if fixed_size is None or fixed_size < 0:
            mini_values: Any = tuple(block_values)
        elif fixed_size == 0:
            mini_values = None
        else:
            mini_values = b"".join(block_values)
        # Protocol 4 rather than Whoosh's 2, which can only spell bytes as
        # calls to codecs.encode: a block of positions pickles 13 times
        # faster, half the size, and unpickles faster on every query.
        data = pickle.dumps((tuple(deltas), mini_weights, mini_values), 4)
        level = compression if len(data) >= _COMPRESS_FROM else 0
        if level:
            data = compress(data, level)
        info = pickle.dumps(
            (len(block_ids), block_ids[-1], max_weight, level, length_to_byte(min_length), length_to_byte(max_length)),
            2,
        )
        size = len(info) + len(data)
        out += pack_int(-size if last == count else size)  # as StructFile.write_int
        out += info
        out += data
