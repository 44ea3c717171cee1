"""Text to terms: the French analyzer and its steps.

The first stage of the flow, used by every later one (indexing analyses
passages, searching analyses queries and finds highlights) and importing
none of them. Its modules, each building on the ones before:

- :mod:`.words`: what a word is (the tokenizer's pattern) and each step as
  a plain function on one word: normalisation, elision, numbers, folding,
  stemming;
- :mod:`.compounds`: hyphenated words also given joined, names' parts
  after an apostrophe;
- :mod:`.filters`: the steps as composable Whoosh filters, each testable
  alone, and :func:`french_pipeline` composing them;
- :mod:`.analyzer`: :class:`FrenchAnalyzer`, the same steps fused into one
  cached loop, what the index and queries use;
- :mod:`.steps`: :func:`analyze` and :func:`analysis_steps`, the analysis
  shown to people.

:mod:`.phonetic` keys names spelt several ways, :mod:`.duplicates` sketches
text to find near-identical passages. Indexes name
``searchlib.analysis.FrenchAnalyzer`` in their pickled schema: it must stay
importable from here.
"""

from .analyzer import FrenchAnalyzer, Token
from .compounds import CompoundFilter, joined_spelling
from .filters import (
    ElisionFilter,
    FoldFilter,
    FrenchStopFilter,
    FrenchTokenizer,
    LengthFilter,
    LowercaseFilter,
    NormalizeFilter,
    NumberFilter,
    StemFilter,
    french_pipeline,
)
from .steps import AnalysisStep, analysis_steps, analyze
from .words import (
    ELISION_PREFIXES,
    FRENCH_STOP_WORDS,
    MAX_TOKEN_LENGTH,
    fold,
    normalize_number,
    normalize_word,
    spaced_numbers,
    strip_elision,
)

from . import filters as _filters

__all__ = [
    "Token",
    "AnalysisStep",
    "analyze",
    "analysis_steps",
    "FrenchAnalyzer",
    *_filters.__all__,
    "FRENCH_STOP_WORDS",
    "ELISION_PREFIXES",
    "MAX_TOKEN_LENGTH",
    "normalize_word",
    "strip_elision",
    "normalize_number",
    "spaced_numbers",
    "joined_spelling",
    "fold",
]
