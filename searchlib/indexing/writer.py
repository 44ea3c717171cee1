"""Opening a writer on a store, and what indexing looks up in the index.

A writer holds the index's write lock from the moment it opens until its
commit (or :func:`abandon`); a failed run leaves the last commit as it was
and removes what it wrote.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence, Set

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from ..storage import locks
from ..storage.damage import write_error
from ..storage.schema import FIELDS, term_text
from ..storage.store import Store
from .segment import FastSegmentWriter

__all__ = ["open_writer", "writer", "abandon", "stored_hash", "documents_from", "documents_gone"]


def open_writer(store: Store) -> FastSegmentWriter:
    """A writer (Whoosh's, taking prepared passages too) holding the
    index's lock; the caller commits, or hands it to :func:`abandon`."""
    try:
        lock = locks.take_write_lock(store.path, store.lock_timeout)
    except OSError as error:  # a read-only folder, say
        raise write_error(store.path, error) from None
    # The lock is taken here rather than by Whoosh so that a writer that
    # fails to start (a full disk) can still be cleared up after.
    try:
        writer = FastSegmentWriter(store.writing_index(), _lk=False)
    except BaseException as error:
        _discard_leftovers(store)
        lock.release()
        if isinstance(error, OSError):
            raise write_error(store.path, error) from None
        raise
    writer.writelock = lock  # released by the writer's commit or cancel
    # Every commit may merge segments, a deletion's too: each writer carries vectors.
    writer.vector_dimensions = store.vector_dimensions
    return writer


@contextmanager
def writer(store: Store) -> Iterator[IndexWriter]:
    """A writer that commits on success and leaves the index untouched on error."""
    opened = open_writer(store)
    try:
        yield opened
        opened.commit()
    except BaseException as error:
        abandon(store, opened)
        if isinstance(error, OSError):
            raise write_error(store.path, error) from None
        raise


def abandon(store: Store, writer: IndexWriter) -> None:
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
        _discard_leftovers(store)
    finally:
        if lock is not None:
            locks.release(lock)


def _discard_leftovers(store: Store) -> None:
    """Delete the files no commit refers to (the write lock held)."""
    try:
        storage = FileStorage(str(store.path))
        toc = TOC.read(storage, locks.INDEX_NAME)
        clean_files(storage, locks.INDEX_NAME, toc.generation, toc.segments)
        # Whoosh writes a table of contents under a temporary name and
        # renames it; a commit that failed midway leaves that file,
        # which clean_files does not know.
        for unfinished in store.path.glob(f"_{locks.INDEX_NAME}_*.toc.*"):
            unfinished.unlink()
        shutil.rmtree(store.path / f"{locks.INDEX_NAME}.tmp", ignore_errors=True)
    except Exception:
        pass  # best effort: what is left is harmless, and removed by the next commit


def stored_hash(searcher: Searcher, doc_id: str) -> Optional[str]:
    """The content hash of an indexed document, or None if absent."""
    number = searcher.document_number(**{FIELDS.doc_id: doc_id})
    if number is None:
        return None
    digest: Optional[str] = searcher.stored_fields(number).get(FIELDS.doc_hash)
    return digest


def _under(origin: str, roots: Sequence[str]) -> bool:
    return any(origin == root or origin.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def documents_from(searcher: Searcher, roots: Sequence[str]) -> Dict[str, str]:
    """Indexed documents read from files at or under ``roots`` (absolute
    paths), as ``{doc_id: origin}``."""
    found: Dict[str, str] = {}
    for raw in searcher.reader().lexicon(FIELDS.origin):
        origin = term_text(raw)
        if _under(origin, roots):
            for number in searcher.document_numbers(**{FIELDS.origin: origin}):
                found[searcher.stored_fields(number)[FIELDS.doc_id]] = origin
    return found


def documents_gone(searcher: Searcher, roots: Sequence[str]) -> Set[str]:
    """Ids of the indexed documents read from files at or under ``roots``
    (absolute paths) that are no longer there. Only the vanished files'
    documents are looked up, so a run that lost none reads no stored fields."""
    found: Set[str] = set()
    for raw in searcher.reader().lexicon(FIELDS.origin):
        origin = term_text(raw)
        if _under(origin, roots) and not os.path.lexists(origin):
            for number in searcher.document_numbers(**{FIELDS.origin: origin}):
                found.add(searcher.stored_fields(number)[FIELDS.doc_id])
    return found
