"""The query language, read into a small tree; never raises.

    Lavrov Kerry              every word counts, more words matched ranks higher
    "cessez le feu"           a phrase (also « … » and “ … ”)
    -Daech  -"État islamique" NOT Daech     exclusion
    Poutine OR Lavrov         either (OU also); OR binds tighter than juxtaposition
    Syrie AND Russie          both required (ET also); +Syrie requires one word
    (Alep OR Homs) trêve      grouping
    négoc*  Lavorv~  Lavorv~2 prefix, fuzzy (edit distance 1 or 2)
    Kerry^2  "trêve"^3        boost
    title:Syrie source:afp doc:002 date:2016 date:2016-07..2016-09 date:>=2017-01

Operators are upper case; lower-case "ou", "et" are words. Punctuation
that French puts after a space ("Qui est Lavrov ?", "Syrie : la trêve")
is never syntax. Whatever is malformed (unbalanced quotes or parentheses,
dangling operators, nesting too deep, a query too long) is read in the
most sensible way, and a note says how.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from ..analysis import spaced_numbers

__all__ = [
    "Word", "Phrase", "Filter", "Group", "Either", "Node", "Clause", "Parsed", "parse",
    "MAX_QUERY_CHARS", "MAX_CLAUSES", "MAX_DEPTH", "FIELDS",
]  # fmt: skip

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64
MAX_DEPTH = 8
MAX_FUZZY_DISTANCE = 2
# Filter names users may type (French names too), to the filter they name:
# the user's syntax, not index fields (filters.FILTER_FIELDS maps each
# filter to its field).
FIELDS = {
    "title": "title", "titre": "title",
    "source": "source", "site": "source",
    "doc": "doc", "id": "doc",
    "date": "date",
}  # fmt: skip

MUST, SHOULD, MUST_NOT = "must", "should", "must_not"

_OR = frozenset({"OR", "OU"})
_AND = frozenset({"AND", "ET"})
_NOT = frozenset({"NOT", "SAUF"})
_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<quote>["«“])(?P<phrase>[^"»”]*)(?P<endquote>["»”])?(?:\^(?P<pboost>\d+(?:\.\d+)?))?
  | (?P<field>[A-Za-z]+):(?=[^\s:])
  | (?P<word>[^\s()"«»“”]+)
    """,
    re.VERBOSE,
)
# An operator or a lone sign ending a query: nothing after it to act on.
_DANGLING_RE = re.compile(r"(?:^|\s)(?:OR|OU|AND|ET|NOT|SAUF|[-+])$")
_WORD_MODIFIERS_RE = re.compile(r"^(?P<text>.*?)(?P<star>\*)?(?:~(?P<fuzzy>\d*))?(?:\^(?P<boost>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False
    fuzzy: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Filter:
    """``name:value``: ``title`` (a word or phrase searched in titles only),
    ``source``, ``doc`` or ``date``."""

    name: str
    value: Union[Word, Phrase]


@dataclass(frozen=True)
class Either:
    options: Tuple["Node", ...]


@dataclass(frozen=True)
class Group:
    clauses: Tuple["Clause", ...]
    boost: float = 1.0


Node = Union[Word, Phrase, Filter, Either, Group]
Clause = Tuple[str, Node]  # (MUST | SHOULD | MUST_NOT, node)


@dataclass
class Parsed:
    root: Group
    notes: List[str] = field(default_factory=list)


def _crossed(spans: List[Tuple[int, int]], gap_start: int, gap_end: int) -> bool:
    """Whether one of ``spans`` runs across the gap between two words."""
    return any(start < gap_start and gap_end < end for start, end in spans)


class _Reader:
    def __init__(self, text: str, notes: List[str]) -> None:
        self.tokens = self._tokens(text, notes)
        self.index = 0
        self.notes = notes
        self.clauses = 0

    @staticmethod
    def _tokens(text: str, notes: List[str]) -> List[Tuple[str, str, Optional[str]]]:
        """(kind, text, extra) tokens; kinds: open, close, phrase, field, word, op."""
        tokens: List[Tuple[str, str, Optional[str]]] = []
        # Where each token lies in ``text``, to join a number grouped by spaces.
        places: List[Tuple[int, int]] = []
        numbers = spaced_numbers(text)
        for match in _TOKEN_RE.finditer(text):
            kind = match.lastgroup
            if match.group("space"):
                continue
            if match.group("quote"):
                if match.group("endquote") is None:
                    notes.append("unclosed quote: the phrase runs to the end of the query")
                tokens.append(("phrase", match.group("phrase"), match.group("pboost")))
            elif match.group("open"):
                tokens.append(("open", "(", None))
            elif match.group("close"):
                tokens.append(("close", ")", None))
            elif match.group("field"):
                tokens.append(("field", match.group("field"), None))
            else:
                start = match.start()
                if numbers and tokens and tokens[-1][0] == "word" and _crossed(numbers, places[-1][1], start):
                    # "280 000" is one number, as the indexed text reads it.
                    start = places.pop()[0]
                    tokens.pop()
                word = text[start : match.end()]
                kind = "op" if word in _OR | _AND | _NOT else "word"
                tokens.append((kind, word, None))
                places.append((start, match.end()))
                continue
            places.append(match.span())
        return tokens

    def peek(self) -> Optional[Tuple[str, str, Optional[str]]]:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Tuple[str, str, Optional[str]]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def group(self, depth: int) -> Group:
        clauses: List[Clause] = []
        pending_and = False
        while True:
            token = self.peek()
            if token is None:
                if depth > 0:
                    self.notes.append("unbalanced parenthesis: closed at the end of the query")
                break
            kind, text, _ = token
            if kind == "close":
                self.take()
                if depth > 0:
                    break
                self.notes.append("a ')' without its '(' was ignored")
                continue
            if kind == "op" and text in _AND:
                self.take()
                if not clauses:
                    self.notes.append(f"'{text}' with nothing before it was ignored")
                else:
                    pending_and = True
                    previous_occur, previous = clauses[-1]
                    if previous_occur == SHOULD:
                        clauses[-1] = (MUST, previous)
                continue
            if kind == "op" and text in _OR:
                self.take()
                self.notes.append(f"'{text}' with nothing before it was ignored")
                continue
            occur = MUST if pending_and else SHOULD
            pending_and = False
            if kind == "op" and text in _NOT:
                self.take()
                occur = MUST_NOT
            elif kind == "word" and len(text) > 1 and text[0] in "-+" and text[1] not in "-+":
                occur = MUST_NOT if text[0] == "-" else MUST
                self.tokens[self.index] = ("word", text[1:], None)
            elif kind == "word" and text in ("-", "+") and self._next_is_operand(1):
                self.take()
                occur = MUST_NOT if text == "-" else MUST
            node = self.either(depth)
            if node is None:
                if occur == MUST_NOT:
                    self.notes.append("'NOT' or '-' with nothing after it was ignored")
                continue
            if self.clauses >= MAX_CLAUSES:
                if self.clauses == MAX_CLAUSES:
                    self.notes.append(f"only the first {MAX_CLAUSES} words are searched")
                self.clauses += 1
                continue
            self.clauses += 1
            clauses.append((occur, node))
        return Group(tuple(clauses))

    def _next_is_operand(self, ahead: int) -> bool:
        position = self.index + ahead
        return position < len(self.tokens) and self.tokens[position][0] in ("word", "phrase", "open", "field")

    def either(self, depth: int) -> Optional[Node]:
        first = self.unit(depth)
        options: List[Node] = [first] if first is not None else []
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or token[1] not in _OR:
                break
            self.take()
            if not self._next_is_operand(0):
                self.notes.append(f"'{token[1]}' with nothing after it was ignored")
                continue
            option = self.unit(depth)
            if option is not None:
                options.append(option)
        if not options:
            return None
        return options[0] if len(options) == 1 else Either(tuple(options))

    def unit(self, depth: int) -> Optional[Node]:
        token = self.peek()
        if token is None:
            return None
        kind, text, extra = token
        if kind in ("close", "op"):
            return None
        self.take()
        if kind == "open":
            if depth + 1 > MAX_DEPTH:
                if not any("nested deeper" in note for note in self.notes):
                    self.notes.append(f"parentheses nested deeper than {MAX_DEPTH} levels were flattened")
                while (token := self.peek()) is not None and token[0] == "open":
                    self.take()
                return self.unit(depth) if token is not None and token[0] != "open" else None
            inner = self.group(depth + 1)
            boost = self._boost_after()
            if not inner.clauses:
                return None
            return Group(inner.clauses, boost)
        if kind == "phrase":
            return Phrase(text, float(extra) if extra else 1.0) if text.strip() else None
        if kind == "field":
            name = FIELDS.get(text.lower())
            value = self.unit(depth)
            if name is None:
                # Not a field: "Syrie:trêve" is two words.
                return Group(((SHOULD, Word(text)), (SHOULD, value))) if value is not None else Word(text)
            if isinstance(value, (Word, Phrase)):
                return Filter(name, value)
            self.notes.append(f"'{text}:' needs a word or a quoted phrase after it; ignored")
            return value
        return self._word(text)

    def _boost_after(self) -> float:
        token = self.peek()
        if token is not None and token[0] == "word" and re.fullmatch(r"\^\d+(?:\.\d+)?", token[1]):
            self.take()
            return float(token[1][1:])
        return 1.0

    def _word(self, text: str) -> Optional[Word]:
        match = _WORD_MODIFIERS_RE.match(text)
        assert match is not None  # the pattern matches any string
        body = match.group("text")
        boost = float(match.group("boost")) if match.group("boost") else 1.0
        fuzzy = 0
        if match.group("fuzzy") is not None:
            # A bare "~" allows two edits, as in Lucene: "Lavorv~" finds "Lavrov".
            wanted = int(match.group("fuzzy") or MAX_FUZZY_DISTANCE)
            fuzzy = min(max(wanted, 1), MAX_FUZZY_DISTANCE)
            if wanted > MAX_FUZZY_DISTANCE:
                self.notes.append(f"'{text}': fuzzy matching allows at most {MAX_FUZZY_DISTANCE} edits")
        prefix = match.group("star") is not None
        if prefix and body.startswith("*") or "*" in body:
            self.notes.append(f"'{text}': '*' only ends a word (a prefix); read as '{body.strip('*')}*'")
            body = body.strip("*")
        if not any(char.isalnum() for char in body):
            return None  # punctuation alone: "?", ":", "—"
        return Word(body, prefix, fuzzy, boost)


def _cut(text: str) -> str:
    """``text`` cut to at most MAX_QUERY_CHARS characters after a whole word:
    a half word ("Obama" cut to "O") would search for something never typed,
    and an operator left at the end would have nothing to act on. A single
    word longer than the cap is cut where it must be."""
    cut = text[:MAX_QUERY_CHARS]
    if not text[MAX_QUERY_CHARS].isspace():
        whole = re.match(r"(?s).*\s", cut)
        if whole is None:
            return cut
        cut = whole.group()
    while (shorter := _DANGLING_RE.sub("", cut.rstrip())) != cut.rstrip():
        cut = shorter
    return cut.rstrip()


def parse(text: str) -> Parsed:
    """Read a query; the notes say what was malformed and how it was read."""
    notes: List[str] = []
    if len(text) > MAX_QUERY_CHARS:
        text = _cut(text)
        last = text.split()[-1] if text.split() else ""
        after = f", after '{last[-40:]}'" if last else ""
        notes.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters{after}")
    reader = _Reader(text, notes)
    root = reader.group(0)
    return Parsed(root, notes)
