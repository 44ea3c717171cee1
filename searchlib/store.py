"""The on-disk index: Whoosh schema, opening, writing, per-thread searchers.

Each passage is one Whoosh document. Document-level data (title, date,
source, metadata, a hash of the content) is repeated on each of its passages
so a hit needs one stored-fields read and nothing else.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from whoosh import formats, index as _whoosh_index, query as wq
from whoosh.analysis import Analyzer, Token
from whoosh.fields import ID, STORED, TEXT, FieldType, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError, clean_files
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from . import phonetic
from ._defaults import DEFAULT_LOCK_TIMEOUT
from .analysis import FrenchAnalyzer
from .errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, SearchlibError

if TYPE_CHECKING:
    from ._segment import FastSegmentWriter

__all__ = ["Store", "build_schema", "FORMAT_VERSION", "MARKER_FILE", "DEFAULT_LOCK_TIMEOUT", "VARIANT_SEPARATOR"]

FORMAT_VERSION = 5
MARKER_FILE = "searchlib.json"
# Files that may sit in an index folder before any index is built there.
HOUSEKEEPING = frozenset({"README.md", ".gitignore", ".gitkeep"})
DEFAULT_PASSAGE_WORDS = (40, 120)
INDEX_NAME = "MAIN"  # Whoosh's default name, the prefix of every file it writes
WRITE_LOCK = f"{INDEX_NAME}_WRITELOCK"
QUEUE_LOCK = "searchlib.queue"
# Tables of contents to try when commits keep replacing the one being read.
_OPEN_ATTEMPTS = 10
# Joins a word's accent-resolution key to its indexed term in the
# ``variants`` field ("securit" + SEP + "secur" for "sécurité").
VARIANT_SEPARATOR = "\x1f"


class _TermList(Analyzer):
    """Indexes a list of ready-made terms as they are."""

    def __call__(self, value: Any, **kwargs: Any) -> Iterator[Token]:
        token = Token(**kwargs)
        token.boost = 1.0
        for position, term in enumerate(value if isinstance(value, (list, tuple)) else value.split()):
            token.text = term
            token.pos = position
            yield token


def build_schema(analyzer: FrenchAnalyzer) -> Schema:
    """The Whoosh schema of a searchlib index: one Whoosh document a passage.

    ``stops`` holds the passage's stop words (for queries made only of
    them); ``variants`` pairs each accented word's key with its term, so a
    query typed without accents finds the accented spelling; ``origin`` is
    the file a document came from (for pruning vanished sources);
    ``sketch`` and ``doc_sketch`` find near-identical passages and
    documents (see :mod:`.duplicates`);
    ``sounds`` pairs each capitalised word's consonant skeleton with its
    spelling and term, for names spelt several ways (see :mod:`.phonetic`).
    """
    return Schema(
        doc_id=ID(stored=True, sortable=True),
        passage=STORED,
        text=TEXT(analyzer=analyzer, phrase=True, stored=True),
        title=TEXT(analyzer=analyzer, phrase=True, stored=True),
        stops=FieldType(formats.Frequency(), analyzer=_TermList(), scorable=True),
        variants=FieldType(formats.Existence(), analyzer=_TermList()),
        sounds=FieldType(formats.Existence(), analyzer=_TermList()),
        date=ID(stored=True),
        source=ID(stored=True),
        origin=ID(),
        sketch=STORED,
        doc_sketch=STORED,
        start=STORED,
        end=STORED,
        metadata=STORED,
        doc_hash=STORED,
    )


def _text(raw: Any) -> str:
    """A term as text: Whoosh 2.7's lexicons and prefix expansions yield bytes."""
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


@dataclass(frozen=True)
class StoreStats:
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: Optional[float]


#: a spelling is a name's when at least 1/_NAME_SHARE of the passages holding
#: its term write it with a capital
_NAME_SHARE = 2


def _lock(path: Path, name: str) -> Any:
    """The file lock ``name`` in the index folder ``path``.

    Whoosh creates a lock file with mode 0777 (less the umask), which
    makes it executable; it is made here first as the plain file the
    user's umask gives.
    """
    os.close(os.open(path / name, os.O_CREAT | os.O_WRONLY, 0o666))
    return FileStorage(str(path)).lock(name)


def _acquire(lock: Any, deadline: float) -> bool:
    """Take a file lock, trying until ``deadline`` (a monotonic time)."""
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _release(lock: Any) -> None:
    """Let go of a file lock that may be half released already.

    Whoosh's release closes the lock's descriptor and only then forgets it,
    so an interrupt (Ctrl-C) landing in between leaves ``fd`` set on a
    closed descriptor, whose number the system may since have given to
    another file: it is released only while it still refers to the lock file.
    """
    if lock.fd is None:
        return
    try:
        held = os.path.samestat(os.fstat(lock.fd), os.stat(lock.filename))
    except OSError:
        held = False
    if held:
        lock.release()
    else:
        lock.fd = None


@contextmanager
def _queue(path: Path, deadline: float) -> Iterator[None]:
    """Hold the index's queue lock while waiting for its write lock.

    A long indexing run lets its write lock go at every batch and takes it
    again at once; a writer polling for it would almost never get in. A
    writer that waits holds the queue lock, which the running writer must
    also take before its next batch, so waiters get their turn in between.
    Both are operating-system locks: a killed process leaves none behind.
    """
    lock = _lock(path, QUEUE_LOCK)
    if not _acquire(lock, deadline):
        raise LockError("queue")
    try:
        yield
    finally:
        lock.release()


def _unfinished_creation(path: Path) -> Set[str]:
    """The files of an index whose creation a kill cut short (its settings
    written, no table of contents yet): the folder is ours to take over."""
    names = set(os.listdir(path))
    if MARKER_FILE not in names:
        return set()
    return {
        name
        for name in names
        if name in (MARKER_FILE, QUEUE_LOCK, WRITE_LOCK, f"{INDEX_NAME}.tmp")
        or name.startswith(f"{INDEX_NAME}_")
    }


def damaged(path: Path, what: str) -> str:
    """The one-line error for a damaged index, with the way out."""
    return (
        f"index {path} is damaged: {what}; rebuild it from its sources with "
        f"'search index --rebuild --index {path} PATH' ('search check --index {path}' lists the damage)"
    )


def describe_damage(error: BaseException) -> str:
    """What a Whoosh error raised on reading a file says about it: the
    file "is missing", "is truncated or unreadable (...)"."""
    if isinstance(error, FileNotFoundError):
        return "missing"
    text = str(error) or type(error).__name__
    return "truncated or unreadable (" + (text if len(text) < 120 else text[:117] + "...") + ")"


def _segment_damage(segment: Any, error: BaseException) -> str:
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"segment file {os.path.basename(str(error.filename))} is missing"
    return f"segment file {segment_file(segment)} is {describe_damage(error)}"


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
    storage = FileStorage(str(path), readonly=True)
    for _ in range(_OPEN_ATTEMPTS):
        generation = TOC._latest_generation(storage, INDEX_NAME)
        try:
            toc = TOC.read(storage, INDEX_NAME, gen=generation, schema=schema)
        except Exception as error:  # Whoosh raises many types on damage
            opened = OpenedSegments(
                None, [], [f"table of contents _{INDEX_NAME}_{generation}.toc is {describe_damage(error)}"]
            )
        else:
            opened = OpenedSegments(toc, [], [])
            for segment in toc.segments:
                try:
                    opened.readers.append((segment, SegmentReader(storage, schema, segment)))
                except Exception as error:  # Whoosh raises many types on damage
                    opened.readers.append((segment, None))
                    opened.problems.append(_segment_damage(segment, error))
        if not opened.problems or TOC._latest_generation(storage, INDEX_NAME) == generation:
            return opened
        opened.close()
    return opened


def _open_whoosh_index(path: Path, schema: Schema) -> FileIndex:
    """Whoosh's index in ``path``, its table of contents read.

    Whoosh lists the folder for the newest table of contents, then opens
    it: a commit in between removes the one listed. That is no damage, and
    the newer one is read instead.
    """
    storage = FileStorage(str(path), readonly=True)
    for attempt in range(_OPEN_ATTEMPTS):
        generation = TOC._latest_generation(storage, INDEX_NAME)
        try:
            return _whoosh_index.open_dir(str(path), schema=schema)
        except Exception as error:  # Whoosh raises many types on damage
            # no commit meanwhile (or too many): the damage is real
            if attempt == _OPEN_ATTEMPTS - 1 or TOC._latest_generation(storage, INDEX_NAME) == generation:
                raise IndexCorruptError(damaged(path, describe_damage(error))) from error
    raise AssertionError("unreachable")


def opening_problem(path: Path, schema: Schema) -> Optional[str]:
    """What stops the index in ``path`` from opening (its table of contents
    or a segment file missing or unreadable), or None if it opens."""
    opened = open_segments(path, schema)
    opened.close()
    return opened.problems[0] if opened.problems else None


def segment_file(segment: Any) -> str:
    """The file (compound) or file prefix a segment is stored in."""
    return f"{segment.segment_id()}.seg" if segment.is_compound() else f"{segment.segment_id()}.*"


def write_error(path: Path, error: OSError) -> SearchlibError:
    """The one-line error for a write the system refused."""
    where = f" ({os.path.basename(str(error.filename))})" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return SearchlibError(
            f"cannot write to index {path}: no space left on device{where}; what was committed before "
            f"stays searchable: free some space and run the same command again"
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return SearchlibError(f"cannot write to index {path}: {(error.strerror or str(error)).lower()}{where}")
    return SearchlibError(f"cannot write to index {path}: {error.strerror or error}{where}")


class Store:
    """An open searchlib index directory."""

    def __init__(
        self,
        path: Path,
        create: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        stop_words: Optional[Iterable[str]] = None,
        passage_words: Optional[Tuple[int, int]] = None,
    ) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.passage_words: Tuple[int, int] = DEFAULT_PASSAGE_WORDS
        self._index, self.analyzer = self._open(
            create, None if stop_words is None else frozenset(stop_words), passage_words
        )
        self._unmapped: Optional[FileIndex] = None
        self._local = threading.local()
        self._searchers: List[Searcher] = []
        self._searchers_lock = threading.Lock()
        self._closed = False

    # -- opening ---------------------------------------------------------

    def _open(
        self, create: bool, stop_words: Optional[frozenset[str]], passage_words: Optional[Tuple[int, int]]
    ) -> tuple[FileIndex, FrenchAnalyzer]:
        path = self.path
        if path.exists() and not path.is_dir():
            raise SearchlibError(f"{path} is a file, not an index directory")
        marker = path / MARKER_FILE
        if self.exists(path):
            settings = self._read_marker(marker)
            stored = settings.get("stop_words")
            analyzer = FrenchAnalyzer(stop_words=stored)
            if stop_words is not None and stop_words != analyzer.stop_words:
                raise SearchlibError(
                    f"index {path} was built with other stop words; rebuild it to change them "
                    f"(search index --rebuild)"
                )
            stored_sizes = settings.get("passage_words")
            if stored_sizes is not None:
                self.passage_words = (int(stored_sizes[0]), int(stored_sizes[1]))
            if passage_words is not None and tuple(passage_words) != self.passage_words:
                raise SearchlibError(
                    f"index {path} was built with passages of {self.passage_words[0]}-{self.passage_words[1]} "
                    f"words; rebuild it to change them (search index --rebuild)"
                )
            schema = build_schema(analyzer)
            problem = opening_problem(path, schema)
            if problem is not None:
                raise IndexCorruptError(damaged(path, problem))
            return _open_whoosh_index(path, schema), analyzer
        if not create:
            raise IndexNotFoundError(f"no index at {path}")
        if path.is_dir():
            strangers = sorted(set(os.listdir(path)) - HOUSEKEEPING - _unfinished_creation(path))
            if strangers:
                raise SearchlibError(
                    f"{path} is not empty and holds no searchlib index "
                    f"(found {strangers[0]!r}); choose an empty or new directory"
                )
        analyzer = FrenchAnalyzer(stop_words=stop_words)
        new_settings: Dict[str, Any] = {"format": FORMAT_VERSION}
        if stop_words is not None:
            new_settings["stop_words"] = sorted(stop_words)
        if passage_words is not None:
            low, high = passage_words
            if not 1 <= low <= high:
                raise SearchlibError(f"passage sizes must satisfy 1 <= min <= max, not {low}-{high}")
            self.passage_words = (low, high)
            new_settings["passage_words"] = [low, high]
        try:
            path.mkdir(parents=True, exist_ok=True)
            # The marker goes first: a folder with a Whoosh index but no marker
            # is refused as foreign, so a crash here cannot leave one behind.
            marker.write_text(json.dumps(new_settings, ensure_ascii=False) + "\n", encoding="utf-8")
            ix = _whoosh_index.create_in(str(path), build_schema(analyzer))
        except OSError as error:
            raise write_error(path, error) from None
        return ix, analyzer

    @staticmethod
    def _read_marker(marker: Path) -> Dict[str, Any]:
        try:
            settings = json.loads(marker.read_text(encoding="utf-8"))
            version = settings["format"]
        except FileNotFoundError:
            raise SearchlibError(f"{marker.parent} holds a Whoosh index not made by searchlib") from None
        except (ValueError, KeyError, TypeError):
            raise IndexCorruptError(f"index {marker.parent}: {MARKER_FILE} is damaged") from None
        if version != FORMAT_VERSION:
            raise IndexCorruptError(
                f"index {marker.parent} has format {version}, this searchlib reads format "
                f"{FORMAT_VERSION}; rebuild it from its sources: search index --rebuild --index {marker.parent} PATH"
            )
        return dict(settings)

    @staticmethod
    def read_settings(path: Path) -> Dict[str, Any]:
        """The settings recorded in an index folder, or {} if unreadable."""
        try:
            settings = json.loads((path / MARKER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return dict(settings) if isinstance(settings, dict) else {}

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether ``path`` holds an index (perhaps a damaged one): it has a
        table of contents. Reads no file, so damage cannot make it fail."""
        return path.is_dir() and TOC._latest_generation(FileStorage(str(path)), INDEX_NAME) >= 0

    # -- writing ---------------------------------------------------------

    def open_writer(self) -> FastSegmentWriter:
        """A writer (Whoosh's, taking prepared passages too) holding the
        index's lock; the caller commits, or hands it to :meth:`abandon`."""
        self._check_open()
        deadline = time.monotonic() + self.lock_timeout
        try:
            lock = _lock(self.path, WRITE_LOCK)  # Whoosh's own writer lock
            with _queue(self.path, deadline):
                if not _acquire(lock, deadline):
                    raise LockError("write")
        except LockError:
            raise IndexLockedError(
                f"index {self.path} is locked: another process is writing to it "
                f"(waited {self.lock_timeout:g} s); try again when it has finished"
            ) from None
        except OSError as error:  # a read-only folder, say
            raise write_error(self.path, error) from None
        # The lock is taken here rather than by Whoosh so that a writer that
        # fails to start (a full disk) can still be cleared up after.
        try:
            from ._segment import FastSegmentWriter  # only writers need it

            writer = FastSegmentWriter(self._writing_index(), _lk=False)
        except BaseException as error:
            self._discard_leftovers()
            lock.release()
            if isinstance(error, OSError):
                raise write_error(self.path, error) from None
            raise
        writer.writelock = lock  # released by the writer's commit or cancel
        return writer

    def writer_waiting(self) -> bool:
        """Whether another writer is waiting for this index's write lock
        (a long run commits early to let it in)."""
        lock = _lock(self.path, QUEUE_LOCK)
        if lock.acquire(blocking=False):
            lock.release()
            return False
        return True

    def _writing_index(self) -> FileIndex:
        """The index as writers open it: without memory-mapped files.

        Searchers map segment files into memory, which is fast and cheap
        for the pages a query touches; a writer merging segments reads them
        whole, and mapped, every page would count against the process's
        resident memory until the end of the run.
        """
        if self._unmapped is None:
            storage = FileStorage(str(self.path), supports_mmap=False)
            self._unmapped = storage.open_index(schema=self._index.schema)
        return self._unmapped

    @staticmethod
    @contextmanager
    def write_lock(path: Path, timeout: float) -> Iterator[None]:
        """Hold the write lock of the index in ``path`` (if there is one)
        without opening it: for swapping a rebuilt index in."""
        if not Store.exists(path):
            yield
            return
        # Whoosh's own writer lock, so writers of either kind exclude each other.
        lock = _lock(path, WRITE_LOCK)
        deadline = time.monotonic() + timeout
        try:
            with _queue(path, deadline):
                if not _acquire(lock, deadline):
                    raise LockError("write")
        except LockError:
            raise IndexLockedError(
                f"index {path} is locked: another process is writing to it (waited {timeout:g} s)"
            ) from None
        try:
            yield
        finally:
            try:
                lock.release()
            except OSError:
                pass  # the folder was swapped away and removed

    @contextmanager
    def writer(self) -> Iterator[IndexWriter]:
        """A writer that commits on success and leaves the index untouched on error."""
        writer = self.open_writer()
        try:
            yield writer
            writer.commit()
        except BaseException as error:
            self.abandon(writer)
            if isinstance(error, OSError):
                raise write_error(self.path, error) from None
            raise

    def abandon(self, writer: IndexWriter) -> None:
        """Cancel a writer whose run failed, and remove what it wrote.

        On a full disk, cancelling can fail in turn (closing a file flushes
        it); the half-written segment and the posting pool's spill files are
        deleted all the same, before the lock is let go, since they hold the
        space the next run needs. The last commit is never touched.
        """
        lock, writer.writelock = writer.writelock, None  # kept through the clean-up
        try:
            writer.cancel()
        except Exception:
            pass  # a writer that failed while committing is half closed
        try:
            self._discard_leftovers()
        finally:
            if lock is not None:
                _release(lock)

    def _discard_leftovers(self) -> None:
        """Delete the files no commit refers to (the write lock held)."""
        try:
            storage = FileStorage(str(self.path))
            toc = TOC.read(storage, INDEX_NAME)
            clean_files(storage, INDEX_NAME, toc.generation, toc.segments)
            # Whoosh writes a table of contents under a temporary name and
            # renames it; a commit that failed midway leaves that file,
            # which clean_files does not know.
            for unfinished in self.path.glob(f"_{INDEX_NAME}_*.toc.*"):
                unfinished.unlink()
            shutil.rmtree(self.path / f"{INDEX_NAME}.tmp", ignore_errors=True)
        except Exception:
            pass  # best effort: what is left is harmless, and removed by the next commit

    def stored_hash(self, searcher: Searcher, doc_id: str) -> Optional[str]:
        """The content hash of an indexed document, or None if absent."""
        number = searcher.document_number(doc_id=doc_id)
        if number is None:
            return None
        digest: Optional[str] = searcher.stored_fields(number).get("doc_hash")
        return digest

    # -- reading ---------------------------------------------------------

    @staticmethod
    def passages_of(searcher: Searcher, doc_id: str) -> List[Dict[str, Any]]:
        """The stored fields of a document's passages, in order (empty if absent)."""
        rows = [searcher.stored_fields(number) for number in searcher.document_numbers(doc_id=doc_id)]
        return sorted(rows, key=lambda row: int(row["passage"]))

    def searcher(self, for_writing: bool = False) -> Searcher:
        """This thread's searcher, brought up to date with the last commit.

        Whoosh searchers read files through shared handles, so each thread
        keeps its own rather than sharing one. ``for_writing`` gives the one
        indexing uses to look documents up, which reads files instead of
        mapping them (see :meth:`_writing_index`).
        """
        self._check_open()
        index = self._writing_index() if for_writing else self._index
        slot = "writing" if for_writing else "reading"
        generation = index.latest_generation()
        current: Optional[Searcher] = getattr(self._local, slot, None)
        if current is not None and getattr(self._local, slot + "_generation") == generation:
            return current
        fresh = current.refresh() if current is not None else index.searcher(weighting=BM25F())
        if fresh is not current:
            with self._searchers_lock:
                if current is not None:
                    self._searchers.remove(current)
                self._searchers.append(fresh)
        setattr(self._local, slot, fresh)
        setattr(self._local, slot + "_generation", generation)
        return fresh

    @staticmethod
    def alternatives(searcher: Searcher, term: Optional[str], key: str) -> Set[str]:
        """The indexed terms a query word stands for: its own term (None for
        a stop word), plus the terms of every indexed spelling that differs
        from it only by accents (found through the word's key)."""
        reader = searcher.reader()
        found = {term} if term is not None else set()
        if key != term and any((field, key) in reader for field in ("text", "title")):
            found.add(key)
        prefix = (key + VARIANT_SEPARATOR).encode("utf-8")
        for variant in reader.expand_prefix("variants", prefix):  # raw bytes in Whoosh 2.7
            found.add(variant[len(prefix) :].decode("utf-8"))
        return found

    @staticmethod
    def documents_from(searcher: Searcher, roots: Sequence[str]) -> Dict[str, str]:
        """Indexed documents read from files at or under ``roots`` (absolute
        paths), as ``{doc_id: origin}``."""
        reader = searcher.reader()
        found: Dict[str, str] = {}
        for raw in reader.lexicon("origin"):
            origin = _text(raw)
            if not any(origin == root or origin.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
                continue
            for number in searcher.document_numbers(origin=origin):
                found[searcher.stored_fields(number)["doc_id"]] = origin
        return found

    @staticmethod
    def documents_gone(searcher: Searcher, roots: Sequence[str]) -> Set[str]:
        """Ids of the indexed documents read from files at or under ``roots``
        (absolute paths) that are no longer there. Only the vanished files'
        documents are looked up, so a run that lost none reads no stored fields."""
        reader = searcher.reader()
        found: Set[str] = set()
        for raw in reader.lexicon("origin"):
            origin = _text(raw)
            if not any(origin == root or origin.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
                continue
            if os.path.lexists(origin):
                continue
            for number in searcher.document_numbers(origin=origin):
                found.add(searcher.stored_fields(number)["doc_id"])
        return found

    class Vocabulary:
        """A searcher's vocabulary as query expansion asks for it (see
        :class:`searchlib.query.Expander`); every answer is capped."""

        def __init__(self, searcher: Searcher) -> None:
            self._reader = searcher.reader()

        def prefixed(self, prefix: str, limit: int) -> List[str]:
            found: Set[str] = set()
            for fieldname in ("text", "title"):
                for raw in itertools.islice(self._reader.expand_prefix(fieldname, prefix), limit):
                    found.add(_text(raw))
            return sorted(found)[:limit]

        def within(self, term: str, distance: int, limit: int) -> List[str]:
            # The first letter is rarely the mistyped one, and requiring it
            # keeps the walk through the term list short.
            terms = self._reader.terms_within("text", term, distance, prefix=1)
            return sorted(itertools.islice(terms, limit))

        def sounding(self, folded: str, indexed: bool = False) -> List[str]:
            """Terms of the indexed names spelt differently from ``folded``
            (a folded, lower-case word) that are the same name. A spelling
            the index holds (``indexed``) must be a name itself, by the same
            test as the others: a common word shares its skeleton with names
            it has nothing to do with ("crise" and Corse, "villes" and Valls)."""
            key = phonetic.skeleton(folded)
            if key is None:
                return []
            prefix = (key + VARIANT_SEPARATOR).encode("utf-8")
            # One walk of each segment's terms gives every spelling's count
            # of passages, rather than a lookup in every segment for each.
            capitalised: Dict[bytes, int] = {}
            for leaf, _ in self._reader.leaf_readers():
                for raw, info in itertools.islice(leaf.iter_prefix("sounds", prefix), 256):
                    capitalised[raw] = capitalised.get(raw, 0) + info.doc_frequency()
            found: Set[str] = set()
            typed_is_a_name = False
            for raw in sorted(capitalised)[:256]:
                spelling, _, term = raw[len(prefix) :].decode("utf-8").partition(VARIANT_SEPARATOR)
                if spelling != folded and not phonetic.same_name(folded, spelling):
                    continue
                # A name is written with a capital wherever it occurs; a word
                # capitalised only where it starts a sentence ("Mort", "Fin")
                # is a common word, and its term stands for far more passages.
                if capitalised[raw] * _NAME_SHARE >= self._reader.doc_frequency("text", term):
                    if spelling == folded:
                        typed_is_a_name = True
                    else:
                        found.add(term)
            return sorted(found) if typed_is_a_name or not indexed else []

        def frequency(self, term: str) -> int:
            """Passages holding ``term`` in their text or title."""
            return int(self._reader.doc_frequency("text", term) + self._reader.doc_frequency("title", term))

        def sources(self, text: str, limit: int) -> List[str]:
            wanted = text.lower()
            found: List[str] = []
            for raw in self._reader.lexicon("source"):
                source = _text(raw)
                if wanted in source.lower():
                    found.append(source)
                    if len(found) >= limit:
                        break
            return found

    @staticmethod
    def matching_docs(searcher: Searcher, query: wq.Query) -> Set[int]:
        """The passages a filter query keeps, as document numbers.

        Whoosh evaluates a filter by walking a tree of union matchers (a
        year of dates is 365 terms: seconds on a large index); reading each
        term's postings straight into a set takes milliseconds.
        """
        reader = searcher.reader()
        if isinstance(query, type(wq.NullQuery)):  # Whoosh's NullQuery is an instance
            return set()
        if isinstance(query, wq.Term):
            if (query.fieldname, query.text) not in reader:
                return set()
            return set(searcher.postings(query.fieldname, query.text).all_ids())
        if isinstance(query, (wq.TermRange, wq.Prefix)):
            found: Set[int] = set()
            for raw in query._btexts(reader):  # Whoosh's own term expansion
                found.update(searcher.postings(query.fieldname, reader.schema[query.fieldname].from_bytes(raw)).all_ids())
            return found
        if isinstance(query, wq.Or):
            return set().union(*(Store.matching_docs(searcher, q) for q in query.subqueries))
        if isinstance(query, wq.And):
            sets = [Store.matching_docs(searcher, q) for q in query.subqueries]
            return set.intersection(*sets) if sets else set()
        return set(searcher.docs_for_query(query))

    def stats(self) -> StoreStats:
        searcher = self.searcher()
        reader = searcher.reader()
        documents = {fields["doc_id"] for fields in reader.all_stored_fields()}
        terms = sum(1 for _ in reader.lexicon("text"))
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
        for _ in range(10):
            generation = TOC._latest_generation(FileStorage(str(self.path)), INDEX_NAME)
            if generation <= 0:  # generation 0 is the empty index as created
                return None
            try:
                return os.path.getmtime(self.path / f"_{INDEX_NAME}_{generation}.toc")
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
        with self._searchers_lock:
            searchers, self._searchers = self._searchers, []
        for searcher in searchers:
            searcher.close()
        self._index.close()
        if self._unmapped is not None:
            self._unmapped.close()

