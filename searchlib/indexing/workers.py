"""Preparing documents in worker processes while the main one writes.

Cutting documents into passages and analysing them is pure Python and
needs nothing from the index, so on a large run it goes to a pool of
worker processes (one per core by default) while the main process reads
sources, writes postings and commits. Results come back in the order
documents went in. The first documents of a run are prepared here, one at
a time, as they arrive (a slow stream is indexed as it flows); the pool
starts once a run proves large, and from then on documents travel in
chunks, cut where a batch of the run ends so batches commit as before.

Workers are never forked from the calling process, which may be an
application running threads (a forked copy of a threaded process can
inherit a lock some other thread held, and hang on it). They come from
Python's fork server (``forkserver``: a small single-threaded process
started once, with fresh descriptors), or are spawned where there is none.
So they hold none of the parent's descriptors, the index's lock files
among them; they import what they need themselves, receive the index's
settings pickled, ignore Ctrl-C (the parent stops them) and exit when the
parent is gone, even killed, so a killed run leaves no process holding a
lock. On Windows documents are prepared in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Deque, FrozenSet, Iterator, List, Optional, Set, Tuple

from . import prepare as _prepare
from .prepare import ChunkBuilder, Preparer
from .segment import PreparedChunk
from ..errors import SearchlibError
from ..ingest import Document

__all__ = ["Prepared", "Preparation", "default_workers", "available", "start_method"]

#: documents (each with whether it replaces an indexed version), how many
#: passages each made, and those passages
Prepared = Tuple[List[Tuple[Document, bool]], List[int], PreparedChunk]

# A run starts its pool once it has this many documents and characters to
# prepare: a worker takes a few tenths of a second of CPU to start (a fresh
# interpreter importing the analysis), which a smaller run would not win back.
_START_DOCUMENTS = 64
_START_CHARS = 250_000
# Documents travel to workers in chunks of about this many characters, or
# as many as came in this many seconds (a slow stream).
_CHUNK_CHARS = 600_000
_CHUNK_SECONDS = 0.5
# Chunks each worker may run ahead of the writer (a few megabytes each): enough
# to keep workers busy while the writer commits a batch.
_AHEAD_PER_WORKER = 4
_MAX_WORKERS = 4
_WORKER_DIED = (
    "a worker process preparing documents died (out of memory? or, in a script, indexing code run at import, "
    "outside 'if __name__ == \"__main__\":'); nothing of the unfinished batch was written"
)


def default_workers() -> int:
    """One worker per core this process may run on (at most 4), or none on
    a single core or where workers are not :func:`available`."""
    if not available():
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(cores, _MAX_WORKERS) if cores > 1 else 0


def available() -> bool:
    """Whether documents may be prepared in worker processes here (POSIX
    systems: workers watch their parent by its process id)."""
    return os.name == "posix"


def start_method() -> str:
    """How workers are started: from the fork server, else spawned. Never
    ``fork``: the calling process may run threads."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _start_worker(preparer: Preparer, parent: int, lock_names: FrozenSet[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        # PR_SET_PDEATHSIG: killed along with the process that started this
        # one (the fork server, which exits when the parent does), even by SIGKILL.
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    _exit_with(parent)
    # A worker starts with fresh descriptors (see above); should one of a
    # lock file be there all the same, it would keep the lock taken if the
    # parent died first.
    if os.path.isdir("/proc/self/fd"):
        for name in os.listdir("/proc/self/fd"):
            try:
                if os.path.basename(os.readlink(f"/proc/self/fd/{name}")) in lock_names:
                    os.close(int(name))
            except OSError:
                pass
    _prepare.start_worker(preparer)


def _exit_with(parent: int) -> None:
    """Exit this process as soon as ``parent`` has (a thread waits for it)."""
    handle: Optional[int] = None
    try:
        handle = os.pidfd_open(parent)  # Linux 5.3: readable once the process has ended
    except (AttributeError, OSError) as error:
        if isinstance(error, ProcessLookupError) or not _alive(parent):
            os._exit(1)

    def wait() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while _alive(parent):
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=wait, name="searchlib-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Preparation:
    """Documents in, prepared documents out, in the same order.

    :meth:`submit` a document, then take what is :meth:`ready`;
    :meth:`drain` at the end. ``workers`` is the number of processes
    (None: :func:`default_workers`; 0: prepare here).
    """

    def __init__(
        self,
        preparer: Preparer,
        workers: Optional[int] = None,
        batch: Tuple[int, int] = (0, 0),
        lock_names: FrozenSet[str] = frozenset(),
    ) -> None:
        self._preparer = preparer
        self._workers = default_workers() if workers is None else (workers if available() else 0)
        self._batch_documents, self._batch_chars = batch  # chunks end where batches do (0: no limit)
        self._lock_names = lock_names
        self._waiting: List[Tuple[Document, str, bool]] = []
        self._waiting_chars = 0
        self._oldest = 0.0
        self._submitted = 0
        self._submitted_chars = 0
        self._in_batch = (0, 0)  # documents and characters submitted since the last batch ended
        self._sent: Deque[Tuple[List[Tuple[Document, bool]], "Future[Any]"]] = deque()
        self._pool: Optional[ProcessPoolExecutor] = None
        # documents prepared here: the chunk being gathered, then finished ones
        self._here: Optional[ChunkBuilder] = None
        self._here_documents: List[Tuple[Document, bool]] = []
        self._here_counts: List[int] = []
        self._finished: Deque[Prepared] = deque()
        #: the processes that prepared documents of this run
        self.prepared_by: Set[int] = set()

    def __enter__(self) -> "Preparation":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, document: Document, digest: str, replaces: bool) -> None:
        documents, chars = self._in_batch[0] + 1, self._in_batch[1] + len(document.text)
        batch_ends = bool(
            (self._batch_documents and documents >= self._batch_documents)
            or (self._batch_chars and chars >= self._batch_chars)
        )
        self._in_batch = (0, 0) if batch_ends else (documents, chars)
        self._submitted += 1
        self._submitted_chars += len(document.text)
        if (
            self._pool is None
            and self._workers >= 1
            and self._submitted >= _START_DOCUMENTS
            and self._submitted_chars >= _START_CHARS
        ):
            self._finish_here()
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context(start_method()),
                initializer=_start_worker,
                initargs=(self._preparer, os.getpid(), self._lock_names),
            )
        if not self._waiting and self._here is None:
            self._oldest = time.monotonic()
        self._waiting_chars += len(document.text)
        cut = batch_ends or self._waiting_chars >= _CHUNK_CHARS or time.monotonic() - self._oldest > _CHUNK_SECONDS
        if self._pool is None:
            if self._here is None:
                self._here = ChunkBuilder()
            self._here_counts.append(self._preparer.add_document(self._here, document, digest))
            self._here_documents.append((document, replaces))
            if cut:
                self._finish_here()
            return
        self._waiting.append((document, digest, replaces))
        if cut:
            self._send()

    def ready(self) -> Iterator[Prepared]:
        """What is prepared so far (waiting only to keep the backlog bounded)."""
        while self._finished:
            yield self._finished.popleft()
        while self._sent and (self._sent[0][1].done() or len(self._sent) > _AHEAD_PER_WORKER * self._workers):
            yield self._collect()

    def drain(self) -> Iterator[Prepared]:
        """Everything submitted, prepared."""
        self._finish_here()
        while self._finished:
            yield self._finished.popleft()
        if self._waiting:
            self._send()
        while self._sent:
            yield self._collect()

    def _finish_here(self) -> None:
        if self._here is not None:
            self.prepared_by.add(os.getpid())
            self._finished.append((self._here_documents, self._here_counts, self._here.finish()))
            self._here, self._here_documents, self._here_counts = None, [], []
            self._waiting_chars = 0

    def _send(self) -> None:
        assert self._pool is not None
        waiting, self._waiting, self._waiting_chars = self._waiting, [], 0
        work = [(document, digest) for document, digest, _ in waiting]
        try:
            future = self._pool.submit(_prepare.prepare_in_worker, work)
        except BrokenProcessPool:
            raise SearchlibError(_WORKER_DIED) from None
        self._sent.append(([(document, replaces) for document, _, replaces in waiting], future))

    def _collect(self) -> Prepared:
        documents, future = self._sent.popleft()
        try:
            worker, counts, chunk = future.result()
        except BrokenProcessPool:
            raise SearchlibError(_WORKER_DIED) from None
        self.prepared_by.add(worker)
        return documents, counts, chunk
