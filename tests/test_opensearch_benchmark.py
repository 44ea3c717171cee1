"""The cluster benchmark's own arithmetic, its one-line skip without a
cluster, and (slow, with ../shared and the test cluster, ``$SEARCHLIB_TEST_OPENSEARCH``) a
small run end to end, so the figures in docs/opensearch-sizing.md come
from code that is itself checked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import opensearch as bench  # noqa: E402

CLUSTER = (os.environ.get("SEARCHLIB_TEST_OPENSEARCH") or "http://127.0.0.1:9200").rstrip("/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_overlap_counts_the_local_top_found_in_the_cluster_top():
    local = {"a": ["d1/0", "d2/0", "d3/0", "d4/0"], "b": ["d5/1", "d6/0"], "c": []}
    cluster = {"a": ["d2/0", "d1/0", "d3/0", "d9/0"], "b": ["d5/1", "d6/0"], "c": []}
    mean, least, worst, same = bench._overlap(local, cluster)
    assert (least, worst) == (0.75, "a")
    assert mean == pytest.approx((0.75 + 1 + 1) / 3)
    assert same == 2  # "b" and the empty "c"; "a" holds the same passages in another order


def test_disk_shares_group_lucene_files_by_what_they_hold():
    segments = {"file_sizes": {"fdt": {"size_in_bytes": 600}, "fdx": {"size_in_bytes": 100}, "doc": {"size_in_bytes": 200}, "kdd": {"size_in_bytes": 100}}}
    assert bench._on_disk(segments) == "stored fields 70%, postings 20%, other 10%"


def test_records_are_weighed_by_what_their_fields_hold():
    articles = [
        {"id": "a1", "title": "Le porte-parole du Kremlin", "date": "2017-04-02", "text": "Le porte-parole du Kremlin a répondu aux questions des journalistes sur la Syrie. " * 3},
        {"id": "a2", "title": "Grève à la SNCF", "date": "2018-04-03", "text": "La grève des cheminots de la SNCF se poursuit ce mardi dans toute la France. " * 3},
    ]
    weights = bench._weigh(articles)
    passage, article = weights["passage"], weights["article"]
    for group in ("layered terms", "places", "keyword lists", "text as written"):
        assert passage[group] > 0, group
    assert passage["all"] > sum(size for group, size in passage.items() if group != "all")
    assert article["article terms"] > 0 and "layered terms" not in article


def test_without_a_cluster_it_says_so_in_one_line():
    url = f"http://127.0.0.1:{_free_port()}"
    result = subprocess.run([sys.executable, str(BENCHMARKS / "opensearch.py"), "--url", url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].endswith("nothing measured"), result.stdout


def _cluster_answers() -> bool:
    try:
        urllib.request.urlopen(CLUSTER, timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_a_small_run_measures_both_backends():
    if not bench.speed.CORPUS.exists() or not bench.PIAF.exists():
        pytest.skip("../shared is not there")
    if not _cluster_answers():
        pytest.skip(f"no cluster at {CLUSTER}")
    command = [
        sys.executable, str(BENCHMARKS / "opensearch.py"), "--url", CLUSTER, "--sample", "40", "--rounds", "1", "--queries", "20",
        "--name", "searchlib-test-bench",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "totals equal for 30 of 30" in out
    assert "MRR@10 on PIAF within 0.01 of local" in out and "MRR@10 on headlines within 0.01 of local" in out
    lines = out.splitlines()
    header = next(number for number, line in enumerate(lines) if line.startswith("backend "))
    rows = {line.split()[0]: line.split() for line in lines[header + 1 : header + 3]}
    assert float(rows["cluster"][1]) > 0 and float(rows["local"][1]) > 0  # both built, in seconds
    with urllib.request.urlopen(f"{CLUSTER}/_cat/indices/searchlib-test-bench-*?format=json", timeout=10) as answer:
        assert answer.read().strip() == b"[]"  # its indexes deleted
