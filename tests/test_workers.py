"""Indexing with worker processes: the same index, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Set

import pytest

import searchlib
from searchlib.indexing import workers as _workers
from searchlib.errors import IndexLockedError

from news_sample import articles, write_jsonl

pytestmark = pytest.mark.skipif(not _workers.can_fork(), reason="workers are forked processes (Linux)")

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


def _children(pid: int) -> Set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    if int(handle.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.add(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


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
        workers = _children(process.pid)
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
