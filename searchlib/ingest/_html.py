"""Visible text of an HTML page, without the site furniture around it.

Scraped news pages wrap the article in menus, banners, share buttons and cookie
notices; indexed, they would make every page match "Accueil". This keeps what a
reader of the article sees, one paragraph per line, plus title, date and language.
``html.parser`` never raises on broken markup, and an explicit stack of open
elements decides what is skipped: closing a parent ends all left open inside it.
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
_DATE_NAMES = frozenset({
    "date", "pubdate", "publishdate", "publish-date", "dc.date", "dc.date.issued", "dcterms.issued",
})
# ASCII whitespace and Unicode line breaks only: U+00A0 and U+202F are French typography.
_SPACE_RE = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_WORD_RE = re.compile(r"\w+")
_MIN_ARTICLE_WORDS = 25


@dataclass(frozen=True)
class HtmlText:
    """A page's visible ``text`` (a blank line between paragraphs), ``title``,
    raw published ``date`` (the caller parses it) and ``language``."""

    text: str
    title: str | None
    date: str | None
    language: str | None


def html_to_text(markup: str) -> HtmlText:
    """Read ``markup`` into its visible text and metadata; never raises on bad HTML."""
    parser = _Parser(markup, use_names=True)
    text = parser.text()
    if not text:
        # A furniture-looking class on a wrapper can hide the whole page;
        # a page with its menus left in beats no page at all.
        text = _Parser(markup, use_names=False).text()
    return HtmlText(text=text, title=parser.title(), date=parser.date(), language=parser.language)


def _strip_site_name(title: str, h1: str) -> str:
    """``title`` without a " - Le Monde" or "AFP | " part when the rest is the ``h1``."""
    if h1 and title.startswith(h1) and re.match(r"\s+[-|–—·•»]\s+\S", title[len(h1) :]):
        return h1
    if h1 and title.endswith(h1) and re.search(r"\S\s+[-|–—·•»]\s+$", title[: -len(h1)]):
        return h1
    return title


class _Text:
    """Visible text as lines; a blank line ends a paragraph."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._line: list[str] = []
        self._space = False  # whether a space is owed before the next word

    def add(self, data: str) -> None:
        data = _SPACE_RE.sub(" ", data)
        self._space = self._space or data.startswith(" ")
        if data.strip(" "):
            self._line.append(" " + data.strip(" ") if self._space and self._line else data.strip(" "))
            self._space = data.endswith(" ")

    def add_preformatted(self, data: str) -> None:
        for i, piece in enumerate(re.split(r"\r\n?|\n", data)):
            if i:
                self.newline()
            self._line.append(" " + piece if self._space and self._line and not i else piece)
        self._space = False

    def space(self) -> None:
        self._space = True

    def newline(self) -> None:
        self._lines.append("".join(self._line).strip())
        self._line, self._space = [], False

    def paragraph(self) -> None:
        if self._line:
            self.newline()
        if self._lines and self._lines[-1]:
            self._lines.append("")

    def text(self) -> str:
        text = "\n".join([*self._lines, "".join(self._line).strip()])
        text = _BLANK_LINES_RE.sub("\n\n", _CONTROL_RE.sub("", text)).strip()
        return unicodedata.normalize("NFC", text)  # decomposed accents would not match queries


def _break(tag: str) -> Callable[[_Text], None] | None:
    """How opening or closing ``tag`` separates the text around it."""
    return _Text.paragraph if tag in _BLOCK_TAGS else _Text.space if tag in _CELL_TAGS else None


@dataclass
class _Open:
    tag: str
    skips: bool
    collects: _Text | None = None  # the region text this element started, if any


class _Parser(HTMLParser):
    """Streams a page into region texts: body, first article, first main, first h1."""

    def __init__(self, markup: str, use_names: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.language: str | None = None
        self._use_names = use_names
        self._stack: list[_Open] = []
        self._open: dict[str, int] = {}  # open elements by tag, so stray end tags cost nothing
        self._skip = 0  # skipping elements on the stack: changed only on push and pop
        self._pre = 0
        self._texts: dict[str, _Text] = {"body": _Text()}
        self._active: list[_Text] = [self._texts["body"]]
        self._title: _Text | None = None
        self._in_title = False
        self._dates: dict[int, str] = {}  # by rank: a lower rank is a surer date
        self.feed(markup)
        self.close()

    def text(self) -> str:
        for region in ("article", "main"):
            text = self._texts[region].text() if region in self._texts else ""
            if len(_WORD_RE.findall(text)) >= _MIN_ARTICLE_WORDS:
                return text
        return self._texts["body"].text()

    def title(self) -> str | None:
        h1 = _SPACE_RE.sub(" ", self._texts["h1"].text()) if "h1" in self._texts else ""
        title = self._title.text() if self._title else ""
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
            self._close(("head",))  # body content means the head has ended
        if tag in _BLOCK_TAGS and self._stack and self._stack[-1].tag == "p":
            self._pop_to(len(self._stack) - 1)
        self._close(*_IMPLIED_END.get(tag, ((), ())))
        entry = _Open(tag, self._skips(tag, a))
        self._emit(_break(tag))
        if tag == "title" and self._title is None and not self._inside("svg"):
            entry.collects = self._title = _Text()
            self._in_title = True
        elif tag in ("article", "main", "h1") and not (self._skip or entry.skips) and (
            tag not in self._texts or (tag == "h1" and not self._texts[tag].text())  # a logo h1 is empty
        ):
            entry.collects = self._texts[tag] = _Text()
            self._active.append(entry.collects)
        self._stack.append(entry)
        self._open[tag] = self._open.get(tag, 0) + 1
        self._skip += entry.skips
        self._pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:  # else "<br/>" would break twice
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # browsers read a stray "</br>" as "<br>"
            self._emit(_Text.newline)
        else:
            self._close((tag,))  # a stray end tag closes nothing, as in browsers

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1].tag == "head" and data.strip():
            self._close(("head",))
        if self._in_title and self._title is not None:
            self._title.add(data)
        if not self._skip:
            add = _Text.add_preformatted if self._pre else _Text.add
            for text in self._active:
                add(text, data)

    def _emit(self, action: Callable[[_Text], None] | None) -> None:
        if action is not None and not self._skip:
            for text in self._active:
                action(text)

    def _find(self, tags: tuple[str, ...], stops: tuple[str, ...] = ()) -> int:
        """Index of the innermost open element in ``tags``; -1 if none or one in ``stops`` is nearer."""
        if not self._inside(*tags):
            return -1
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i].tag in tags:
                return i
            if self._stack[i].tag in stops:
                break
        return -1

    def _inside(self, *tags: str) -> bool:
        return any(self._open.get(tag) for tag in tags)

    def _close(self, tags: tuple[str, ...], stops: tuple[str, ...] = ()) -> None:
        """Close the innermost open element in ``tags`` and all left open inside it."""
        i = self._find(tags, stops)
        if i >= 0:
            self._pop_to(i)

    def _pop_to(self, depth: int) -> None:
        """Pop open elements until ``depth`` remain, undoing what each one started."""
        while len(self._stack) > depth:
            entry = self._stack.pop()
            self._open[entry.tag] -= 1
            self._skip -= entry.skips
            self._pre -= entry.tag == "pre"
            if entry.collects is not None and entry.collects is self._title:
                self._in_title = False
            elif entry.collects in self._active:
                self._active.remove(entry.collects)
            self._emit(_break(entry.tag))

    def _skips(self, tag: str, a: dict[str, str]) -> bool:
        """Whether the element opening as ``tag`` with attributes ``a`` is hidden or furniture."""
        if tag in ("html", "body"):
            return False
        if tag in _SKIP_TAGS:  # but ASP.NET pages wrap the whole body in a <form>
            return not (tag == "form" and (not self._stack or self._stack[-1].tag in ("html", "body")))
        if tag == "header" and not self._inside("article", "main"):
            return True  # the site banner; an article's own header holds its h1
        if "hidden" in a or a.get("aria-hidden", "").strip().lower() == "true":
            return True
        if _HIDDEN_STYLE_RE.search(a.get("style", "")):
            return True
        if _SKIP_ROLES.intersection(a.get("role", "").lower().split()):
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
        if not value:
            return
        if tag == "meta" and a.get("property", "").lower() in _DATE_PROPERTIES:
            self._dates.setdefault(0, value)
        elif tag == "meta" and a.get("name", "").lower() in _DATE_NAMES:
            self._dates.setdefault(1, value)
        elif a.get("itemprop", "").lower() == "datepublished":
            # Not from a skipped region other than <head>: a related teaser has its own date.
            if self._skip <= self._open.get("head", 0):
                self._dates.setdefault(2, value)
        elif tag == "time" and not self._skip and self._inside("article", "main"):
            self._dates.setdefault(3, value)
