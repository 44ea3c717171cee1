"""Searching while another process writes: for 30 s, one process indexes
(new and changed articles, batch after batch) while 8 threads and 2 other
processes search; every hit's document can be fetched, counts never go
back, writers that come in between wait their turn, and checks made
meanwhile find nothing wrong (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import searchlib
from news_sample import articles, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 30.0
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

pytestmark = pytest.mark.slow


def queries_from(records: List[Dict[str, str]]) -> List[str]:
    return [" ".join(record["title"].split()[:3]) for record in records[::12]] + ["Syrie", "gouvernement", "\"le président\""]


def search_loop(path: str, queries: List[str], seconds: float) -> Tuple[int, List[str]]:
    """Search ``queries`` round and round for ``seconds``; the problems seen."""
    problems: List[str] = []
    searches = 0
    deadline = time.monotonic() + seconds
    with searchlib.Index(path, create=False) as ix:
        last_count = 0
        while time.monotonic() < deadline:
            query = queries[searches % len(queries)]
            searches += 1
            try:
                results = ix.search(query, limit=10)
                for hit in results:
                    document = ix.document(hit.doc_id)
                    if document is None:
                        problems.append(f"{query!r}: hit {hit.doc_id} cannot be fetched")
                    elif hit.passage < 0 or not hit.text:
                        problems.append(f"{query!r}: hit {hit.doc_id} has no passage text")
                if searches % 20 == 0:
                    count = ix.stats().documents
                    if count < last_count:
                        problems.append(f"document count went back from {last_count} to {count}")
                    last_count = count
            except Exception as error:  # every failure is a finding here
                problems.append(f"{query!r}: {type(error).__name__}: {error}\n{traceback.format_exc()}")
    return searches, problems


_SEARCHER_PROCESS = """
import json, sys
sys.path.insert(0, {tests!r})
from test_concurrency import search_loop
print(json.dumps(search_loop({path!r}, {queries!r}, {seconds!r})))
"""


def test_readers_see_a_consistent_index_while_a_process_writes(tmp_path):
    records = articles(600)
    first = write_jsonl(tmp_path / "first.jsonl", records)
    second = write_jsonl(tmp_path / "second.jsonl", records, suffix="\n\nMise à jour : la rédaction a complété cet article.")
    path = tmp_path / "ix"
    with searchlib.Index(path) as ix:
        ix.add_documents(records[:200])
    queries = queries_from(records)

    stop = threading.Event()
    runs: List[Tuple[int, str]] = []

    def keep_indexing() -> None:
        turn = 0
        while not stop.is_set():
            source = (first, second)[turn % 2]
            turn += 1
            done = subprocess.run(
                [sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(path), str(source)],
                env=ENV, capture_output=True, text=True, timeout=600,
            )
            runs.append((done.returncode, done.stderr))

    checks: List[Tuple[str, ...]] = []

    def keep_checking() -> None:
        # A check reading the index while commits come and go never
        # mistakes them for damage.
        while not stop.is_set():
            checks.append(searchlib.Index.check(path).problems)

    writer = threading.Thread(target=keep_indexing)
    writer.start()
    checker = threading.Thread(target=keep_checking)
    checker.start()
    script = _SEARCHER_PROCESS.format(tests=str(Path(__file__).parent), path=str(path), queries=queries, seconds=SECONDS)
    processes = [
        subprocess.Popen([sys.executable, "-c", script], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outcomes: List[Tuple[int, List[str]]] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(search_loop(str(path), queries, SECONDS))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()

    # Meanwhile, a writer in this process now and then adds one article of
    # its own: it waits for the indexing process's lock, then gets its turn.
    extras: List[str] = []
    waits: List[float] = []
    began = time.monotonic()
    while time.monotonic() - began < SECONDS - 5:
        time.sleep(3)
        extra = f"extra-{len(extras)}"
        asked = time.monotonic()
        with searchlib.Index(path, lock_timeout=60) as ix:
            ix.add_documents([{"id": extra, "text": f"Note ajoutée pendant l'indexation : Tombouctou numéro {len(extras)}."}])
        waits.append(time.monotonic() - asked)
        extras.append(extra)

    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    for process in processes:
        stdout, stderr = process.communicate(timeout=SECONDS + 120)
        assert process.returncode == 0, stderr
        outcomes.append(tuple(json.loads(stdout)))  # type: ignore[arg-type]
    stop.set()
    writer.join(timeout=600)
    checker.join(timeout=600)

    print(
        f"\n{sum(n for n, _ in outcomes)} searches by 8 threads and 2 processes in {SECONDS:.0f} s "
        f"({min(n for n, _ in outcomes)} to {max(n for n, _ in outcomes)} each), {len(runs)} indexing runs, "
        f"{len(extras)} writes that waited their turn ({max(waits, default=0):.1f} s at most), {len(checks)} checks"
    )
    assert len(outcomes) == 10
    problems = [problem for _, found in outcomes for problem in found]
    assert problems == []
    assert all(searches > 10 for searches, _ in outcomes), [searches for searches, _ in outcomes]
    assert runs and all(code == 0 for code, _ in runs), runs
    assert len(extras) >= 3, waits
    assert len(checks) >= 2 and all(problems == () for problems in checks), checks
    with searchlib.Index(path, create=False) as ix:
        assert ix.stats().documents == len(records) + len(extras)
        found = {hit.doc_id for hit in ix.search("Tombouctou", limit=50, collapse_duplicates=False)}
        assert found == set(extras)

