"""An index written out for an OpenSearch cluster that searchlib cannot
reach: files that load it by hand, with curl.

- ``settings.json`` creates the index as the backend does (:func:`.indexes.new_index`:
  settings, mappings and searchlib's ``_meta``), under a concrete name;
- ``bulk-0001.ndjson``, ... hold the records the backend writes
  (:func:`.mapping.records_from_chunk`, :func:`.writing.record_actions`:
  the same ids, terms and content hashes; documents prepared in worker
  processes on a large export, as for a write), an action line and a
  record line each, in files small enough to be one bulk request each;
- ``README.txt`` gives the commands, with the index's name filled in.

The records are numbered (``seq``) from 1 in the order the documents come,
and stamped with a time given by the caller, so exporting the same index
twice writes the same files. Nothing here talks to a cluster, and the
OpenSearch client need not be installed.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from ..._defaults import DEFAULT_EXPORT_NAME
from ...analysis import FRENCH_STOP_WORDS, FrenchAnalyzer
from ...errors import SearchlibError
from ...indexing.workers import Prepared, Preparation
from ...ingest import Document
from ...results import Progress
from ...search.ranking import Ranking
from ...storage.settings import DEFAULT_PASSAGE_WORDS
from .indexes import concrete_name, new_index
from .writing import Action, bulk_lines, content_hash, record_actions, RecordsPreparer, records_from

__all__ = ["ExportReport", "export", "SETTINGS", "README", "FILE_BYTES"]

SETTINGS = "settings.json"
README = "README.txt"
_BULK = "bulk-{:04d}.ndjson"
#: the files an export writes: a folder holding only these may be written again
_OURS = re.compile(r"bulk-\d{4,}\.ndjson|settings\.json|README\.txt")
#: bytes of a bulk file at most (a document's records are kept in one file
#: when they fit). OpenSearch refuses a request of more than its
#: http.max_content_length (100 MB), and a node whose bulk requests in flight
#: hold more than a tenth of its heap answers 429: 10 MB stays well within
#: both on a node of 512 MB.
FILE_BYTES = 10 * 1024 * 1024
# What OpenSearch takes for an index name, less what a shell would read in
# the README's commands.
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}")

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote into ``directory``: ``documents`` documents
    (``passages`` passages) as records of the index ``name`` (an alias of
    the concrete index ``concrete`` the README creates), in the bulk files
    ``files`` of ``bytes`` bytes in all; ``skipped`` documents had no text
    to index."""

    directory: str
    name: str
    concrete: str
    documents: int
    passages: int
    files: Tuple[str, ...]
    bytes: int
    skipped: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return {**self.__dict__, "files": list(self.files)}


def export(
    documents: Iterable[Document],
    directory: PathLike,
    *,
    analyzer: FrenchAnalyzer,
    passage_words: Tuple[int, int],
    ranking: Ranking,
    indexed_at: int,
    name: str = DEFAULT_EXPORT_NAME,
    shards: int = 1,
    replicas: int = 1,
    file_bytes: int = FILE_BYTES,
    origin: str = "",
    workers: Optional[int] = None,
    progress: Optional[Callable[[Progress], None]] = None,
) -> ExportReport:
    """Write into ``directory`` (created if need be; empty, or holding only
    a previous export, which is replaced) the files loading ``documents``
    into a cluster as the searchlib index ``name``, their terms made with
    ``analyzer``'s stop words and ``passage_words``, ranked by BM25 with
    ``ranking``'s k1 and b. ``indexed_at`` (ms since the epoch) is their
    time of indexing; ``origin`` names the index they come from in the
    README. Documents are analysed in ``workers`` processes besides this
    one on a large export (None: one per core, at most 4; 0: all here).
    ``progress`` is called now and then with the documents done, the bulk
    files begun and their bytes (totals are not known: 0)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SearchlibError(
            f"{name!r} cannot name the index: give lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    folder = Path(directory)
    _prepare(folder)
    stop_words = None if analyzer.stop_words == FRENCH_STOP_WORDS else analyzer.stop_words
    sizes = None if tuple(passage_words) == DEFAULT_PASSAGE_WORDS else passage_words
    bulk = _BulkFiles(folder, file_bytes)
    try:
        body = new_index(ranking.k1, ranking.b, shards, replicas, stop_words, sizes)
        _write(folder / SETTINGS, json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        sequence = itertools.count(1)
        done = [0, 0, 0]  # documents, passages, skipped

        def write(prepared: Prepared) -> None:
            documents, counts, chunk = prepared
            for records in records_from(chunk, documents, counts):
                if records is None:
                    done[2] += 1
                    continue
                passages, article = record_actions(records, name, sequence, indexed_at)
                bulk.add([*passages, article])
                done[0] += 1
                done[1] += len(passages)
            if progress is not None:
                progress(Progress(len(bulk.files), 0, bulk.bytes, 0, done[0]))

        with Preparation(RecordsPreparer(analyzer, passage_words, offsets=True), workers) as preparation:
            for document in documents:
                preparation.submit(document, content_hash(document, passage_words), False)
                for prepared in preparation.ready():
                    write(prepared)
            for prepared in preparation.drain():
                write(prepared)
        count, passages, skipped = done
        bulk.close()
        if progress is not None:
            progress(Progress(len(bulk.files), 0, bulk.bytes, 0, count))
        report = ExportReport(
            str(folder), name, concrete_name(name, indexed_at), count, passages, tuple(bulk.files), bulk.bytes, skipped
        )
        _write(folder / README, _readme(report, origin, passage_words, ranking, stop_words is not None))
    except BaseException:
        # Half an export would load half the documents: none is left.
        bulk.abandon()
        raise
    return report


class _BulkFiles:
    """Bulk files written one after the other, each of at most ``limit``
    bytes unless one record alone is larger."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self.files: List[str] = []
        self.bytes = 0
        self._stream: Optional[Any] = None
        self._size = 0

    def add(self, actions: List[Action]) -> None:
        """Write a document's actions, in the current file if they all fit."""
        pairs = [("\n".join(bulk_lines([action])) + "\n").encode("utf-8") for action in actions]
        if self._size + sum(map(len, pairs)) > self.limit:
            self._next()
        for pair in pairs:
            if self._stream is None or self._size and self._size + len(pair) > self.limit:
                self._next()
            self._put(pair)

    def _put(self, data: bytes) -> None:
        path = self.folder / self.files[-1]
        try:
            assert self._stream is not None
            self._stream.write(data)
        except OSError as error:
            raise _write_error(path, error) from None
        self._size += len(data)
        self.bytes += len(data)

    def _next(self) -> None:
        if self._stream is not None and self._size == 0:
            return
        self.close()
        self.files.append(_BULK.format(len(self.files) + 1))
        path = self.folder / self.files[-1]
        try:
            self._stream = open(path, "wb")
        except OSError as error:
            raise _write_error(path, error) from None
        self._size = 0

    def abandon(self) -> None:
        """Close and remove every file of the export (best effort: the
        error that stopped it matters more)."""
        try:
            self.close()
        except SearchlibError:
            pass
        for name in [*self.files, SETTINGS, README]:
            try:
                (self.folder / name).unlink()
            except OSError:
                pass

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except OSError as error:
                raise _write_error(self.folder / self.files[-1], error) from None
            self._stream = None


def _prepare(folder: Path) -> None:
    """``folder`` made ready: created, or found empty or holding a previous
    export, whose files are removed (a shorter export would leave bulk
    files the README's loop would send)."""
    if folder.exists() and not folder.is_dir():
        raise SearchlibError(f"cannot export into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entries = sorted(os.listdir(folder))
    except OSError as error:
        raise _write_error(folder, error) from None
    others = [entry for entry in entries if not _OURS.fullmatch(entry)]
    if others:
        raise SearchlibError(
            f"cannot export into {folder}: it holds other files ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); "
            f"give a new or empty folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _write_error(folder, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    for entry in entries:
        try:
            (folder / entry).unlink()
        except OSError as error:
            raise _write_error(folder / entry, error) from None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _write_error(path, error) from None


def _write_error(path: Path, error: OSError) -> SearchlibError:
    reason = error.strerror or str(error)
    return SearchlibError(f"cannot export into {path}: {reason[:1].lower() + reason[1:]}")


def _readme(report: ExportReport, origin: str, passage_words: Tuple[int, int], ranking: Ranking, own_stops: bool) -> str:
    """How to load the export, with its names filled in."""
    name, concrete = report.name, report.concrete
    alias = json.dumps({"actions": [{"add": {"index": concrete, "alias": name, "is_write_index": True}}]})
    source = f" from {origin}" if origin else ""
    stops = "its own stop words" if own_stops else "the Snowball French stop words"
    megabytes = report.bytes / 1024 / 1024
    return f"""\
The searchlib index "{name}" for an OpenSearch cluster{source}:
{report.documents} documents, {report.passages} passages, in {len(report.files)} bulk file{"s" if len(report.files) != 1 else ""} ({megabytes:.1f} MB).
Its terms were made with {stops} and passages of {passage_words[0]} to {passage_words[1]} words;
the cluster ranks by BM25 with k1 {ranking.k1:g} and b {ranking.b:g}.

Load it from this folder with curl. Set HOST to the cluster's address
(add -u USER:PASSWORD to each command if the cluster asks for one):

  HOST=http://localhost:9200

1. Create the index under a concrete name with settings.json (its settings,
   mappings and searchlib's settings in _meta; change number_of_shards and
   number_of_replicas there first if the cluster needs others):

  curl -sS -w '\\n' -XPUT "$HOST/{concrete}" -H 'Content-Type: application/json' --data-binary @settings.json

2. Point the name "{name}" at it (searchlib opens an index by this name):

  curl -sS -w '\\n' -XPOST "$HOST/_aliases" -H 'Content-Type: application/json' -d '{alias}'

3. Send the records, one bulk request a file; each must answer {{"errors":false}}
   (files refused for a busy cluster, 429, can be sent again as they are):

  for f in bulk-*.ndjson; do
    echo "$f: $(curl -sS -XPOST "$HOST/_bulk?filter_path=errors,items.*.error" -H 'Content-Type: application/x-ndjson' --data-binary @"$f")"
  done

4. Make them searchable:

  curl -sS -w '\\n' -XPOST "$HOST/{name}/_refresh"

Then search it as any searchlib index, from a machine that reaches the
cluster (its host and port in place of localhost:9200):

  search --index opensearch://localhost:9200/{name} QUERY
  searchlib.Index("opensearch://localhost:9200/{name}")
"""
