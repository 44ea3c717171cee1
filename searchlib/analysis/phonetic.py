"""Spelling variants of names: Daech/Daesh, Minbej/Manbij, al-Nosra/al-Nusra.

News transliterates Arabic, Russian or Kurdish names in several ways. Two
spellings are taken for the same name when they share a consonant skeleton
(French and English spellings of the same sound made equal, vowels after
the first letter dropped) and differ by at most two edits. The skeleton of
every capitalised word is indexed with its spelling, so a query finds the
other spellings in one term lookup.
"""

from __future__ import annotations

import re
from typing import Optional

from whoosh.support.levenshtein import distance

__all__ = ["skeleton", "same_name", "MIN_LETTERS"]

MIN_LETTERS = 4
MAX_EDITS = 2
# Spellings of one sound across French, English and German transliterations.
_SOUNDS = (
    ("sch", "x"), ("sh", "x"), ("ch", "x"), ("tch", "x"), ("dj", "j"), ("dzh", "j"),
    ("kh", "k"), ("gh", "g"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("qu", "k"), ("q", "k"),
    ("c", "k"), ("z", "s"), ("w", "v"), ("y", "i"),
)  # fmt: skip
_SOUNDS_RE = re.compile("|".join(re.escape(spelling) for spelling, _ in _SOUNDS))
_SOUND_OF = dict(_SOUNDS)
_NOT_LETTER_RE = re.compile(r"[^a-z]")
_VOWELS_RE = re.compile(r"[aeiouh]")
_DOUBLES_RE = re.compile(r"(.)\1+")


def skeleton(folded: str) -> Optional[str]:
    """The consonant skeleton of a folded, lower-case word ("daesh" → "dx"),
    or None for words too short or not made of Latin letters."""
    letters = _NOT_LETTER_RE.sub("", folded)
    if len(letters) < MIN_LETTERS:
        return None
    sounds = _SOUNDS_RE.sub(lambda match: _SOUND_OF[match.group()], letters)
    return _DOUBLES_RE.sub(r"\1", sounds[0] + _VOWELS_RE.sub("", sounds[1:]))


def same_name(first: str, second: str) -> bool:
    """Whether two folded spellings with one skeleton are close enough to be
    the same name written two ways."""
    return first != second and distance(first, second, limit=MAX_EDITS + 1) <= MAX_EDITS
