"""Peak memory and throughput of `search index` as the corpus grows.

Indexes 10%, 30% and 100% of the news corpus in ../shared/corpora (one
gzip-compressed JSON Lines file), each in a fresh process and a fresh
index, and prints documents, megabytes of text, time, MB/s and peak resident
memory, with each figure's ratio to the smallest run's. Memory bounded by the
batch size, not by the corpus, shows as a memory ratio near 1 while the
corpus ratio is 10.

    python benchmarks/ingest_memory.py [--fractions 0.1,0.3,1] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"


def subset(corpus: Path, fraction: float, folder: Path) -> Tuple[Path, int, int]:
    """The first ``fraction`` of the corpus's lines as a .jsonl.gz file,
    with its number of documents and of bytes of text."""
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        lines = handle.readlines()
    chosen = lines[: max(1, round(len(lines) * fraction))]
    if fraction >= 1:
        target = corpus
    else:
        target = folder / f"subset-{fraction:g}.jsonl.gz"
        with gzip.open(target, "wt", encoding="utf-8") as out:
            out.writelines(chosen)
    text_bytes = sum(len(json.loads(line).get("text", "").encode("utf-8")) for line in chosen)
    return target, len(chosen), text_bytes


def index_once(source: Path, index: Path) -> Tuple[float, int, int]:
    """(seconds, peak resident KiB, exit status) of one `search index` run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(index), str(source)], env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss, process.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fractions", default="0.1,0.3,1")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    options = parser.parse_args()
    if not options.corpus.exists():
        print(f"skipped: no corpus at {options.corpus}")
        return 0
    fractions = [float(part) for part in options.fractions.split(",")]
    rows: List[Tuple[float, int, int, float, int]] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for fraction in fractions:
            source, documents, text_bytes = subset(options.corpus, fraction, folder)
            seconds, peak_kib, status = index_once(source, folder / f"index-{fraction:g}")
            # Status 1 means some records were reported (the corpus has a
            # record without a body); anything else is a real failure.
            if status not in (0, 1):
                print(f"search index failed (status {status}) on {fraction:.0%} of the corpus")
                return 1
            rows.append((fraction, documents, text_bytes, seconds, peak_kib))
            _print_row(rows[0], rows[-1], header=len(rows) == 1)
    return 0


def _print_row(base: Tuple[float, int, int, float, int], row: Tuple[float, int, int, float, int], header: bool) -> None:
    if header:
        print(f"{'corpus':>7} {'docs':>7} {'MB':>6} {'s':>7} {'MB/s':>6} {'peak MiB':>9} {'x corpus':>9} {'x time':>7} {'x memory':>9}")
    for fraction, documents, text_bytes, seconds, peak_kib in [row]:
        print(
            f"{fraction:>7.0%} {documents:>7} {text_bytes / 1e6:>6.1f} {seconds:>7.1f} "
            f"{text_bytes / 1e6 / seconds:>6.2f} {peak_kib / 1024:>9.0f} "
            f"{text_bytes / base[2]:>9.2f} {seconds / base[3]:>7.2f} {peak_kib / base[4]:>9.2f}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
