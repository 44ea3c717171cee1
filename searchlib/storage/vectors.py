"""Passage vectors, kept beside each segment of the index.

A segment ``MAIN_<id>`` whose passages have vectors has a file
``MAIN_<id>.vectors``: one row per Whoosh document of the segment, in
document order, each row the vector quantised to ``int8`` (scaled so its
largest component is ±127), the float32 scale that turns it back, and a
CRC-32 of those bytes. A row of zeros, or one failing its checksum, is a
passage without a vector (written before vectors were asked for, or torn
by a crash while being filled).

Why beside the segment rather than in it: the file is written by the
segment writer just before the table of contents that makes the segment
part of the index, so passages and their vectors are committed together
(a crash before the table leaves both unreferenced, and the next commit
removes both, since the name follows Whoosh's segment-file pattern); a
deleted passage's row goes with its deletion mark; merges carry rows over
in the order they carry passages. And it can be filled later, in place,
for passages indexed without vectors (``search embed``), without
rewriting the passages.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["SUFFIX", "quantise", "row_size", "vectors_file", "write_rows", "fill_rows", "read_rows", "SegmentVectors"]

SUFFIX = ".vectors"
_TAIL = np.dtype([("scale", "<f4"), ("crc", "<u4")])


def row_size(dimensions: int) -> int:
    return dimensions + _TAIL.itemsize


def vectors_file(folder: Path, segment_id: str) -> Path:
    return folder / f"{segment_id}{SUFFIX}"


def quantise(vectors: "npt.NDArray[np.float32]") -> "npt.NDArray[np.uint8]":
    """Rows for ``vectors`` (n, d): int8 components, scale, checksum."""
    vectors = np.asarray(vectors, dtype=np.float32)
    count = len(vectors)
    peak = np.abs(vectors).max(axis=1) if count else np.zeros(0, np.float32)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return _rows(codes, scale, np.ones(count, dtype=bool))


def _rows(
    codes: "npt.NDArray[np.int8]", scale: "npt.NDArray[np.float32]", present: "npt.NDArray[np.bool_]"
) -> "npt.NDArray[np.uint8]":
    """Rows of ``codes`` and ``scale``, sealed with their checksums; those
    not ``present`` all zeros."""
    count, dimensions = codes.shape
    rows = np.zeros((count, row_size(dimensions)), dtype=np.uint8)
    rows[:, :dimensions] = codes.view(np.uint8)
    rows[:, dimensions : dimensions + 4] = scale.astype(np.float32).view(np.uint8).reshape(count, 4)
    rows[:, dimensions + 4 :] = _checksums(rows, dimensions).view(np.uint8).reshape(count, 4)
    rows[~present] = 0
    return rows


def _checksums(rows: "npt.NDArray[np.uint8]", dimensions: int) -> "npt.NDArray[np.uint32]":
    """Each row's CRC-32 of its components and scale, as written after them."""
    return np.array([zlib.crc32(row[: dimensions + 4].tobytes()) for row in rows], dtype="<u4")


def absent(count: int, dimensions: int) -> "npt.NDArray[np.uint8]":
    """Rows for passages without vectors."""
    return np.zeros((count, row_size(dimensions)), dtype=np.uint8)


def write_rows(folder: Path, segment_id: str, rows: "npt.NDArray[np.uint8]") -> None:
    """Write a new segment's rows (before its commit: nothing reads them yet)."""
    with open(vectors_file(folder, segment_id), "wb") as out:
        out.write(np.ascontiguousarray(rows).tobytes())


def fill_rows(folder: Path, segment_id: str, count: int, numbers: Sequence[int], rows: "npt.NDArray[np.uint8]") -> None:
    """Write the rows of passages ``numbers`` of a committed segment of
    ``count`` passages, in place (the file is made, all rows absent, if
    the segment has none), then flush them to disk. A reader sees each row
    whole or, torn, failing its checksum: a passage without a vector."""
    path = vectors_file(folder, segment_id)
    size = count * rows.shape[1]
    if not path.exists():
        temporary = folder / f".{path.name}.new"
        with open(temporary, "wb") as out:
            out.truncate(size)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    with open(path, "r+b") as out:
        for number, row in zip(numbers, rows):
            out.seek(int(number) * rows.shape[1])
            out.write(row.tobytes())
        out.flush()
        os.fsync(out.fileno())


@dataclass(frozen=True)
class SegmentVectors:
    """One segment's vectors as read: ``codes`` (n, d) int8, ``scale`` (n,)
    float32, ``present`` (n,) whether each passage has a vector."""

    codes: "npt.NDArray[np.int8]"
    scale: "npt.NDArray[np.float32]"
    present: "npt.NDArray[np.bool_]"


def read_rows(folder: Path, segment_id: str, count: int, dimensions: int) -> SegmentVectors:
    """A segment's vectors; passages beyond the file, or whose row is
    zero or fails its checksum, have none."""
    width = row_size(dimensions)
    rows = np.zeros((count, width), dtype=np.uint8)
    try:
        data = vectors_file(folder, segment_id).read_bytes()
    except FileNotFoundError:
        data = b""
    whole = min(count, len(data) // width)
    if whole:
        rows[:whole] = np.frombuffer(data, np.uint8, whole * width).reshape(whole, width)
    tail = rows[:, dimensions:].copy().view(_TAIL).reshape(count)
    scale = tail["scale"].astype(np.float32)
    present = scale > 0
    present[present] = _checksums(rows[present], dimensions) == tail["crc"][present]
    scale = np.where(present, scale, 0.0).astype(np.float32)
    return SegmentVectors(rows[:, :dimensions].view(np.int8), scale, present)


def rows_of(vectors: SegmentVectors, numbers: Sequence[int]) -> "npt.NDArray[np.uint8]":
    """Rows for some passages of a segment as read, to carry into a merged one."""
    picked = np.asarray(numbers, dtype=np.int64)
    return _rows(vectors.codes[picked], vectors.scale[picked], vectors.present[picked])


def any_present(rows: Optional[Any]) -> bool:
    return rows is not None and bool(np.asarray(rows)[:, -8:-4].any())
