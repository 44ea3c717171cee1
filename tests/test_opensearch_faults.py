"""A node of a real OpenSearch cluster killed while searchlib writes to it (slow).

The test starts its own 2-node cluster with ``scripts/opensearch-cluster``
(HTTP on 9270-9271, transport on 9370-9371), so that killing a node
disturbs no one, and stops it at the end. The index has two shards and a
replica of each: the cluster puts one primary on each node, so the kill
takes one away (checked). While a bulk run of a few thousand articles (the news corpus
when ``../shared`` is there, else generated French text) is under way, the
node that is not the elected cluster manager is killed with SIGKILL
(killing the manager stops writes until it comes back). The run must
complete, every article it reported added must be there, searches must
keep answering while the node is down, and the script's ``start`` must
bring the node back and the cluster to green.

It needs Java and the OpenSearch the script fetches; it is skipped, as
the other cluster tests are, when no test cluster answers
(``$SEARCHLIB_TEST_OPENSEARCH``).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import uuid
from typing import Any, Dict, Iterator, List, Optional

import pytest
from conftest import PROJECT, SEEDS, cluster_request, drop_indexes
from news_sample import articles

import searchlib

pytestmark = [pytest.mark.opensearch, pytest.mark.slow]

SCRIPT = PROJECT / "scripts" / "opensearch-cluster"
PORT = 9270
URL = f"http://127.0.0.1:{PORT}"
ARTICLES = 3000
#: articles sent before the kill (after the first batches are in)
KILL_AFTER = 1000
#: articles the run holds back until the node is dead, so that writing goes on without it
HELD_FROM = 1500
#: searches of the seeds, indexed before the run, that must answer while a node is down
SEARCHES = ("Lavrov Kerry", "cessez-le-feu en Syrie", '"ministre russe des Affaires étrangères"')
#: seconds to wait for an event the run or the cluster should bring: a bound on hanging, not a timing
PATIENCE = 600.0


def _script(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), command, "--port", str(PORT)], capture_output=True, text=True, timeout=PATIENCE
    )


def _health(index: str, wait_for: str) -> Dict[str, Any]:
    answer = cluster_request(f"{URL}/_cluster/health/{index}?wait_for_status={wait_for}&timeout=120s", timeout=130.0)
    assert isinstance(answer, dict)
    return answer


@pytest.fixture
def own_cluster(cluster_url: str) -> Iterator[str]:
    """A 2-node cluster of this test's own, stopped afterwards (its data stays in the script's cache)."""
    started = _script("start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield URL
    finally:
        stopped = _script("stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def _nodes() -> List[Dict[str, str]]:
    answer = cluster_request(f"{URL}/_cat/nodes?h=name,cluster_manager,pid,http_address&format=json")
    assert isinstance(answer, list)
    return answer


def test_a_node_killed_during_a_bulk_run_loses_nothing(own_cluster):
    name = f"faults-{uuid.uuid4().hex}"
    location = f"opensearch://127.0.0.1:{PORT},127.0.0.1:{PORT + 1}/{name}?shards=2&replicas=1"
    records = articles(ARTICLES)
    sent_enough, killed = threading.Event(), threading.Event()
    outcome: Dict[str, Any] = {}

    def feed() -> Iterator[Dict[str, str]]:
        for number, record in enumerate(records):
            if number == KILL_AFTER:
                sent_enough.set()
            if number == HELD_FROM:
                killed.wait(PATIENCE)
            yield record

    def run(ix: searchlib.Index) -> None:
        try:
            outcome["report"] = ix.add_documents(feed())
        except searchlib.SearchlibError as error:
            outcome["error"] = error
        finally:
            sent_enough.set()

    try:
        with searchlib.Index(location) as writer, searchlib.Index(location, create=False) as reader:
            # What searches must still find with a node down (a run's own articles show at its end).
            assert writer.add_path(SEEDS).added == len(list(SEEDS.iterdir()))
            found = {query: reader.search(query).total for query in SEARCHES}
            assert all(found.values()), found
            # A replica still copying from its primary cannot take over from it.
            assert _health(name, "green")["status"] == "green"
            running = threading.Thread(target=run, args=(writer,), daemon=True)
            running.start()
            assert sent_enough.wait(PATIENCE)
            assert "error" not in outcome, outcome.get("error")
            assert _health(name, "green")["status"] == "green"
            manager = [node for node in _nodes() if node["cluster_manager"] == "*"]
            victims = [node for node in _nodes() if node["cluster_manager"] != "*"]
            assert len(manager) == 1 and len(victims) == 1
            shards = cluster_request(f"{URL}/_cat/shards/{name}?h=prirep,node&format=json")
            assert isinstance(shards, list)
            # The kill takes a primary away: a replica must take over from it.
            assert victims[0]["name"] in {shard["node"] for shard in shards if shard["prirep"] == "p"}
            os.kill(int(victims[0]["pid"]), signal.SIGKILL)
            killed.set()

            # Searches answer while the node is down and the run writes on without it.
            for query, total in found.items():
                assert reader.search(query).total >= total, query
            running.join(PATIENCE)
            assert not running.is_alive()
            error: Optional[searchlib.SearchlibError] = outcome.get("error")
            assert error is None, f"the run failed: {error}"
            report = outcome["report"]
            assert (report.added, report.failed) == (ARTICLES, 0)
            assert len(_nodes()) == 1

            # Everything the run reported added is there, with all its passages, node still down.
            documents = ARTICLES + len(list(SEEDS.iterdir()))
            assert reader.stats().documents == documents
            checked = searchlib.Index.check(location)
            assert checked.documents == documents and checked.problems == ()
            spots = [records[n] for n in (0, KILL_AFTER - 1, KILL_AFTER, HELD_FROM - 1, HELD_FROM, ARTICLES - 1)]
            spots += random.Random(3).sample(records, 20)
            for record in spots:
                document, passages = reader.document(record["id"]), reader.passages(record["id"])
                assert document is not None and passages, record["id"]
                assert document.title == record["title"].strip()
                assert all(passage.text in record["text"] for passage in passages)
                assert reader.search(f"doc:{record['id']}").total == len(passages)

            # The script's start brings the killed node back, and the cluster to green.
            restarted = _script("start")
            assert restarted.returncode == 0, restarted.stdout + restarted.stderr
            assert "started 1 of 2" in restarted.stdout
            assert len(_nodes()) == 2 and _health(name, "green")["status"] == "green"
            assert reader.stats().documents == documents
    finally:
        with contextlib.suppress(OSError):  # a cluster that did not start has nothing to drop
            drop_indexes(URL, name)
