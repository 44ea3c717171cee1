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
inherit a lock some other thread held, and hang on it), and they never run
the caller's script again (as ``multiprocessing``'s spawn and fork server
do with ``__main__``, which makes every script guard its entry point).
Each is a fresh interpreter started with :mod:`subprocess` that imports
this module and nothing of the caller's: it holds none of the parent's
descriptors (the index's lock files among them), receives the index's
settings and then chunks of documents pickled on its standard input, and
sends prepared chunks back on its standard output. It ignores Ctrl-C (the
parent stops it) and exits when its input closes or its parent dies, even
killed, so a killed run leaves no process holding a lock. On Windows
documents are prepared in the calling process.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any, Deque, Iterator, List, Optional, Set, Tuple

from .prepare import ChunkBuilder, Preparer
from .segment import PreparedChunk
from ..errors import SearchlibError
from ..ingest import Document

__all__ = ["Prepared", "Preparation", "default_workers", "available", "serve"]

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
# With an embedder a chunk is seconds of model time a passage: smaller
# chunks keep every worker busy and progress flowing.
_EMBED_CHUNK_CHARS = 24_000
_CHUNK_SECONDS = 0.5
# Chunks each worker may run ahead of the writer (a few megabytes each): enough
# to keep workers busy while the writer commits a batch.
_AHEAD_PER_WORKER = 4
_MAX_WORKERS = 4
_WORKER_DIED = (
    "a worker process preparing documents died (out of memory?); nothing of the unfinished batch was written"
)
# What a worker runs: the parent's import path first, then this module's serve().
_BOOTSTRAP = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from searchlib.indexing.workers import serve; serve()"
)
_PROTOCOL = pickle.HIGHEST_PROTOCOL


def default_workers() -> int:
    """One worker per core this process may run on (at most 4), or none on
    a single core or where workers are not :func:`available`."""
    if not available():
        return 0
    cores = _cores()
    return min(cores, _MAX_WORKERS) if cores > 1 else 0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available() -> bool:
    """Whether documents may be prepared in worker processes here (POSIX
    systems: workers watch their parent by its process id)."""
    return os.name == "posix"


def serve() -> None:
    """A worker's life: the preparer, then chunks of documents until the
    input closes, each answered with ``(pid, counts, chunk)`` or a failure."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        # PR_SET_PDEATHSIG: killed along with the process that started this one, even by SIGKILL.
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    source, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may land in the answers
    try:
        preparer: Optional[Preparer] = pickle.load(source)
        broken = ""
    except Exception as error:  # an embedder this process cannot load: each chunk is answered with why
        preparer, broken = None, f"{type(error).__name__}: {error}"
    # What this process keeps is the preparer's caches, which only grow and
    # hold no reference cycles; at the default thresholds the collector
    # would walk them again and again (a seventh of the CPU time) for nothing.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    while True:
        try:
            work = pickle.load(source)
        except EOFError:
            return
        try:
            if preparer is None:
                raise RuntimeError(f"the worker could not load what prepares documents ({broken})")
            answer: Tuple[Any, ...] = ("prepared", os.getpid(), *preparer.prepare(work))
        except Exception as error:  # sent back: the parent reports it in one line
            answer = ("failed", f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers, _PROTOCOL)
        answers.flush()


class _Worker:
    """One worker process, with a thread that feeds it and one that reads
    its answers, so that neither side ever waits on a full pipe."""

    def __init__(self, preparer: Preparer, threads: Optional[int] = None) -> None:
        environment = None
        if threads is not None:
            # A model's own threads (OpenMP, BLAS), shared out so workers do not fight over cores.
            environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOTSTRAP],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
            env=environment,
        )
        self.pid = self._process.pid
        self.pending = 0  # chunks sent, not yet answered
        self._outbox: "queue.Queue[Any]" = queue.Queue()
        self._answers: "queue.Queue[Optional[Tuple[Any, ...]]]" = queue.Queue()
        for target in (self._feed, self._read):
            threading.Thread(target=target, name="searchlib-worker-io", daemon=True).start()
        self._outbox.put(list(sys.path))
        self._outbox.put(preparer)

    def send(self, work: List[Tuple[Document, str]]) -> None:
        self.pending += 1
        self._outbox.put(work)

    def answered(self) -> bool:
        return not self._answers.empty()

    def answer(self) -> Tuple[int, List[int], PreparedChunk]:
        got = self._answers.get()
        self.pending -= 1
        if got is None:
            raise SearchlibError(_WORKER_DIED)
        if got[0] == "failed":
            raise SearchlibError(f"a worker process failed to prepare documents: {got[1]}")
        return got[1], got[2], got[3]

    def _feed(self) -> None:
        stream = self._process.stdin
        assert stream is not None
        try:
            while True:
                message = self._outbox.get()
                if message is None:
                    break
                pickle.dump(message, stream, _PROTOCOL)
                stream.flush()
        except (OSError, ValueError):
            pass  # the worker died: its reader tells
        finally:
            try:
                stream.close()
            except OSError:
                pass

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        while True:
            try:
                self._answers.put(pickle.load(stream))
            except Exception:  # the end of its output: it exited or died
                self._answers.put(None)
                return

    def stop(self, now: bool) -> None:
        """Let the worker finish (its input closed) or, ``now``, kill it."""
        self._outbox.put(None)
        if now:
            self._process.kill()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


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
    ) -> None:
        self._preparer = preparer
        self._workers = default_workers() if workers is None else (workers if available() else 0)
        self._batch_documents, self._batch_chars = batch  # chunks end where batches do (0: no limit)
        self._waiting: List[Tuple[Document, str, bool]] = []
        self._waiting_chars = 0
        self._oldest = 0.0
        self._submitted = 0
        self._submitted_chars = 0
        self._in_batch = (0, 0)  # documents and characters submitted since the last batch ended
        self._sent: Deque[Tuple[List[Tuple[Document, bool]], _Worker]] = deque()
        self._pool: List[_Worker] = []
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
        pool, self._pool = self._pool, []
        for worker in pool:
            worker.stop(now=bool(worker.pending))

    @property
    def worker_pids(self) -> List[int]:
        """The worker processes running now."""
        return [worker.pid for worker in self._pool]

    def submit(self, document: Document, digest: str, replaces: bool) -> None:
        documents, chars = self._in_batch[0] + 1, self._in_batch[1] + len(document.text)
        batch_ends = bool(
            (self._batch_documents and documents >= self._batch_documents)
            or (self._batch_chars and chars >= self._batch_chars)
        )
        self._in_batch = (0, 0) if batch_ends else (documents, chars)
        self._submitted += 1
        self._submitted_chars += len(document.text)
        # With an embedder, a few documents are seconds of work: the pool pays at once.
        start_documents, start_chars = (_START_DOCUMENTS, _START_CHARS) if self._preparer.embedder is None else (4, 0)
        if (
            not self._pool
            and self._workers >= 1
            and self._submitted >= start_documents
            and self._submitted_chars >= start_chars
        ):
            self._finish_here()
            threads = None if self._preparer.embedder is None else max(1, _cores() // self._workers)
            self._pool = [_Worker(self._preparer, threads) for _ in range(self._workers)]
        if not self._waiting and self._here is None:
            self._oldest = time.monotonic()
        self._waiting_chars += len(document.text)
        chunk_chars = _CHUNK_CHARS if self._preparer.embedder is None else _EMBED_CHUNK_CHARS
        cut = batch_ends or self._waiting_chars >= chunk_chars or time.monotonic() - self._oldest > _CHUNK_SECONDS
        if not self._pool:
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
        while self._sent and (self._sent[0][1].answered() or len(self._sent) > _AHEAD_PER_WORKER * self._workers):
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
            self._finished.append((self._here_documents, self._here_counts, self._preparer.finish(self._here)))
            self._here, self._here_documents, self._here_counts = None, [], []
            self._waiting_chars = 0

    def _send(self) -> None:
        waiting, self._waiting, self._waiting_chars = self._waiting, [], 0
        worker = min(self._pool, key=lambda candidate: candidate.pending)
        worker.send([(document, digest) for document, digest, _ in waiting])
        self._sent.append(([(document, replaces) for document, _, replaces in waiting], worker))

    def _collect(self) -> Prepared:
        documents, worker = self._sent.popleft()
        pid, counts, chunk = worker.answer()
        self.prepared_by.add(pid)
        return documents, counts, chunk
