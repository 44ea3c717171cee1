"""The analyzer over a large French word list: the vocabulary of the news
corpus beside the project (skipped when it is absent)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from searchlib.analysis import FrenchAnalyzer

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import word_groups  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not word_groups.CORPUS.exists(), reason="shared news corpus not available"),
]


@pytest.fixture(scope="module")
def vocabulary() -> list[str]:
    return word_groups.corpus_vocabulary()


def test_words_snowball_puts_together_stay_together(vocabulary):
    recall, _, compared = word_groups.pairwise_agreement(vocabulary, word_groups.searchlib_term(FrenchAnalyzer()))
    assert compared > 50_000
    assert recall >= 0.999


def test_every_accented_word_is_reachable_typed_without_accents(vocabulary):
    missing = word_groups.unresolved_accented_words(vocabulary, FrenchAnalyzer())
    # Only symbols that are not French words may be left (µg: NFKC makes µ Greek).
    assert all(not word.isalpha() or "µ" in word for word in missing), missing[:20]
