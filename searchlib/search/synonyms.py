"""Synonym groups applied at query time ("ONU, Nations unies")."""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..analysis import FrenchAnalyzer

__all__ = ["Synonyms", "MAX_WORDS"]

#: the longest run of query words tried as one member
MAX_WORDS = 4


class Synonyms:
    """Groups of words or phrases that stand for each other at query time
    ("ONU, Nations unies"; "EI, État islamique, Daech").

    A group is found whatever the accents, case or inflection typed, since
    members are compared by their analysed terms.
    """

    def __init__(self, groups: Iterable[Sequence[str]], analyzer: FrenchAnalyzer) -> None:
        self._analyzer = analyzer
        self._groups: List[Tuple[str, ...]] = []
        self._by_key: Dict[Tuple[Tuple[str, int], ...], int] = {}
        for group in groups:
            members = tuple(dict.fromkeys(m.strip() for m in group if m.strip()))
            if len(members) < 2:
                continue
            for member in members:
                key = self._key(member)
                if key:
                    self._by_key.setdefault(key, len(self._groups))
            self._groups.append(members)

    @classmethod
    def from_file(cls, path: "os.PathLike[str] | str", analyzer: FrenchAnalyzer) -> "Synonyms":
        """Read one group a line, members separated by commas; ``#`` starts a
        comment. Raises ``ValueError`` naming the line of a malformed group."""
        groups: List[List[str]] = []
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                members = [m.strip() for m in line.split(",") if m.strip()]
                if len(members) < 2:
                    raise ValueError(f"{path}:{number}: a synonym group needs at least two members, separated by commas")
                groups.append(members)
        return cls(groups, analyzer)

    def _key(self, text: str) -> Tuple[Tuple[str, int], ...]:
        first: Optional[int] = None
        key: List[Tuple[str, int]] = []
        for position, _, _, (term, _, _, _, _) in self._analyzer.words(text, extras=False):
            if term is None:
                continue
            first = position if first is None else first
            key.append((term, position - first))
        return tuple(key)

    def members(self, text: str) -> Tuple[str, ...]:
        """The other members of the group ``text`` belongs to (empty if none)."""
        group = self._by_key.get(self._key(text))
        if group is None:
            return ()
        key = self._key(text)
        return tuple(m for m in self._groups[group] if self._key(m) != key)

    def __len__(self) -> int:
        return len(self._groups)
