"""The index on disk as an open object: opening or creating it, searchers,
statistics, closing.

The reading side borrows a searcher for the length of one read
(:meth:`Store.reading`) from a bounded pool, so a host application that
starts a thread per request holds a bounded number of open readers.
Writers (:mod:`searchlib.indexing.writer`) take the write lock and open
Whoosh's writer on :meth:`Store.writing_index`.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from whoosh import index as _whoosh_index
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from .. import _defaults
from ..analysis import FrenchAnalyzer
from ..errors import IndexCorruptError, IndexNotFoundError, SearchlibError
from . import settings as _settings
from .damage import damaged, describe_damage, segment_damage, write_error
from .locks import INDEX_NAME, QUEUE_LOCK, WRITE_LOCK
from .retry import attempts, latest_generation
from .schema import FIELDS, build_schema
from .searchers import SearcherPool

__all__ = ["Store", "StoreStats", "OpenedSegments", "open_segments", "opening_problem", "HOUSEKEEPING"]

# Files that may sit in an index folder before any index is built there.
HOUSEKEEPING = frozenset({"README.md", ".gitignore", ".gitkeep"})
#: searchers open at once by default, whatever the number of threads reading
DEFAULT_READERS = 8


@dataclass(frozen=True)
class StoreStats:
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: Optional[float]



def _unfinished_creation(path: Path) -> set[str]:
    """The files of an index whose creation a kill cut short (its settings
    written, no table of contents yet): the folder is ours to take over."""
    names = set(os.listdir(path))
    if _settings.SETTINGS_FILE not in names:
        return set()
    return {
        name
        for name in names
        if name in (_settings.SETTINGS_FILE, QUEUE_LOCK, WRITE_LOCK, f"{INDEX_NAME}.tmp")
        or name.startswith(f"{INDEX_NAME}_")
    }


@dataclass
class OpenedSegments:
    """An index's table of contents (None if unreadable) and a reader of
    each of its segments (None where the files would not open), with what
    stopped them, in order. The caller closes the readers."""

    toc: Any
    readers: List[Tuple[Any, Optional[SegmentReader]]]
    problems: List[str]

    def close(self) -> None:
        for _, reader in self.readers:
            if reader is not None:
                reader.close()


def open_segments(path: Path, schema: Schema) -> OpenedSegments:
    """Open the table of contents of the index in ``path`` and every
    segment it lists (files once open stay readable, whatever commits do).

    A commit made meanwhile replaces the table of contents and removes the
    files of the segments it merged; a file missing for that reason is no
    damage, and the newer table of contents is tried instead.
    """
    for attempt in attempts(path):
        try:
            toc = TOC.read(attempt.storage, INDEX_NAME, gen=attempt.generation, schema=schema)
        except Exception as error:  # Whoosh raises many types on damage
            opened = OpenedSegments(
                None, [], [f"table of contents _{INDEX_NAME}_{attempt.generation}.toc is {describe_damage(error)}"]
            )
        else:
            opened = OpenedSegments(toc, [], [])
            for segment in toc.segments:
                try:
                    opened.readers.append((segment, SegmentReader(attempt.storage, schema, segment)))
                except Exception as error:  # Whoosh raises many types on damage
                    opened.readers.append((segment, None))
                    opened.problems.append(segment_damage(segment, error))
        if not opened.problems or attempt.last or not attempt.moved():
            return opened
        opened.close()
    raise AssertionError("unreachable")


def _open_whoosh_index(path: Path, schema: Schema) -> FileIndex:
    """Whoosh's index in ``path``, its table of contents read.

    Whoosh lists the folder for the newest table of contents, then opens
    it: a commit in between removes the one listed. That is no damage, and
    the newer one is read instead.
    """
    for attempt in attempts(path):
        try:
            return _whoosh_index.open_dir(str(path), schema=schema)
        except Exception as error:  # Whoosh raises many types on damage
            if attempt.last or not attempt.moved():  # no commit meanwhile: the damage is real
                raise IndexCorruptError(damaged(path, describe_damage(error))) from error
    raise AssertionError("unreachable")


def opening_problem(path: Path, schema: Schema) -> Optional[str]:
    """What stops the index in ``path`` from opening (its table of contents
    or a segment file missing or unreadable), or None if it opens."""
    opened = open_segments(path, schema)
    opened.close()
    return opened.problems[0] if opened.problems else None


class Store:
    """An open searchlib index directory."""

    def __init__(
        self,
        path: Path,
        create: bool = True,
        lock_timeout: float = _defaults.DEFAULT_LOCK_TIMEOUT,
        stop_words: Optional[Iterable[str]] = None,
        passage_words: Optional[Tuple[int, int]] = None,
        readers: int = DEFAULT_READERS,
    ) -> None:
        if readers < 1:
            raise SearchlibError(f"readers must be at least 1, not {readers}")
        self.path = path
        self.lock_timeout = lock_timeout
        self._index, self.settings, self.analyzer = self._open(
            create, None if stop_words is None else frozenset(stop_words), passage_words
        )
        self.passage_words: Tuple[int, int] = self.settings.passage_words
        self._unmapped: Optional[FileIndex] = None
        self._readers = SearcherPool(path, self._index, readers)
        self._writing_searchers: Optional[SearcherPool] = None  # made with the unmapped index
        self._unmapped_lock = threading.Lock()
        self._closed = False

    @property
    def vector_dimensions(self) -> Optional[int]:
        """The length of the index's vectors (None: it keeps none)."""
        identity = self.settings.embedder_identity
        return None if identity is None else int(identity["dimensions"])

    def use_embedder(self, identity: Dict[str, Any]) -> None:
        """Record the embedder whose vectors the index keeps from now on
        (one rename: readers see the old settings file or the new)."""
        if self.settings.embedder_identity != identity:
            self.settings = self.settings.with_embedder(identity)
            try:
                _settings.write(self.path, self.settings, replace_whole=True)
            except OSError as error:
                raise write_error(self.path, error) from None

    # -- opening ---------------------------------------------------------

    def _open(
        self, create: bool, stop_words: Optional[frozenset[str]], passage_words: Optional[Tuple[int, int]]
    ) -> Tuple[FileIndex, _settings.Settings, FrenchAnalyzer]:
        path = self.path
        if path.exists() and not path.is_dir():
            raise SearchlibError(f"{path} is a file, not an index directory")
        if self.exists(path):
            settings = _settings.read(path)
            analyzer = settings.analyzer()
            if stop_words is not None and stop_words != analyzer.stop_words:
                raise SearchlibError(
                    f"index {path} was built with other stop words; rebuild it to change them "
                    f"(search index --rebuild)"
                )
            if passage_words is not None and tuple(passage_words) != settings.passage_words:
                low, high = settings.passage_words
                raise SearchlibError(
                    f"index {path} was built with passages of {low}-{high} "
                    f"words; rebuild it to change them (search index --rebuild)"
                )
            schema = build_schema(analyzer, settings.keeps_offsets)
            problem = opening_problem(path, schema)
            if problem is not None:
                raise IndexCorruptError(damaged(path, problem))
            return _open_whoosh_index(path, schema), settings, analyzer
        if not create:
            raise IndexNotFoundError(f"no index at {path}")
        if path.is_dir():
            strangers = sorted(set(os.listdir(path)) - HOUSEKEEPING - _unfinished_creation(path))
            if strangers:
                raise SearchlibError(
                    f"{path} is not empty and holds no searchlib index "
                    f"(found {strangers[0]!r}); choose an empty or new directory"
                )
        settings = _settings.Settings(stop_words=stop_words)
        if passage_words is not None:
            low, high = passage_words
            if not 1 <= low <= high:
                raise SearchlibError(f"passage sizes must satisfy 1 <= min <= max, not {low}-{high}")
            settings = _settings.Settings(stop_words, (low, high), passage_words_set=True)
        analyzer = settings.analyzer()
        try:
            path.mkdir(parents=True, exist_ok=True)
            # The settings go first: a folder with a Whoosh index but no
            # settings is refused as foreign, so a crash here cannot leave one.
            _settings.write(path, settings)
            ix = _whoosh_index.create_in(str(path), build_schema(analyzer))
        except OSError as error:
            raise write_error(path, error) from None
        return ix, settings, analyzer

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether ``path`` holds an index (perhaps a damaged one): it has a
        table of contents. Reads no file, so damage cannot make it fail."""
        return path.is_dir() and latest_generation(FileStorage(str(path))) >= 0

    # -- reading ---------------------------------------------------------

    @contextmanager
    def reading(self, for_writing: bool = False) -> Iterator[Searcher]:
        """A searcher up to date with the last commit, for this thread alone
        until the block ends.

        ``for_writing`` gives the one indexing uses to look documents up,
        which reads files instead of mapping them (see :meth:`writing_index`).
        """
        self._check_open()
        pool = self._writing_pool() if for_writing else self._readers
        searcher = pool.borrow()
        try:
            yield searcher
        finally:
            pool.give_back(searcher)

    @property
    def open_searchers(self) -> int:
        """Searchers open now for reading (at most ``readers``); a store that
        has written also keeps one to look documents up while indexing."""
        return self._readers.open_count

    def writing_index(self) -> FileIndex:
        """The index as writers open it: without memory-mapped files.

        Searchers map segment files into memory, which is fast and cheap
        for the pages a query touches; a writer merging segments reads them
        whole, and mapped, every page would count against the process's
        resident memory until the end of the run.
        """
        return self._unmapped_and_pool()[0]

    def _writing_pool(self) -> SearcherPool:
        return self._unmapped_and_pool()[1]

    def _unmapped_and_pool(self) -> Tuple[FileIndex, SearcherPool]:
        """The unmapped index and its one searcher's pool, opened on first use."""
        self._check_open()
        with self._unmapped_lock:
            if self._unmapped is None or self._writing_searchers is None:
                storage = FileStorage(str(self.path), supports_mmap=False)
                self._unmapped = storage.open_index(schema=self._index.schema)
                self._writing_searchers = SearcherPool(self.path, self._unmapped, 1)
            return self._unmapped, self._writing_searchers

    def stats(self) -> StoreStats:
        with self.reading() as searcher:
            reader = searcher.reader()
            documents = {fields[FIELDS.doc_id] for fields in reader.all_stored_fields()}
            terms = sum(1 for _ in reader.lexicon(FIELDS.text))
            return StoreStats(len(documents), reader.doc_count(), terms, self._size(), self._last_commit())

    def _size(self) -> int:
        size = 0
        for entry in os.scandir(self.path):
            try:
                if entry.is_file() and entry.name not in HOUSEKEEPING:
                    size += entry.stat().st_size
            except FileNotFoundError:
                pass  # a commit removed it meanwhile
        return size

    def _last_commit(self) -> Optional[float]:
        """When the last commit was made (None before the first): the time
        of its table of contents, which the next commit may remove under us."""
        for attempt in attempts(self.path):
            if attempt.generation <= 0:  # generation 0 is the empty index as created
                return None
            try:
                return os.path.getmtime(self.path / f"_{INDEX_NAME}_{attempt.generation}.toc")
            except FileNotFoundError:
                continue
        return None

    def _check_open(self) -> None:
        if self._closed:
            raise SearchlibError(f"index {self.path} is closed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._readers.close()
        if self._writing_searchers is not None:
            self._writing_searchers.close()
        self._index.close()
        if self._unmapped is not None:
            self._unmapped.close()
