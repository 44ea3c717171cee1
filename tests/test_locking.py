"""Writers exclude each other: a second writer waits its turn up to a
timeout, then fails with one clear line; a killed writer's lock never
outlives it; a long run lets a waiting writer in between documents."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest
from whoosh.util.filelock import FcntlLock

import searchlib

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# A process that starts writing, says so, then holds the lock for a minute.
_HOLDER = """
import sys, time, searchlib
def slow():
    yield {"id": "pendant", "text": "Texte écrit par le premier processus."}
    print("writing", flush=True)
    time.sleep(60)
with searchlib.Index(sys.argv[1]) as ix:
    ix.add_documents(slow())
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen]:
    path = tmp_path / "ix"
    with searchlib.Index(path) as ix:
        ix.add_documents([{"id": "avant", "text": "Texte indexé avant les deux processus."}])
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "writing\n"
    yield process
    process.kill()
    process.wait()


def test_a_second_writer_gives_up_with_one_clear_line(tmp_path, holder):
    (tmp_path / "new.txt").write_text("Un texte de plus.", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "searchlib", "index", "--index", "ix", "--lock-timeout", "1", "new.txt"],
        cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "search: index ix is locked: another process is writing to it (waited 1 s); "
        "try again when it has finished\n"
    )
    holder.kill()
    holder.wait()
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert [hit.doc_id for hit in ix.search("texte")] == ["avant"]


def test_a_second_writer_tries_again_before_giving_up(tmp_path, holder, monkeypatch):
    """It waits its turn rather than give up at the first refusal: counted
    as refused attempts on the system's lock, not timed."""
    refused = []
    acquire = FcntlLock.acquire

    def counting(self, blocking=False):  # type: ignore[no-untyped-def]
        taken = acquire(self, blocking)
        if not taken:
            refused.append(self.filename)
        return taken

    monkeypatch.setattr(FcntlLock, "acquire", counting)
    with searchlib.Index(tmp_path / "ix", lock_timeout=2) as ix:
        with pytest.raises(searchlib.IndexLockedError):
            ix.add_documents([{"id": "après", "text": "Un texte de plus."}])
    assert len(refused) >= 2 and all(name.endswith("MAIN_WRITELOCK") for name in refused), refused


def test_a_killed_writer_leaves_no_lock_behind(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with searchlib.Index(tmp_path / "ix", lock_timeout=0.5) as ix:
        # A lock left behind would raise IndexLockedError after 0.5 s.
        ix.add_documents([{"id": "après", "text": "Texte indexé après la mort du premier processus."}])
        assert sorted(hit.doc_id for hit in ix.search("texte")) == ["après", "avant"]


def test_a_waiting_writer_gets_in_during_a_long_run(tmp_path):
    path = tmp_path / "ix"
    searchlib.Index(path).close()
    stop = threading.Event()
    written: List[str] = []

    def endless() -> Iterator[dict]:
        number = 0
        while not stop.is_set():
            number += 1
            yield {"id": f"long-{number}", "text": f"Dépêche numéro {number} d'une longue série."}
            time.sleep(0.01)

    def long_run() -> None:
        with searchlib.Index(path) as ix:
            ix.add_documents(endless())

    runner = threading.Thread(target=long_run)
    runner.start()
    try:
        time.sleep(1.0)
        # The long run never ends by itself: the write below can only get
        # in while it goes on, between two of its batches (the timeout is
        # generous, for a busy machine).
        with searchlib.Index(path, lock_timeout=120) as ix:
            ix.add_documents([{"id": "urgent", "text": "Une correction urgente."}])
            written = [hit.doc_id for hit in ix.search("correction")]
    finally:
        stop.set()
        runner.join(timeout=60)
    assert written == ["urgent"]
    with searchlib.Index(path, create=False) as ix:
        assert ix.stats().documents > 2  # the long run went on after it
