"""The whole news corpus beside the project, indexed by `search index` in a
fresh process: bounded memory, every article in, searchable (slow; skipped
when the corpus is absent)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from searchlib import Index

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.exists(), reason="shared news corpus not available"),
]


def test_whole_corpus_indexes_in_bounded_memory(tmp_path):
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    with_text = [r for r in records if r.get("text", "").strip()]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(tmp_path / "ix"), str(CORPUS)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = process.stderr.read() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    # Records without a body are reported, one line each, and nothing else.
    assert stderr.count("\n") == len(records) - len(with_text)
    assert usage.ru_maxrss < 1024 * 1024, f"peak resident memory {usage.ru_maxrss // 1024} MiB"
    with Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().documents == len(with_text)
        sample = with_text[len(with_text) // 2]
        title_words = " ".join(sample["title"].split()[:8])
        assert sample["id"] in [hit.doc_id for hit in ix.search(title_words, limit=20)]
