"""Visible text of an HTML page, without the site furniture around it.

Scraped news pages wrap the article in menus, banners, share buttons and
cookie notices; indexed as text they would make every page match
"Accueil" or "Mentions légales". This module keeps what a reader of the
article sees, one paragraph per line, and reads the title, publication
date and language on the way. ``html.parser`` is lenient, so broken markup
never raises; an explicit stack of open elements decides what is skipped,
and closing a parent always ends whatever was left open inside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["HtmlText", "html_to_text"]

_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source",
    "track", "wbr",
})
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "video",
    "audio", "head", "title", "nav", "footer", "aside", "form", "button", "select", "option", "textarea",
    "menu", "dialog",
})
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "tfoot", "thead", "tr", "ul",
})
_CELL_TAGS = frozenset({"td", "th"})
_HEAD_TAGS = frozenset({"base", "link", "meta", "noscript", "script", "style", "template", "title"})
_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar"})
_SKIP_NAME_WORDS = frozenset({
    "nav", "navbar", "navigation", "menu", "footer", "breadcrumb", "breadcrumbs", "share", "sharing",
    "social", "cookie", "cookies", "newsletter", "sidebar", "related", "advert", "advertisement", "ads",
    "ad", "pub", "comments", "comment",
})
# Class names that describe a layout holding the article too ("has-sidebar",
# "content-sidebar-wrap"): skipping them would drop the whole page.
_LAYOUT_NAME_RE = re.compile(r"^(?:has|no|with|is)-|wrap|container|layout", re.IGNORECASE)
_NAME_SPLIT_RE = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Browsers close these when a sibling opens: (what it closes, where the search stops).
_IMPLIED_END: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "li": (("li",), ("ul", "ol", "menu", "table")),
    "dt": (("dt", "dd"), ("dl", "table")),
    "dd": (("dt", "dd"), ("dl", "table")),
    "tr": (("tr",), ("table", "thead", "tbody", "tfoot")),
    "td": (("td", "th"), ("tr", "table")),
    "th": (("td", "th"), ("tr", "table")),
}
_DATE_PROPERTIES = frozenset({"article:published_time", "og:article:published_time"})
_DATE_NAMES = frozenset({"date", "pubdate", "publishdate", "publish-date", "dc.date", "dc.date.issued", "dcterms.issued"})
# ASCII whitespace and Unicode line breaks only: U+00A0 and U+202F are French typography.
_SPACE_RE = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_WORD_RE = re.compile(r"\w+")
_MIN_ARTICLE_WORDS = 25


@dataclass(frozen=True)
class HtmlText:
    """What a page says: visible ``text`` (one paragraph per line, blank line
    between blocks), ``title``, raw published ``date`` and ``language``."""

    text: str
    title: str | None
    date: str | None
    language: str | None


def html_to_text(markup: str) -> HtmlText:
    """Read ``markup`` into its visible text and metadata; never raises on bad HTML."""
    parser = _parse(markup, use_names=True)
    text = parser.text()
    if not text:
        # A furniture-looking class on a wrapper can hide the whole page;
        # nothing at all is worse than a page with its menus left in.
        text = _parse(markup, use_names=False).text()
    return HtmlText(text=text, title=parser.title(), date=parser.date(), language=parser.language)


def _parse(markup: str, use_names: bool) -> _Parser:
    parser = _Parser(use_names)
    parser.feed(markup)
    parser.close()
    return parser


def _one_line(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _strip_site_name(title: str, h1: str) -> str:
    """``title`` without a " - Le Monde" or "AFP | " part when the rest is the ``h1``."""
    folded, heading = title.casefold(), h1.casefold()
    if not heading or folded == heading:
        return title
    if folded.startswith(heading) and re.match(r"\s+[-|–—·•»]\s+\S", title[len(h1) :]):
        return title[: len(h1)]
    if folded.endswith(heading) and re.search(r"\S\s+[-|–—·•»]\s+$", title[: -len(h1)]):
        return title[-len(h1) :]
    return title


class _Text:
    """Visible text as lines; a blank line ends a paragraph."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._line: list[str] = []
        self._space = False

    def add(self, data: str) -> None:
        data = _SPACE_RE.sub(" ", data)
        word = data.strip(" ")
        if data.startswith(" "):
            self._space = True
        if word:
            if self._space and self._line:
                self._line.append(" ")
            self._line.append(word)
            self._space = data.endswith(" ")

    def add_preformatted(self, data: str) -> None:
        for i, piece in enumerate(data.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
            if i:
                self.newline()
            elif self._space and self._line:
                self._line.append(" ")
            self._line.append(piece)
        self._space = False

    def space(self) -> None:
        self._space = True

    def newline(self) -> None:
        self._lines.append("".join(self._line).strip())
        self._line = []
        self._space = False

    def paragraph(self) -> None:
        if self._line:
            self.newline()
        if self._lines and self._lines[-1]:
            self._lines.append("")

    def text(self) -> str:
        lines = self._lines + ["".join(self._line).strip()]
        text = _BLANK_LINES_RE.sub("\n\n", "\n".join(line.strip() for line in lines)).strip()
        return unicodedata.normalize("NFC", _CONTROL_RE.sub("", text))


def _break(tag: str) -> Callable[[_Text], None] | None:
    """How opening or closing ``tag`` separates the text around it."""
    return _Text.paragraph if tag in _BLOCK_TAGS else _Text.space if tag in _CELL_TAGS else None


@dataclass
class _Open:
    tag: str
    skips: bool
    collects: _Text | None = None  # the region text this element feeds, if it started one


class _Parser(HTMLParser):
    """Streams a page into region texts (body, first article, first main, first h1)."""

    def __init__(self, use_names: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.language: str | None = None
        self._use_names = use_names
        self._stack: list[_Open] = []
        self._skip = 0  # open elements that skip; only ever changed by push/pop
        self._pre = 0
        self._pre_start = False
        self._texts: dict[str, _Text] = {"body": _Text()}
        self._active: list[_Text] = [self._texts["body"]]
        self._title: _Text | None = None
        self._in_title = False
        self._dates: dict[int, str] = {}

    def text(self) -> str:
        for region in ("article", "main"):
            if region in self._texts:
                text = self._texts[region].text()
                if len(_WORD_RE.findall(text)) >= _MIN_ARTICLE_WORDS:
                    return text
        return self._texts["body"].text()

    def title(self) -> str | None:
        h1 = _one_line(self._texts["h1"].text()) if "h1" in self._texts else ""
        title = _one_line(self._title.text()) if self._title else ""
        return _strip_site_name(title, h1) if title else (h1 or None)

    def date(self) -> str | None:
        return self._dates[min(self._dates)] if self._dates else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: (value or "") for name, value in attrs}
        if tag == "html" and self.language is None:
            self.language = (a.get("lang") or a.get("xml:lang") or "").strip() or None
        self._read_date(tag, a)
        if tag in _VOID:
            self._emit(_Text.newline if tag == "br" else _break(tag))
            return
        if tag == "body" or (tag not in _HEAD_TAGS and self._stack and self._stack[-1].tag == "head"):
            self._close("head")  # body content implies the head ended
        self._close_implied(tag)
        entry = _Open(tag, self._skips(tag, a))
        self._emit(_break(tag))
        if tag == "title" and self._title is None and not self._inside("svg"):
            entry.collects = self._title = _Text()
            self._in_title = True
        elif self._starts_region(tag, entry.skips):
            entry.collects = self._texts[tag] = _Text()
            self._active.append(entry.collects)
        self._stack.append(entry)
        self._skip += entry.skips
        if tag == "pre":
            self._pre += 1
            self._pre_start = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:  # else "<br/>" would count twice
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # browsers read a stray "</br>" as "<br>"
            self._emit(_Text.newline)
            return
        self._close(tag)

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1].tag == "head" and data.strip():
            self._close("head")
        if self._in_title and self._title is not None:
            self._title.add(data)
        if self._skip or not data:
            return
        if self._pre:
            if self._pre_start and data.startswith(("\r\n", "\n")):
                data = data[2:] if data.startswith("\r\n") else data[1:]
            for text in self._active:
                text.add_preformatted(data)
        else:
            for text in self._active:
                text.add(data)
        self._pre_start = False

    def _emit(self, action: Callable[[_Text], None] | None) -> None:
        if action is not None and not self._skip:
            for text in self._active:
                action(text)

    def _close(self, tag: str) -> None:
        """Close the innermost open ``tag`` and all left open inside it; a stray end tag closes nothing."""
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i].tag == tag:
                self._pop_to(i)
                return

    def _close_implied(self, tag: str) -> None:
        """Close what a browser closes when ``tag`` opens: an open ``p``, a previous ``li`` …"""
        if tag in _BLOCK_TAGS and self._stack and self._stack[-1].tag == "p":
            self._pop_to(len(self._stack) - 1)
        closes, stops = _IMPLIED_END.get(tag, ((), ()))
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i].tag in closes:
                self._pop_to(i)
                return
            if self._stack[i].tag in stops:
                return

    def _pop_to(self, depth: int) -> None:
        """Pop open elements until ``depth`` remain, undoing what each one started."""
        while len(self._stack) > depth:
            entry = self._stack.pop()
            self._skip -= entry.skips
            self._pre -= entry.tag == "pre"
            if entry.collects is not None and entry.collects is self._title:
                self._in_title = False
            elif entry.collects is not None and entry.collects in self._active:
                self._active.remove(entry.collects)
            self._emit(_break(entry.tag))

    def _starts_region(self, tag: str, skips: bool) -> bool:
        """Whether ``tag`` opens the first visible article, main or (non-empty) h1."""
        if tag not in ("article", "main", "h1") or self._skip or skips:
            return False
        return tag not in self._texts or (tag == "h1" and not self._texts[tag].text())

    def _inside(self, *tags: str) -> bool:
        return any(entry.tag in tags for entry in self._stack)

    def _skips(self, tag: str, a: dict[str, str]) -> bool:
        if tag in ("html", "body"):
            return False
        if tag in _SKIP_TAGS:
            # ASP.NET pages wrap the whole body in one <form>.
            return not (tag == "form" and (not self._stack or self._stack[-1].tag in ("html", "body")))
        if tag == "header" and not self._inside("article", "main"):
            return True  # the site banner; an article's own header holds its h1
        if "hidden" in a or a.get("aria-hidden", "").strip().lower() == "true":
            return True
        if _HIDDEN_STYLE_RE.search(a.get("style", "")):
            return True
        if any(role in _SKIP_ROLES for role in a.get("role", "").lower().split()):
            return True
        if not self._use_names or tag == "main":
            return False
        names = (a.get("class", "") + " " + a.get("id", "")).split()
        return any(
            part.lower() in _SKIP_NAME_WORDS
            for name in names
            if not _LAYOUT_NAME_RE.search(name)
            for part in _NAME_SPLIT_RE.split(name)
        )

    def _read_date(self, tag: str, a: dict[str, str]) -> None:
        value = (a.get("content") or a.get("datetime") or "").strip()
        rank: int | None = None
        if tag == "meta" and a.get("property", "").lower() in _DATE_PROPERTIES:
            rank = 0
        elif tag == "meta" and a.get("name", "").lower() in _DATE_NAMES:
            rank = 1
        elif a.get("itemprop", "").lower() == "datepublished" and not self._skip:
            rank = 2  # outside skipped regions: a related teaser has its own date
        elif tag == "time" and a.get("datetime") and not self._skip and self._inside("article", "main"):
            rank = 3
        if rank is not None and value:
            self._dates.setdefault(rank, value)
