"""Verifying an index on disk: every file it needs is there and reads in
full, and every document's passages are whole.

Whoosh keeps no checksums, so the check reads everything: the settings,
the table of contents, each segment's stored fields and every posting
list, then searchlib's own invariants (a document's passages numbered
from 0 without gaps, all of one version). It never writes.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from whoosh.reading import SegmentReader

from . import locks, rebuild as _rebuild, settings as _settings, store, vectors
from .damage import describe_damage, segment_file
from .schema import FIELDS, build_schema
from ..errors import IndexNotFoundError, SearchlibError
from ..results import CheckReport

_INDEX_NAME = locks.INDEX_NAME
_SEGMENT_FILE = re.compile(rf"^{_INDEX_NAME}_(\w+)\.\w+$")
_TOC_FILE = re.compile(rf"^_{_INDEX_NAME}_(\d+)\.toc$")


def verify(path: Path) -> CheckReport:
    """Read the whole index in ``path`` and report what is wrong with it."""
    began = time.monotonic()
    problems: List[str] = []
    notes: List[str] = []
    counts = [0, 0, 0]  # documents, passages, segments

    def done() -> CheckReport:
        return CheckReport(
            str(path), counts[0], counts[1], counts[2], tuple(problems), tuple(notes), time.monotonic() - began
        )

    if not path.is_dir():
        raise IndexNotFoundError(f"no index at {path}")
    names = set(os.listdir(path))
    if not any(_TOC_FILE.match(name) for name in names):
        if _settings.SETTINGS_FILE not in names:
            raise IndexNotFoundError(f"no index at {path}")
        problems.append(f"no table of contents (_{_INDEX_NAME}_<n>.toc): the index files are gone")
        return done()
    try:
        settings = _settings.read(path)
    except SearchlibError as error:
        problems.append(str(error))
        return done()
    opened = store.open_segments(path, build_schema(settings.analyzer(), settings.keeps_offsets))
    problems.extend(opened.problems)
    toc = opened.toc
    if toc is None:
        return done()
    counts[2] = len(toc.segments)
    passages_of: Dict[str, Dict[int, Set[str]]] = defaultdict(lambda: defaultdict(set))
    dimensions = None if settings.embedder_identity is None else int(settings.embedder_identity["dimensions"])
    without_vectors = 0
    for segment, reader in opened.readers:
        if reader is not None:
            if dimensions is not None:
                without_vectors += _count_without_vectors(path, segment.segment_id(), reader, dimensions)
            _verify_segment(segment_file(segment), reader, problems, passages_of)
    if without_vectors:
        notes.append(f"{without_vectors} passage(s) have no vector yet: search embed --index {path} gives them one")
    counts[0] = len(passages_of)
    counts[1] = sum(len(numbers) for numbers in passages_of.values())
    for doc_id, numbers in sorted(passages_of.items()):
        missing = sorted(set(range(max(numbers) + 1)) - set(numbers))
        versions = set().union(*numbers.values())
        if missing:
            problems.append(f"document {doc_id!r}: passages {_numbers(missing)} are missing")
        if len(versions) > 1 or any(len(seen) > 1 for seen in numbers.values()):
            problems.append(f"document {doc_id!r}: passages of {len(versions)} different versions")
    notes.extend(_leftovers(path, names, toc))
    return done()


def _count_without_vectors(path: Path, segment_id: str, reader: SegmentReader, dimensions: int) -> int:
    """The live passages of a segment whose vector is missing or fails its checksum."""
    count = reader.doc_count_all()
    present = vectors.read_rows(path, segment_id, count, dimensions).present
    return sum(1 for number in range(count) if not present[number] and not reader.is_deleted(number))


def first_problem(path: Path) -> Optional[str]:
    """The first damage found by opening the index's files, without
    reading them through (milliseconds, where :func:`verify` takes a
    while): for telling a damaged index from another failure."""
    try:
        settings = _settings.read(path)
    except SearchlibError as error:
        return str(error)
    return store.opening_problem(path, build_schema(settings.analyzer(), settings.keeps_offsets))


def _verify_segment(
    name: str, reader: SegmentReader, problems: List[str], passages_of: Dict[str, Dict[int, Set[str]]]
) -> None:
    try:
        total = reader.doc_count_all()
        for number in range(total):
            if reader.is_deleted(number):
                continue
            fields = reader.stored_fields(number)
            if not isinstance(fields.get(FIELDS.doc_id), str) or not isinstance(fields.get(FIELDS.passage), int):
                problems.append(f"{name}: passage {number} has no document id or number")
                continue
            passages_of[fields[FIELDS.doc_id]][fields[FIELDS.passage]].add(str(fields.get(FIELDS.doc_hash)))
        for fieldname in reader.indexed_field_names():
            for term in reader.lexicon(fieldname):
                ids = reader.postings(fieldname, term).all_ids()
                if any(not 0 <= docnum < total for docnum in ids):
                    problems.append(f"{name}: the postings of a {fieldname} term point outside the segment")
                    return
    except Exception as error:
        problems.append(f"segment file {name} is {describe_damage(error)}")
    finally:
        reader.close()


def _leftovers(path: Path, names: Set[str], toc: Any) -> List[str]:
    """Files no commit refers to: what a killed or failed run left (the
    next successful write removes them)."""
    live = {segment.segment_id() for segment in toc.segments}
    stray = []
    for name in sorted(names):
        segment = _SEGMENT_FILE.match(name)
        old_toc = _TOC_FILE.match(name)
        if (segment and f"{_INDEX_NAME}_{segment.group(1)}" not in live) or (old_toc and int(old_toc.group(1)) != toc.generation):
            stray.append(name)
        elif name == f"{_INDEX_NAME}.tmp":
            stray.append(name + "/")
    found = []
    if stray:
        found.append(f"{len(stray)} file(s) left by an unfinished run, removed by the next write: {', '.join(stray[:5])}")
    for folder in _rebuild.rebuild_folders(path):
        if folder.alive:
            found.append(f"a rebuild is under way in {folder.path}")
        else:
            found.append(f"{folder.path} was left by a killed rebuild; the next rebuild removes it")
    return found


def _numbers(values: List[int]) -> str:
    shown = ", ".join(str(value) for value in values[:10])
    return shown + (", ..." if len(values) > 10 else "")
