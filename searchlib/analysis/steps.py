"""What the analysis makes of a text, for people: the public views.

:func:`analyze` gives the tokens the index stores for a text (through the
fused :class:`~searchlib.analysis.FrenchAnalyzer`); :func:`analysis_steps`
gives the tokens after each step of the composed pipeline of
:mod:`.filters`, one step at a time (``search analyze --steps``). Kept
apart as the one module that uses both ways of running the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

from .analyzer import FrenchAnalyzer, Token
from .filters import french_pipeline
from .words import FRENCH_STOP_WORDS

__all__ = ["Token", "AnalysisStep", "analyze", "analysis_steps"]


@dataclass(frozen=True)
class AnalysisStep:
    """The tokens as they stand after one step of the analysis."""

    name: str
    tokens: Tuple[Token, ...]


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text to analyse must be a str, not {type(text).__name__}")


def analyze(text: str, analyzer: Optional[FrenchAnalyzer] = None) -> List[Token]:
    """The tokens the index stores for ``text``.

    ``analyzer`` defaults to the standard French analyzer; pass a
    ``FrenchAnalyzer(stop_words=...)`` to see another configuration.
    """
    _check_text(text)
    analyzer = analyzer or FrenchAnalyzer()
    return [Token(t.text, t.startchar, t.endchar, t.pos) for t in analyzer(text, positions=True, chars=True)]


def analysis_steps(text: str, stop_words: Iterable[str] = FRENCH_STOP_WORDS) -> List[AnalysisStep]:
    """The tokens after each step of the analysis, in order (like
    Elasticsearch's ``_analyze`` with ``explain``)."""
    _check_text(text)
    steps = french_pipeline(stop_words)
    result: List[AnalysisStep] = []
    for count in range(1, len(steps) + 1):
        tokenizer, *filters = [step for _, step in steps[:count]]
        stream = tokenizer(text, positions=True, chars=True)
        for step in filters:
            stream = step(stream)
        tokens = tuple(Token(t.text, t.startchar, t.endchar, t.pos) for t in stream)
        result.append(AnalysisStep(steps[count - 1][0], tokens))
    return result
