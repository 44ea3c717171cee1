from __future__ import annotations

import json
import threading
from typing import List

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from searchlib.errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, SearchlibError
from searchlib.indexing.writer import writer
from searchlib.storage import locks, store as store_module
from searchlib.storage.schema import FIELDS
from searchlib.storage.settings import SETTINGS_FILE as MARKER_FILE
from searchlib.storage.store import Store
from work import in_waves


def _doc_ids(store):
    with store.reading() as searcher:
        return [f[FIELDS.doc_id] for f in searcher.reader().all_stored_fields()]


def test_creates_a_missing_directory(tmp_path):
    path = tmp_path / "a" / "b"
    store = Store(path)
    assert Store.exists(path) and (path / MARKER_FILE).is_file()
    store.close()


def test_create_false_refuses_a_missing_index(tmp_path):
    with pytest.raises(IndexNotFoundError):
        Store(tmp_path / "none", create=False)
    assert not (tmp_path / "none").exists()


def test_an_empty_folder_with_a_readme_becomes_an_index(tmp_path):
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    Store(tmp_path).close()
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "notes"


def test_a_folder_of_other_files_is_not_taken_over(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(SearchlibError, match="not empty"):
        Store(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]


def test_a_file_is_not_an_index(tmp_path):
    path = tmp_path / "file"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(SearchlibError, match="is a file"):
        Store(path)


def test_incompatible_or_damaged_marker(tmp_path):
    Store(tmp_path).close()
    (tmp_path / MARKER_FILE).write_text(json.dumps({"format": 999}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        Store(tmp_path)
    (tmp_path / MARKER_FILE).write_text("{garbage", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        Store(tmp_path)


def test_failed_write_leaves_the_index_as_it_was(tmp_path):
    store = Store(tmp_path)
    with writer(store) as w:
        w.add_document(doc_id="a", text="Premier texte")
    with pytest.raises(RuntimeError):
        with writer(store) as w:
            w.delete_by_term("doc_id", "a")
            w.add_document(doc_id="b", text="Second texte")
            raise RuntimeError("crash in the middle")
    assert _doc_ids(store) == ["a"]
    store.close()


def test_second_writer_times_out_with_a_clear_error(tmp_path):
    first = Store(tmp_path)
    second = Store(tmp_path, lock_timeout=0.2)
    with writer(first):
        with pytest.raises(IndexLockedError, match="another process is writing"):
            with writer(second):
                pass
    with writer(second):  # the lock is free again
        pass
    first.close()
    second.close()


def test_threads_reading_at_once_get_searchers_of_their_own(tmp_path):
    store = Store(tmp_path)
    both_in = threading.Barrier(2, timeout=30)
    seen = {}

    def read(name):
        with store.reading() as searcher:
            seen[name] = searcher
            both_in.wait()  # each holds its searcher while the other takes one

    threads = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] is not seen[1]
    store.close()


def test_a_searcher_given_back_is_lent_again_and_sees_new_commits(tmp_path):
    store = Store(tmp_path)
    with writer(store) as w:
        w.add_document(doc_id="a", text="texte")
    with store.reading() as mine:
        pass
    with store.reading() as again:
        assert again is mine
    with writer(store) as w:
        w.add_document(doc_id="b", text="texte")
    with store.reading() as fresh:
        assert fresh is not mine and fresh.doc_count() == 2
    store.close()
    with pytest.raises(SearchlibError, match="closed"):
        with store.reading():
            pass


def test_many_threads_hold_no_more_searchers_than_the_pool(tmp_path):
    """A host starting a thread per request: 200 threads, 3 searchers."""
    store = Store(tmp_path, readers=3)
    with writer(store) as w:
        w.add_document(doc_id="a", text="texte")
    counts: List[int] = []

    def request():
        with store.reading() as searcher:
            counts.append(searcher.doc_count())

    in_waves(request, waves=10, threads=20)
    assert counts == [1] * 200
    assert 1 <= store.open_searchers <= 3
    store.close()


def test_a_pool_of_no_searchers_is_refused(tmp_path):
    with pytest.raises(SearchlibError, match="readers must be at least 1"):
        Store(tmp_path, readers=0)


def test_stats_counts_documents_not_passages(tmp_path):
    store = Store(tmp_path)
    with writer(store) as w:
        for n in range(3):
            w.add_document(doc_id="a", text=f"passage numéro {n}")
        w.add_document(doc_id="b", text="autre")
    stats = store.stats()
    assert (stats.documents, stats.passages) == (2, 4)
    assert stats.terms >= 4 and stats.size_bytes > 0 and stats.last_update
    store.close()


def test_opens_while_a_commit_replaces_the_table_of_contents(tmp_path, monkeypatch):
    # Whoosh lists the folder for the newest table of contents, then reads
    # it; a commit in between removes the one it listed. Opening then must
    # read the new one, not report the index damaged.
    first = Store(tmp_path)
    with writer(first) as w:
        w.add_document(doc_id="a", text="Premier texte")
    first.close()
    real_open_dir = store_module._whoosh_index.open_dir
    raced: List[int] = []

    def open_dir_racing_a_commit(dirname, indexname=None, readonly=False, schema=None):
        if not raced:
            storage = FileStorage(dirname)
            listed = TOC._latest_generation(storage, locks.INDEX_NAME)
            raced.append(listed)
            other = Store(tmp_path)
            with writer(other) as w:
                w.add_document(doc_id="b", text="Second texte")
            other.close()
            TOC.read(storage, locks.INDEX_NAME, gen=listed, schema=schema)  # removed by the commit
        return real_open_dir(dirname, indexname=indexname, readonly=readonly, schema=schema)

    monkeypatch.setattr(store_module._whoosh_index, "open_dir", open_dir_racing_a_commit)
    store = Store(tmp_path)
    with store.reading() as searcher:
        assert raced and searcher.doc_count() == 2
    store.close()


def test_ctrl_c_in_the_middle_of_letting_the_lock_go(tmp_path, monkeypatch):
    """Whoosh closes the write lock's descriptor before forgetting it: a
    Ctrl-C in between must stay a Ctrl-C, the commit stays made, the lock is
    free, and whatever file has since taken the descriptor's number is left open."""
    import fcntl
    import os

    from whoosh.util.filelock import FcntlLock

    real_release = FcntlLock.release
    other = os.open(tmp_path / "other-file", os.O_CREAT | os.O_RDWR)
    taken: List[int] = []

    def interrupted_release(lock: FcntlLock) -> None:
        if taken or not lock.filename.endswith(locks.WRITE_LOCK):
            return real_release(lock)
        taken.append(lock.fd)
        fcntl.flock(lock.fd, fcntl.LOCK_UN)
        os.close(lock.fd)
        os.dup2(other, lock.fd)  # the number given to another file since
        raise KeyboardInterrupt

    monkeypatch.setattr(FcntlLock, "release", interrupted_release)
    store = Store(tmp_path / "ix", lock_timeout=0.5)
    with pytest.raises(KeyboardInterrupt):
        with writer(store) as w:
            w.add_document(doc_id="a", text="Premier texte")
    assert taken, "the write lock was never let go"
    os.fstat(taken[0])  # still open: not ours to close
    os.close(taken[0])
    os.close(other)
    assert _doc_ids(store) == ["a"]
    with writer(store) as w:  # the lock is free
        w.add_document(doc_id="b", text="Second texte")
    assert store.stats().documents == 2
    store.close()
