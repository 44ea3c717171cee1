"""Text to terms: the French analyzer and its steps.

The first stage of the flow, used by every later one (indexing analyses
passages, searching analyses queries and finds highlights) and importing
none of them. :class:`FrenchAnalyzer` is a pipeline of small steps, each a
Whoosh filter that can be tested alone; :mod:`.compounds` splits hyphenated
and elided words, :mod:`.phonetic` keys names spelt several ways,
:mod:`.duplicates` sketches text to find near-identical passages.
"""

from .analyzer import (
    ELISION_PREFIXES,
    FRENCH_STOP_WORDS,
    MAX_TOKEN_LENGTH,
    AnalysisStep,
    CompoundFilter,
    ElisionFilter,
    FoldFilter,
    FrenchAnalyzer,
    FrenchStopFilter,
    FrenchTokenizer,
    LengthFilter,
    LowercaseFilter,
    NormalizeFilter,
    NumberFilter,
    StemFilter,
    Token,
    analysis_steps,
    analyze,
    fold,
    french_pipeline,
    joined_spelling,
    normalize_number,
    normalize_word,
    spaced_numbers,
    strip_elision,
)

__all__ = [
    "Token",
    "AnalysisStep",
    "analyze",
    "analysis_steps",
    "FrenchAnalyzer",
    "FrenchTokenizer",
    "NormalizeFilter",
    "LowercaseFilter",
    "ElisionFilter",
    "CompoundFilter",
    "NumberFilter",
    "LengthFilter",
    "FrenchStopFilter",
    "StemFilter",
    "FoldFilter",
    "FRENCH_STOP_WORDS",
    "ELISION_PREFIXES",
    "MAX_TOKEN_LENGTH",
    "french_pipeline",
    "normalize_word",
    "strip_elision",
    "normalize_number",
    "spaced_numbers",
    "joined_spelling",
    "fold",
]
