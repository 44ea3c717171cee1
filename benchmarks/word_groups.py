"""How searchlib's terms group a French word list, against the official stemmer.

Usage: python benchmarks/word_groups.py [WORDLIST]

WORDLIST has one word per line (Snowball's french/voc.txt, say); without it,
the vocabulary of the news corpus in ../shared/corpora is used. Prints:

- pairwise recall: of the pairs of words the official Snowball French stemmer
  gives the same stem, the share that get the same searchlib term;
- pairwise precision: of the pairs of words that get the same searchlib term,
  the share the official stemmer also puts together;
- accent resolution: the share of accented words that a query typed without
  accents resolves to (it must be every one);
- the same figures for Whoosh's LanguageAnalyzer("fr") when Whoosh is installed.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import Stemmer
from unidecode import unidecode

from searchlib.analysis import FrenchAnalyzer
from searchlib.analysis.words import _is_latin

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"
_WORD_RE = re.compile(r"[^\W\d_]+")


def corpus_vocabulary(path: Path = CORPUS, min_count: int = 2, limit: Optional[int] = None) -> List[str]:
    """Lower-cased words seen at least ``min_count`` times in the corpus."""
    counts: Counter[str] = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                break
            article = json.loads(line)
            counts.update(w.lower() for w in _WORD_RE.findall(article["title"] + " " + article["text"]))
    return sorted(w for w, c in counts.items() if c >= min_count)


def _pairs(groups: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def pairwise_agreement(words: Iterable[str], term_of: Callable[[str], Optional[str]]) -> Tuple[float, float, int]:
    """(recall, precision, words compared) of ``term_of`` against the
    official Snowball French stems. Words ``term_of`` drops (stop words)
    or splits into several terms are left out."""
    official = Stemmer.Stemmer("french")
    pairs: List[Tuple[str, str]] = []
    for word in words:
        term = term_of(word)
        if term is not None:
            pairs.append((official.stemWord(word), term))
    both = _pairs(Counter(pairs).values())
    same_official = _pairs(Counter(o for o, _ in pairs).values())
    same_ours = _pairs(Counter(t for _, t in pairs).values())
    recall = both / same_official if same_official else 1.0
    precision = both / same_ours if same_ours else 1.0
    return recall, precision, len(pairs)


def searchlib_term(analyzer: FrenchAnalyzer) -> Callable[[str], Optional[str]]:
    def term_of(word: str) -> Optional[str]:
        info = analyzer.word_info(word)
        if info is None or info[0] is None or not _WORD_RE.fullmatch(word):
            return None
        return info[0]

    return term_of


def unresolved_accented_words(words: Iterable[str], analyzer: FrenchAnalyzer) -> List[str]:
    """Accented words that the same word typed without accents would not
    find. The query resolves as the index does: its own term, its accent key
    when that is an indexed term, and every term recorded under that key in
    the index's variants table (words whose key differs from their term)."""
    table: Dict[str, set[str]] = {}
    terms: set[str] = set()
    accented = []
    for word in words:
        info = analyzer.word_info(word)
        if info is None or info[0] is None:
            continue
        term, _, key, _, _ = info
        terms.add(term)
        if key != term:
            table.setdefault(key, set()).add(term)
        if not word.isascii() and word.isalpha() and all(_is_latin(c) for c in word):
            accented.append((word, term))
    missing = []
    for word, term in accented:
        typed = analyzer.word_info(unidecode(word))
        if typed is None:
            missing.append(word)
            continue
        own, _, key, _, _ = typed
        reachable = ({own} if own is not None else set()) | ({key} & terms) | table.get(key, set())
        if term not in reachable:
            missing.append(word)
    return missing


def whoosh_term() -> Optional[Callable[[str], Optional[str]]]:
    try:
        from whoosh.analysis import LanguageAnalyzer
    except ImportError:
        return None
    analyzer = LanguageAnalyzer("fr")

    def term_of(word: str) -> Optional[str]:
        terms = [t.text for t in analyzer(word)]
        return terms[0] if len(terms) == 1 else None

    return term_of


def main(argv: List[str]) -> None:
    if len(argv) > 1:
        words = [w.strip().lower() for w in Path(argv[1]).read_text(encoding="utf-8").split("\n") if w.strip()]
        source = argv[1]
    else:
        if not CORPUS.exists():
            sys.exit(f"no word list given and no corpus at {CORPUS}")
        words = corpus_vocabulary()
        source = f"{CORPUS.name} vocabulary (words seen twice or more)"
    analyzer = FrenchAnalyzer()
    print(f"word list: {source}: {len(words)} words")
    recall, precision, compared = pairwise_agreement(words, searchlib_term(analyzer))
    print(f"searchlib            pairwise recall {recall:.5f}  precision {precision:.5f}  ({compared} words)")
    other = whoosh_term()
    if other is not None:
        recall, precision, compared = pairwise_agreement(words, other)
        print(f"whoosh fr analyzer   pairwise recall {recall:.5f}  precision {precision:.5f}  ({compared} words)")
    missing = unresolved_accented_words(words, analyzer)
    accented = sum(1 for w in words if not w.isascii() and w.isalpha() and all(_is_latin(c) for c in w))
    print(f"accented words a plain-typed query misses: {len(missing)} of {accented}")
    if missing:
        print("  e.g. " + ", ".join(missing[:20]))


if __name__ == "__main__":
    main(sys.argv)
