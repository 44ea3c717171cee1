"""Posting lists encoded as Whoosh 2.7's postings writer lays them out.

A field's postings come in grouped by term (see :mod:`._segment`); each
term's list goes to the postings file as a header and blocks of
``blocklimit`` postings, and its statistics and extent to the term table.
The statistics of every block are computed at once over arrays; only the
blocks themselves are pickled one by one. Blocks too small to gain from
compression are stored plain, and pickled with a newer protocol than
Whoosh's, both of which Whoosh's reader reads.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any, List, Optional, Tuple

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _lengths as _table_lengths
from whoosh.system import pack_int, pack_long, pack_ushort

__all__ = ["Grouped", "compress", "write_field"]

#: a field's postings over a segment: sorted distinct terms, how many
#: postings each has, then every posting's document number, weight and
#: value, term after term (weights and values None for an Existence field)
Grouped = Tuple[
    List[bytes], "np.ndarray[Any, Any]", "np.ndarray[Any, Any]", Optional["np.ndarray[Any, Any]"], Optional[List[bytes]]
]


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


_pack_terminfo = W3TermInfo._struct.pack
_pack_lengths = _table_lengths.pack
_NO_LENGTH = 256  # a block's smallest length byte when none of its documents has one


def write_field(
    fieldwriter: Any,
    grouped: Grouped,
    blocklimit: int,
    compression: int,
    lengths: "Optional[np.ndarray[Any, Any]]",
    fixed_size: Optional[int],
) -> None:
    """Append one field's posting lists to the postings file as Whoosh's
    postings writer writes them (per term a header, then blocks of
    ``blocklimit`` postings, the last one's length negative), with each
    term's statistics in the term table as its TermInfo keeps them. The
    statistics of every block are computed at once, over arrays; only the
    blocks themselves are pickled one by one."""
    terms, counts, ids, weights, values = grouped
    if not terms:
        return
    postfile = fieldwriter._postfile
    prefix = pack_ushort(fieldwriter._fieldid)
    term_ends = np.cumsum(counts)
    term_starts = term_ends - counts
    # Blocks: each term's postings cut every ``blocklimit``.
    block_counts = (counts + blocklimit - 1) // blocklimit
    block_term = np.repeat(np.arange(len(terms)), block_counts)
    first_block = np.cumsum(block_counts) - block_counts
    block_starts = term_starts[block_term] + (np.arange(len(block_term)) - first_block[block_term]) * blocklimit
    block_ends = np.minimum(block_starts + blocklimit, term_ends[block_term])
    # Document numbers as each block stores them: the first absolute, then gaps.
    deltas = np.diff(ids, prepend=0)
    deltas[block_starts] = ids[block_starts]
    if weights is None:
        max_weights = np.ones(len(block_starts))
        weight_sums = (block_ends - block_starts).astype(np.float64)
        all_ones = np.ones(len(block_starts), bool)
        all_equal = all_ones
    else:
        wide = weights.astype(np.float64)
        block_max = np.maximum.reduceat(wide, block_starts)
        block_min = np.minimum.reduceat(wide, block_starts)
        max_weights = np.maximum(block_max, 0.0)
        weight_sums = np.add.reduceat(wide, block_starts)
        all_equal = block_min == block_max
        all_ones = all_equal & (block_max == 1.0)
    # Length bytes: a block's smallest among its documents that have one
    # (_NO_LENGTH: none has; stored as 0), and its largest.
    if lengths is not None:
        length_bytes = lengths[ids].astype(np.int64)
        lowest = np.minimum.reduceat(np.where(length_bytes == 0, _NO_LENGTH, length_bytes), block_starts)
        max_bytes = np.maximum.reduceat(length_bytes, block_starts)
    else:
        lowest = np.full(len(block_starts), _NO_LENGTH, np.int64)
        max_bytes = np.zeros(len(block_starts), np.int64)
    min_bytes = np.where(lowest == _NO_LENGTH, 0, lowest)
    # Per term, what Whoosh's TermInfo.add_block gathers block by block.
    term_weights = np.add.reduceat(weight_sums, first_block).tolist()
    term_max_weights = np.maximum.reduceat(max_weights, first_block).tolist()
    term_max_bytes = np.maximum.reduceat(max_bytes, first_block).tolist()
    term_lowest = np.minimum.reduceat(lowest, first_block)
    term_min_bytes = np.where(term_lowest == _NO_LENGTH, 0, term_lowest).tolist()
    term_counts = counts.tolist()
    term_starts = term_starts.tolist()
    term_ends = term_ends.tolist()
    keys: List[bytes] = []
    infos: List[bytes] = []
    id_list = ids.tolist()
    delta_list = deltas.tolist()
    weight_list = None if weights is None else weights.tolist()
    block_list = list(
        zip(
            block_starts.tolist(), block_ends.tolist(), max_weights.tolist(), all_ones.tolist(), all_equal.tolist(),
            min_bytes.tolist(), max_bytes.tolist(),
        )
    )
    out = bytearray()
    base = postfile.tell()
    dumps = pickle.dumps
    for number, (term, block_count, first) in enumerate(zip(terms, block_counts.tolist(), first_block.tolist())):
        start = base + len(out)
        out += WHOOSH3_HEADER_MAGIC
        for index in range(first, first + block_count):
            low, high, max_weight, ones, equal, min_byte, max_byte = block_list[index]
            if ones or weight_list is None:
                mini_weights: Any = None
            elif equal:
                mini_weights = weight_list[low]
            else:
                mini_weights = tuple(weight_list[low:high])
            if fixed_size is None or fixed_size < 0:
                mini_values: Any = tuple(filter(None, values[low:high])) if values is not None else ()
            elif fixed_size == 0:
                mini_values = None
            else:
                mini_values = b"".join(values[low:high]) if values is not None else b""
            # Protocol 4 rather than Whoosh's 2, which can only spell bytes as
            # calls to codecs.encode: a block of positions pickles 13 times
            # faster, half the size, and unpickles faster on every query.
            data = dumps((tuple(delta_list[low:high]), mini_weights, mini_values), 4)
            level = compression if len(data) >= _COMPRESS_FROM else 0
            if level:
                data = compress(data, level)
            info = dumps((high - low, id_list[high - 1], max_weight, level, min_byte, max_byte), 2)
            size = len(info) + len(data)
            out += pack_int(-size if index == first + block_count - 1 else size)  # as StructFile.write_int
            out += info
            out += data
        # The term's statistics and extent, as W3TermInfo.to_bytes packs them
        # (never inlined).
        keys.append(prefix + term)
        infos.append(
            _pack_terminfo(
                0, term_weights[number], term_counts[number], term_min_bytes[number], term_max_bytes[number],
                term_max_weights[number], id_list[term_starts[number]], id_list[term_ends[number] - 1],
            )
            + pack_long(start)
            + pack_int(base + len(out) - start)
        )
        if len(out) >= _FLUSH_BYTES:
            postfile.write(bytes(out))
            base += len(out)
            out = bytearray()
    postfile.write(bytes(out))
    _add_to_table(fieldwriter._tindex, keys, infos)


def _add_to_table(table: Any, keys: List[bytes], values: List[bytes]) -> None:
    """Whoosh's ``OrderedHashWriter.add`` for many keys at once (in order):
    one write to the file rather than three per key."""
    dbfile = table.dbfile
    position = dbfile.tell()
    out = bytearray()
    hash_key = table.hashfn
    buckets = table.buckets
    add_position = table.index.append
    last = table.lastkey
    for key, value in zip(keys, values):
        if key <= last:
            raise ValueError(f"Keys must increase: {last!r}..{key!r}")
        at = position + len(out)
        add_position(at)
        hashed = hash_key(key)
        buckets[hashed & 255].append((hashed, at))
        out += _pack_lengths(len(key), len(value))
        out += key
        out += value
        last = key
    table.lastkey = last
    dbfile.write(bytes(out))
