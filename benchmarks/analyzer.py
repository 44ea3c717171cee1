"""Analyzer throughput: searchlib's French analyzer against Whoosh's
LanguageAnalyzer("fr"), on the same French news text, in one run.

Usage: python benchmarks/analyzer.py [--articles N] [--repeat R]

Reads ../shared/corpora/orangesum-fr-news.jsonl.gz. Both analyzers run over
the same texts in R interleaved rounds (the best round counts, as machines
are shared and noisy), once as indexing calls them (positions) and once with
character offsets too (as highlighting does); prints tokens per second,
MB per second and the ratio between the two.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

from whoosh.analysis import LanguageAnalyzer

from searchlib.analysis import FrenchAnalyzer

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"


def load_texts(count: int) -> List[str]:
    texts = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line)["text"])
            if len(texts) >= count:
                break
    return texts


def measure(analyzer: Callable[..., Any], texts: List[str], chars: bool) -> Tuple[float, int]:
    """Wall time of one pass over ``texts`` and the number of tokens made."""
    start = time.perf_counter()
    count = 0
    for text in texts:
        for _ in analyzer(text, positions=True, chars=chars):
            count += 1
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"corpus not found: {CORPUS}")
    texts = load_texts(args.articles)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"{len(texts)} articles, {megabytes:.1f} MB of text; best of {args.repeat} interleaved rounds")
    analyzers = {"whoosh LanguageAnalyzer('fr')": LanguageAnalyzer("fr"), "searchlib FrenchAnalyzer": FrenchAnalyzer()}
    best: Dict[Tuple[str, bool], Tuple[float, int]] = {}
    # Rounds alternate the analyzers so that load on a shared machine hits both alike.
    for _ in range(args.repeat):
        for chars in (False, True):
            for name, analyzer in analyzers.items():
                seconds, tokens = measure(analyzer, texts, chars)
                if (name, chars) not in best or seconds < best[name, chars][0]:
                    best[name, chars] = (seconds, tokens)
    for chars, mode in ((False, "positions (as indexing asks)"), (True, "positions and offsets (as highlighting asks)")):
        print(f"\n{mode}:")
        for name in analyzers:
            seconds, tokens = best[name, chars]
            print(f"  {name:<32} {tokens / seconds:>12,.0f} tokens/s  {megabytes / seconds:6.2f} MB/s  ({tokens:,} tokens)")
        base, ours = (best[name, chars][0] for name in analyzers)
        print(f"  searchlib / whoosh: {base / ours:.2f}x")


if __name__ == "__main__":
    main()
