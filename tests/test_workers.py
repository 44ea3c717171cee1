"""Indexing with worker processes: the same index, and nothing left behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

import searchlib
from searchlib.indexing import workers as _workers
from searchlib.errors import IndexLockedError

from news_sample import articles, write_jsonl

pytestmark = pytest.mark.skipif(not _workers.available(), reason="workers run on POSIX systems")

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}


def _passages(ix: searchlib.Index) -> List[tuple]:
    with ix._backend._store.reading() as searcher:
        return sorted(
            (fields["doc_id"], fields["passage"], fields["text"], fields["sketch"])
            for fields in searcher.reader().all_stored_fields()
        )


def test_workers_build_the_same_index_as_one_process(tmp_path):
    rows = articles(300)
    with searchlib.Index(tmp_path / "one", workers=0) as one, searchlib.Index(tmp_path / "two", workers=2) as two:
        assert one.add_documents(rows).added == two.add_documents(rows).added == 300
        assert _passages(one) == _passages(two)
        for query in ("gouvernement", "élection présidentielle", '"état d\'urgence"', "Syrie"):
            first, second = one.search(query, limit=20), two.search(query, limit=20)
            assert [(h.doc_id, h.passage, h.snippet) for h in first] == [(h.doc_id, h.passage, h.snippet) for h in second]
            assert first.total == second.total


def test_workers_replace_changed_documents_and_report_documents_without_text(tmp_path):
    rows = articles(120)
    with searchlib.Index(tmp_path / "ix", workers=2) as ix:
        ix.add_documents(rows)
        changed = [dict(row, text=row["text"] + " Paragraphe ajouté sur Tombouctou.") for row in rows[:70]]
        report = ix.add_documents(changed + rows[70:] + [{"id": "vide", "text": "   "}])
        assert (report.added, report.updated, report.unchanged, report.failed) == (0, 70, 50, 1)
        assert "vide" in report.failures[0].message
        assert {hit.doc_id for hit in ix.search("Tombouctou", limit=100, per_doc=1, collapse_duplicates=False)} == {r["id"] for r in rows[:70]}
        assert ix.stats().documents == 120


def _tree(pid: int) -> Dict[int, int]:
    """The processes under ``pid``, each with its parent."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found: Dict[int, int] = {}
    while True:
        more = {child: parent for child, parent in parents.items() if (parent == pid or parent in found) and child not in found}
        if not more:
            return found
        found.update(more)


def _command(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _workers_of(pid: int) -> Set[int]:
    """The worker processes of an indexing process: children of its own
    running this package's worker."""
    return {child for child, parent in _tree(pid).items() if parent == pid and b"workers import serve" in _command(child)}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def test_a_killed_run_leaves_no_worker_and_no_lock(tmp_path):
    source = tmp_path / "news.jsonl"
    write_jsonl(source, articles(600) * 1)
    process = subprocess.Popen(
        [sys.executable, "-m", "searchlib", "index", "--index", str(tmp_path / "ix"), str(source)],
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    workers: Set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        workers = _workers_of(process.pid)
        if len(workers) >= 2 and (tmp_path / "ix" / "MAIN_WRITELOCK").exists():
            break
        time.sleep(0.02)
    if process.poll() is not None:
        pytest.skip("the run finished before its workers could be seen")
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 60  # they go at once; generous for a busy machine
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)
    with searchlib.Index(tmp_path / "ix", lock_timeout=0.5) as ix:
        try:
            ix.add_documents([{"id": "après", "text": "Un texte indexé après le processus tué."}])
        except IndexLockedError:
            pytest.fail("a lock outlived the killed run")
        assert [hit.doc_id for hit in ix.search("processus tué")] == ["après"]


def test_the_command_line_takes_a_number_of_workers(tmp_path):
    from click.testing import CliRunner

    from searchlib.cli import cli

    source = write_jsonl(tmp_path / "news.jsonl", articles(150))
    runner = CliRunner()
    for workers in ("0", "1", "2"):
        done = runner.invoke(cli, ["index", "--quiet", "--workers", workers, "--index", str(tmp_path / workers), str(source)])
        assert done.exit_code == 0, done.output
    with searchlib.Index(tmp_path / "0") as none, searchlib.Index(tmp_path / "1") as one, searchlib.Index(
        tmp_path / "2"
    ) as two:
        assert none.stats().documents == one.stats().documents == two.stats().documents == 150
        assert _passages(none) == _passages(one) == _passages(two)
    refused = runner.invoke(cli, ["index", "--workers", "-1", "--index", str(tmp_path / "x"), str(source)])
    assert refused.exit_code == 2 and "-1" in refused.output and not (tmp_path / "x").exists()


@pytest.mark.parametrize("workers", [-1, 1.5, "2", True])
def test_a_bad_number_of_workers_is_refused(tmp_path, workers):
    with pytest.raises(searchlib.SearchlibError, match="workers"):
        searchlib.Index(tmp_path / "ix", workers=workers)
    assert not (tmp_path / "ix").exists()


class _Watched(_workers.Preparation):
    """A Preparation that keeps itself where a test can look, and notes
    the files each worker holds open while the run writes (holding the
    index's lock)."""

    made: List["_Watched"] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_files: Dict[int, Set[str]] = {}
        self.commands: Dict[int, bytes] = {}
        _Watched.made.append(self)

    def _collect(self) -> _workers.Prepared:
        done = super()._collect()  # prepared: the workers have started
        for pid in self.worker_pids:
            try:
                self.open_files[pid] = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
                self.commands[pid] = _command(pid)
            except OSError:
                pass
        return done


@pytest.fixture
def watched(monkeypatch):
    from searchlib.indexing import run as _indexing

    _Watched.made = []
    monkeypatch.setattr(_indexing, "Preparation", _Watched)
    return _Watched.made


def test_add_documents_prepares_in_worker_processes_never_forked_from_the_caller(tmp_path, watched, monkeypatch):
    """Workers are fresh interpreters, never a fork of the caller (which may
    run threads) nor multiprocessing's, which would run the caller's script
    again: a script needs no ``if __name__ == "__main__":`` guard."""
    asked: List[str] = []
    get_context = multiprocessing.get_context

    def spy(method: Any = None) -> Any:
        asked.append(method)
        return get_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    rows = articles(300)
    with searchlib.Index(tmp_path / "ix", workers=2) as ix:
        assert ix.add_documents(iter(rows)).added == 300
    preparation = watched[-1]
    workers = preparation.prepared_by - {os.getpid()}
    assert workers, "no document was prepared in a worker process"
    assert asked == []  # multiprocessing is not used at all
    assert preparation.commands, "the workers were not seen while the run wrote"
    for command in preparation.commands.values():
        assert command.split(b"\0")[0] == sys.executable.encode() and b"workers import serve" in command
    for files in preparation.open_files.values():
        assert not {name for name in files if name.endswith(("WRITELOCK", "searchlib.queue"))}, files


def test_a_script_without_a_main_guard_indexes_with_workers(tmp_path):
    script = tmp_path / "index_news.py"
    write_jsonl(tmp_path / "news.jsonl", articles(300))
    script.write_text(
        "import searchlib\n"
        f"with searchlib.Index({str(tmp_path / 'ix')!r}, workers=2) as ix:\n"
        f"    print(ix.add_path({str(tmp_path / 'news.jsonl')!r}).added)\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], env=ENV, capture_output=True, text=True, timeout=600)
    assert (done.returncode, done.stdout, done.stderr) == (0, "300\n", "")


def test_a_small_run_starts_no_worker(tmp_path, watched):
    with searchlib.Index(tmp_path / "ix", workers=2) as ix:
        assert ix.add_documents(articles(40)).added == 40
    assert watched[-1].prepared_by == {os.getpid()}


def test_add_documents_from_a_thread_of_a_threaded_host(tmp_path, watched):
    rows = articles(300)
    with searchlib.Index(tmp_path / "one", workers=0) as one:
        one.add_documents(rows)
        expected = _passages(one)
    stop = threading.Event()
    busy = [threading.Thread(target=stop.wait, daemon=True) for _ in range(3)]
    for thread in busy:
        thread.start()
    outcome: Dict[str, Any] = {}

    def index() -> None:
        try:
            with searchlib.Index(tmp_path / "two", workers=2) as two:
                outcome["added"] = two.add_documents(rows).added
                outcome["passages"] = _passages(two)
        except BaseException as error:  # reported below
            outcome["error"] = error

    try:
        assert threading.active_count() >= 4
        writer = threading.Thread(target=index)
        writer.start()
        writer.join(300)
        assert not writer.is_alive(), "indexing from a thread did not finish"
    finally:
        stop.set()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["added"] == 300
    assert outcome["passages"] == expected
    assert watched[-1].prepared_by - {os.getpid()}, "no document was prepared in a worker process"
