"""The text a reader of a Markdown page sees, one paragraph per line.

Markdown's markers (``#``, ``**``, ``[text](url)``, list bullets, ``>``,
table pipes) would otherwise land in passages and snippets, and a soft-wrapped
paragraph would be cut at each of its line ends. As with HTML, the stored
text is the rendered text, so offsets and highlights point into what is
shown. Only the common syntax is read; anything else stays as written.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import List, Optional

__all__ = ["MarkdownText", "markdown_to_text"]

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE_RE = re.compile(r"^(?: {0,3}> ?)+")
_ITEM_RE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(?:\[[ xX]\][ \t]+)?|$)")
_REFERENCE_RE = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+")
_TABLE_RULE_RE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$")

_CODE_RE = re.compile(r"(`{1,16})(.{1,1000}?)\1")
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_IMAGE_RE = re.compile(r"!\[[^\[\]]*\](?:\([^()]*\)|\[[^\[\]]*\])")
_LINK_RE = re.compile(r"\[([^\[\]]+)\](?:\((?:<[^<>]*>|[^()\s]*)(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*\)|\[[^\[\]]*\])")
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+)>")
_BREAK_TAG_RE = re.compile(r"<br[ \t]*/?>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:[ \t][^<>]*)?/?>")
_STRONG_RE = re.compile(r"\*\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*\*|(?<!\w)__(?=[^\s_])([^_]+?)(?<=[^\s_])__(?!\w)")
_EMPHASIS_RE = re.compile(r"\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*|(?<!\w)_(?=[^\s_])([^_]+?)(?<=[^\s_])_(?!\w)")
_STRIKE_RE = re.compile(r"~~(?=[^\s~])([^~]+?)(?<=[^\s~])~~")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SPACES_RE = re.compile(r"[ \t]+")
# Markers are read innermost first (a span holds no marker of its kind), so
# a long line of unclosed ones ("[[[[", "*a *a") is read in linear time;
# each pass peels one level of nesting ("**un *mot* fort**").
_NESTING = 3
# Code spans and escaped characters are set aside while the markers around
# them are read; NUL never reaches here (control characters are cleaned).
_HELD_RE = re.compile(r"\x00(\d+)\x00")


@dataclass(frozen=True)
class MarkdownText:
    """A page's text (a blank line between paragraphs) and its first
    level-one heading, if any."""

    text: str
    title: Optional[str]


def markdown_to_text(source: str) -> MarkdownText:
    """Read Markdown into the text it renders to; never raises."""
    reader = _Blocks()
    for line in _without_comments(source).split("\n"):
        reader.line(line)
    reader.flush()
    return MarkdownText("\n\n".join(reader.blocks), reader.title)


def _without_comments(text: str) -> str:
    """``text`` without its HTML comments (an unclosed one stays), in one scan."""
    pieces: List[str] = []
    position = 0
    while True:
        start = text.find("<!--", position)
        end = text.find("-->", start + 4) if start >= 0 else -1
        if end < 0:
            break
        pieces.append(text[position:start])
        position = end + 3
    pieces.append(text[position:])
    return "".join(pieces)


class _Blocks:
    """Lines in, paragraphs out: each heading, paragraph, list item, table
    row and code line becomes one paragraph."""

    def __init__(self) -> None:
        self.blocks: List[str] = []
        self.title: Optional[str] = None
        self._lines: List[str] = []  # the paragraph being read
        self._item = False  # whether it is a list item (which "---" does not underline)
        self._fence: Optional[str] = None
        self._table = False
        self._quoted = False

    def line(self, line: str) -> None:
        if self._fence is not None:
            if line.strip().startswith(self._fence) and not line.strip().strip(self._fence[0]):
                self._fence = None
            elif line.strip():
                self.blocks.append(line.rstrip())
            return
        quote = _QUOTE_RE.match(line)
        quoted = quote is not None
        if quote:
            line = line[quote.end() :]
        if quoted != self._quoted:
            self.flush()  # a quotation is a paragraph of its own
            self._quoted = quoted
        if not line.strip():
            self.flush()
            return
        fence = _FENCE_RE.match(line)
        if fence:
            self.flush()
            self._fence = fence.group(1)
            return
        heading = _ATX_RE.match(line)
        if heading:
            self.flush()
            self._heading(heading.group(2) or "", len(heading.group(1)))
            return
        underline = _SETEXT_RE.match(line)
        if underline and self._lines and not self._item and not self._table:
            text, self._lines = " ".join(self._lines), []
            self._heading(text, 1 if underline.group(1)[0] == "=" else 2)
            return
        if _RULE_RE.match(line) or _REFERENCE_RE.match(line):
            self.flush()
            return
        if _TABLE_RULE_RE.match(line) and len(self._lines) == 1 and "|" in self._lines[0]:
            header, self._lines = self._lines[0], []
            self._row(header)
            self._table = True
            return
        if self._table:
            if "|" in line:
                self._row(line)
                return
            self._table = False
        item = _ITEM_RE.match(line)
        if item:
            self.flush()
            line, self._item = line[item.end() :], True
            if not line.strip():
                return
        self._lines.append(line.strip())

    def flush(self) -> None:
        if self._lines:
            self._add(" ".join(self._lines))
        self._lines, self._item, self._table = [], False, False

    def _heading(self, text: str, level: int) -> None:
        text = self._add(text)
        if level == 1 and self.title is None and text:
            self.title = text

    def _row(self, line: str) -> None:
        cells = re.split(r"(?<!\\)\|", line.strip())
        if cells and not cells[0].strip():
            cells = cells[1:]
        if cells and not cells[-1].strip():
            cells = cells[:-1]
        self._add(" ".join(cell.strip() for cell in cells if cell.strip()))

    def _add(self, text: str) -> str:
        text = _inline(text.rstrip("\\"))
        if text:
            self.blocks.append(text)
        return text


def _inner(match: "re.Match[str]") -> str:
    return next((group for group in match.groups() if group is not None), "")


def _inline(text: str) -> str:
    """A paragraph's text without its inline markers."""
    held: List[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"\x00{len(held) - 1}\x00"

    text = _CODE_RE.sub(lambda match: hold(match.group(2).strip(" ") or match.group(2)), text)
    text = _ESCAPE_RE.sub(lambda match: hold(match.group(1)), text)
    text = _IMAGE_RE.sub("", text)  # as in HTML, where an image's alt text is not read either
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _BREAK_TAG_RE.sub(" ", text)
    text = _TAG_RE.sub("", text)
    for _ in range(_NESTING):
        found = 0
        for pattern in (_STRONG_RE, _EMPHASIS_RE, _STRIKE_RE):
            text, count = pattern.subn(_inner, text)
            found += count
        if not found:
            break
    text = _ENTITY_RE.sub(lambda match: html.unescape(match.group(0)), text)
    text = _HELD_RE.sub(lambda match: held[int(match.group(1))], text)
    return _SPACES_RE.sub(" ", text).strip()
