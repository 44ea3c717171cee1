"""Hostile documents end to end, through the public API and the command line.

* HTML snippets escape the document's text: ``<script>``, ``<img onerror=…>``,
  a literal ``&lt;`` and ``a < b && c > d`` round-trip exactly, and the only
  tags a snippet holds are ``<mark>``/``</mark>``; ``hit.text`` is the text
  as stored, and the text and ANSI formats keep its characters.
* NUL bytes, control characters, lone surrogates, invalid UTF-8 and file
  names that are not UTF-8 do not break ingestion: every such source is
  indexed (or reported on one line naming it).
* Symbolic link loops and unreadable folders are reported, naming the path,
  and indexing completes in bounded time with the documented exit status.
"""

from __future__ import annotations

import ctypes
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

import searchlib
from searchlib import Hit

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
ENV.pop("SEARCHLIB_INDEX", None)
ENV.pop("SEARCHLIB_DEBUG", None)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ENTITY = "&lt;b&gt;"
COMPARE = "a < b && c > d"

BALISES = f"""Titre : des balises dans le texte

Le ministre de Palmyre a écrit {SCRIPT} dans sa lettre sur Palmyre.

Une image {IMG} accompagnait la dépêche sur Palmyre.

Le code source de Palmyre montre {ENTITY} au lieu du gras.

En logique, {COMPARE} se lit simplement, même à Palmyre.
"""
PAGE = """<!doctype html><html><head><title>&lt;script&gt;Tombouctou</title>
<style>body { background: url(javascript:alert(1)) }</style>
<script>alert("page")</script></head>
<body><article onclick="alert(2)"><h1>Tombouctou &amp; les balises</h1>
<p>On lit &lt;script&gt;alert(3)&lt;/script&gt; dans le texte de Tombouctou.</p>
<p>Une image <img src=x onerror=alert(4)> sans texte, à Tombouctou.</p>
<p>Le code &amp;lt;i&amp;gt; reste écrit à Tombouctou, et 1 &lt; 2 &amp;&amp; 3 &gt; 2.</p>
<iframe src="javascript:alert(5)">Tombouctou cachée</iframe>
</article></body></html>
"""
# JSON escapes in the file: json.loads makes lone surrogates of them.
SURROGATES = "\n".join(
    [
        r'{"id": "surr-1", "title": "Titre \ud800 de Mossoul", "text": "Un texte sur Mossoul \ud800 avec \udfff des demi-paires \ud83d seules.", "auteur": "X \udc00", "\udfffcle": ["\ud800"]}',
        r'{"id": "surr-\ud800-2", "url": "https://exemple.fr/\udcff", "text": "Un autre texte sur Mossoul."}',
        r'{"id": "surr-\udfff-2", "text": "Encore un texte sur Mossoul."}',
        r'{"id": "surr-3", "text": "Une paire valide \ud83d\ude00 reste un émoji, à Mossoul."}',
    ]
)
# A few stray controls in a page of text (many would make it binary data).
FILLER = " ".join(["Une phrase ordinaire de remplissage, sans rien de spécial."] * 12)
CONTROLS = f"Titre sale\n\nTexte\x00 sur\x00\x00Kaboul\x07 avec\x1b[31m des\x0b contrôles\x7f et\x1f un\x08 retour.\n\n{FILLER}\n"
INVALID_UTF8 = b"Une d\xe9p\xeache de Djibouti \xff\xc3\x28 mal encod\xe9e \x80\x81 fin.\n"
UNDECODABLE_NAME = b"nom-\xff-invalide.txt"


# -- helpers ------------------------------------------------------------------------


class _Markup(HTMLParser):
    """Every tag, declaration and reference a snippet holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: List[Tuple[str, str, list]] = []
        self.refs: List[str] = []
        self.other: List[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(("start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.tags.append(("startend", tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("end", tag, []))

    def handle_entityref(self, name: str) -> None:
        self.refs.append(name)

    def handle_charref(self, name: str) -> None:
        self.refs.append("#" + name)

    def handle_comment(self, data: str) -> None:
        self.other.append("comment " + data)

    def handle_decl(self, decl: str) -> None:
        self.other.append("decl " + decl)

    def handle_pi(self, data: str) -> None:
        self.other.append("pi " + data)

    def unknown_decl(self, data: str) -> None:
        self.other.append("unknown " + data)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def expected_snippet(hit: Hit, opening: str = "", closing: str = "") -> str:
    """The snippet's window of ``hit.text``, white space collapsed, "…"
    where cut, each highlight inside ``opening``/``closing``: what every
    format must show once its own escaping is undone."""
    left, right = hit.snippet_window
    pieces = ["…"] if left > 0 else []
    cursor = left
    for start, end in hit.highlights:
        if start < left or end > right:
            continue
        pieces += [_collapse(hit.text[cursor:start]), opening + _collapse(hit.text[start:end]) + closing]
        cursor = end
    pieces.append(_collapse(hit.text[cursor:right]))
    if right < len(hit.text):
        pieces.append("…")
    return "".join(pieces).strip()


def check_html_snippet(hit: Hit) -> None:
    """Valid escaped HTML whose only tags are bare <mark>…</mark> pairs, and
    which reads back as exactly the stored text of its window."""
    snippet = hit.snippet
    assert "\x00" not in snippet and not re.search(r"<(?!/?mark>)", snippet), snippet
    assert not re.search(r"(?<!<mark)(?<!</mark)>", snippet), snippet
    assert not re.search(r"&(?!(?:lt|gt|amp);)", snippet), snippet
    parser = _Markup()
    parser.feed(snippet)
    parser.close()
    assert parser.other == [], parser.other
    assert set(parser.refs) <= {"lt", "gt", "amp"}
    kinds = [(kind, tag, attrs) for kind, tag, attrs in parser.tags]
    assert all(tag == "mark" and attrs == [] and kind != "startend" for kind, tag, attrs in kinds), kinds
    assert [kind for kind, _, _ in kinds] == ["start", "end"] * (len(kinds) // 2), kinds
    # The round trip: unescaped, the snippet is the text exactly.
    assert html.unescape(snippet) == expected_snippet(hit, "<mark>", "</mark>")
    unmarked = snippet.replace("<mark>", "").replace("</mark>", "")
    assert html.unescape(unmarked) == expected_snippet(hit)
    assert _collapse(expected_snippet(hit).strip("…")) in _collapse(hit.text)


def check_html_line(snippet: str) -> bool:
    """Escaped HTML with no tag but <mark>…</mark>, as a printed line."""
    parser = _Markup()
    parser.feed(snippet)
    parser.close()
    return (
        not re.search(r"<(?!/?mark>)", snippet)
        and not re.search(r"&(?!(?:lt|gt|amp);)", snippet)
        and all(tag == "mark" and not attrs for _, tag, attrs in parser.tags)
        and not parser.other
    )


def check_other_formats(hit: Hit) -> None:
    """Text and ANSI snippets keep the raw characters, and no escape
    sequence but their own bold marks."""
    assert hit.format_snippet("text") == expected_snippet(hit, "[", "]")
    assert hit.format_snippet("text", marks=("", "")) == expected_snippet(hit)
    ansi = hit.format_snippet("ansi")
    assert ansi == expected_snippet(hit, "\x1b[1m", "\x1b[0m")
    assert "\x1b" not in ansi.replace("\x1b[1m", "").replace("\x1b[0m", "")


def no_control_characters(text: str) -> bool:
    return not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)


def encodable(value: object) -> bool:
    """Whether a value (str, or JSON-like data of them) is valid UTF-8 text."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def write_sources(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "balises.txt").write_text(BALISES, encoding="utf-8")
    (folder / "page.html").write_text(PAGE, encoding="utf-8")
    (folder / "surrogates.jsonl").write_text(SURROGATES + "\n", encoding="utf-8")
    (folder / "controles.txt").write_bytes(CONTROLS.encode("utf-8"))
    (folder / "latin.txt").write_bytes(INVALID_UTF8)
    with open(os.path.join(os.fsencode(folder), UNDECODABLE_NAME), "wb") as handle:
        handle.write("Un fichier au nom mal encodé, sur Tripoli.".encode("utf-8"))
    return folder


EXPECTED_IDS = {
    "balises", "page", "surr-1", "surr-\\ud800-2", "surr-\\udfff-2", "surr-3", "controles", "latin",
    "nom-\\udcff-invalide",
}  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[searchlib.Index, searchlib.AddReport, Path]]:
    base = tmp_path_factory.mktemp("hostile")
    sources = write_sources(base / "src")
    with searchlib.Index(base / "index") as ix:
        report = ix.add_path(sources)
        yield ix, report, sources


def every_hit(ix: searchlib.Index, query: str, **options: object) -> List[Hit]:
    results = ix.search(query, limit=50, **options)  # type: ignore[arg-type]
    assert len(results) == results.total, "every matching passage is listed"
    return list(results)


# -- ingestion ------------------------------------------------------------------


def test_every_hostile_source_is_indexed(hostile):
    ix, report, sources = hostile
    assert report.failed == 0, [str(f) for f in report.failures]
    assert report.added == len(EXPECTED_IDS)
    ids = {hit.doc_id for word in ("Palmyre", "Tombouctou", "Mossoul", "Kaboul", "Djibouti", "Tripoli") for hit in every_hit(ix, word)}
    assert ids == EXPECTED_IDS
    # The only warning names the file that is not UTF-8.
    assert [(Path(w.source).name, "not UTF-8" in w.message) for w in report.warnings] == [("latin.txt", True)]


def test_nul_bytes_and_control_characters_become_spaces(hostile):
    ix, _, _ = hostile
    (hit,) = every_hit(ix, "Kaboul contrôles")
    assert hit.doc_id == "controles"
    assert no_control_characters(hit.text) and no_control_characters(hit.title or "")
    # Words on either side of a control stay apart (and findable).
    assert "Texte sur Kaboul avec [31m des contrôles et un retour." in _collapse(hit.text)
    assert {hit.doc_id for hit in every_hit(ix, "retour")} == {"controles"}
    check_html_snippet(hit)
    check_other_formats(hit)


def test_invalid_utf8_is_read_as_windows_1252(hostile):
    ix, _, _ = hostile
    (hit,) = every_hit(ix, "Djibouti")
    assert hit.doc_id == "latin" and "dépêche" in hit.text and "encodée" in hit.text
    assert [h.doc_id for h in every_hit(ix, "depeche AND encodee")] == ["latin"]


def test_lone_surrogates_in_json_lines(hostile):
    ix, _, _ = hostile
    hits = {hit.doc_id: hit for hit in every_hit(ix, "Mossoul")}
    assert set(hits) == {"surr-1", "surr-\\ud800-2", "surr-\\udfff-2", "surr-3"}
    for hit in hits.values():
        assert encodable([hit.doc_id, hit.text, hit.title, hit.source, hit.snippet, hit.metadata])
        check_html_snippet(hit)
        check_other_formats(hit)
    first = hits["surr-1"]
    assert first.text == "Un texte sur Mossoul \ufffd avec \ufffd des demi-paires \ufffd seules."
    assert first.title == "Titre \ufffd de Mossoul"
    assert first.metadata == {"auteur": "X \ufffd", "\ufffdcle": ["\ufffd"]}
    assert hits["surr-\\ud800-2"].source == "https://exemple.fr/\\udcff"
    assert "\U0001f600" in hits["surr-3"].text  # a valid pair stays an emoji
    # Filters on escaped ids and sources find them, typed either way.
    assert [h.doc_id for h in every_hit(ix, "doc:«surr-\ud800-2» Mossoul")] == ["surr-\\ud800-2"]
    assert [h.doc_id for h in every_hit(ix, r'doc:"surr-\ud800-2" Mossoul')] == ["surr-\\ud800-2"]
    assert [h.doc_id for h in every_hit(ix, "source:exemple.fr/\udcff Mossoul")] == ["surr-\\ud800-2"]
    assert ix.document("surr-\\udfff-2") is not None


def test_a_file_name_that_is_not_utf8(hostile):
    ix, _, _ = hostile
    (hit,) = every_hit(ix, "Tripoli")
    assert hit.doc_id == "nom-\\udcff-invalide" and encodable([hit.doc_id, hit.source])
    assert hit.source is not None and hit.source.endswith("nom-\\udcff-invalide.txt")


def test_documents_given_directly_with_surrogates_and_controls(index):
    report = index.add_documents(
        [
            {"id": "direct-\ud800", "text": "Texte\x00 direct sur Benghazi \udfff.", "title": "T\x07\ud800", "note": "\ud800"},
            searchlib.Document("direct-\udc80", "Autre texte <b>direct</b> sur Benghazi.", metadata={"k": ("\udfff",)}),
        ]
    )
    assert (report.added, report.failed) == (2, 0)
    hits = {hit.doc_id: hit for hit in index.search("Benghazi", limit=10)}
    assert set(hits) == {"direct-\\ud800", "direct-\\udc80"}
    first = hits["direct-\\ud800"]
    assert first.text == "Texte  direct sur Benghazi \ufffd." and first.title == "T \ufffd"
    assert first.metadata == {"note": "\ufffd"} and hits["direct-\\udc80"].metadata == {"k": ("\ufffd",)}
    for hit in hits.values():
        assert encodable([hit.doc_id, hit.text, hit.title, hit.snippet, list(hit.metadata.items())])
        check_html_snippet(hit)


# -- snippets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["Palmyre", "script alert", "img onerror", "src x", "lt b gt", "a b c d", "Tombouctou", "alert", "lt i gt", "1 2 3",
     '"lt b"', "title:script", "balises"],
)  # fmt: skip
def test_html_snippets_escape_the_text(hostile, query):
    ix, _, _ = hostile
    hits = every_hit(ix, query)
    assert hits, query
    for hit in hits:
        check_html_snippet(hit)
        check_other_formats(hit)
    wide = every_hit(ix, query, snippet_chars=2000)
    for hit in wide:
        check_html_snippet(hit)
        assert hit.snippet_window == (0, len(hit.text))


def test_the_hostile_text_round_trips(hostile):
    ix, _, sources = hostile
    (hit,) = every_hit(ix, "Palmyre", snippet_chars=2000)
    # hit.text is the source's text, unchanged, at its offsets.
    assert hit.text == BALISES[hit.start : hit.end]
    for raw in (SCRIPT, IMG, ENTITY, COMPARE):
        assert raw in hit.text
    snippet = hit.snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in snippet
    assert "&amp;lt;b&amp;gt;" in snippet and html.unescape("&amp;lt;b&amp;gt;") == ENTITY
    assert "a &lt; b &amp;&amp; c &gt; d" in snippet
    assert "<script" not in snippet.lower() and "<img" not in snippet.lower()
    text = hit.format_snippet("text", marks=("", ""))
    for raw in (SCRIPT, IMG, ENTITY, COMPARE):
        assert raw in text


def test_html_markup_is_not_text_but_escaped_entities_are(hostile):
    ix, _, _ = hostile
    (hit,) = every_hit(ix, "Tombouctou", snippet_chars=2000)
    assert hit.doc_id == "page" and hit.title == "<script>Tombouctou"
    # What the page displays is the text: entities decoded, markup gone.
    assert "<script>alert(3)</script>" in hit.text and "&lt;i&gt;" in hit.text and "1 < 2 && 3 > 2" in hit.text
    assert "onerror" not in hit.text and 'alert("page")' not in hit.text and "javascript" not in hit.text
    assert "onclick" not in hit.text and "background" not in hit.text
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in hit.snippet and "&amp;lt;i&amp;gt;" in hit.snippet
    check_html_snippet(hit)


# -- the command line ---------------------------------------------------------------


def _without_dac_override() -> None:
    """In the child, before exec: take CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    out of the bounding set, so that root, after exec, obeys file modes like
    any user (prctl PR_CAPBSET_DROP)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def cli(*args: str, obey_modes: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """``search ARGS`` in a real process (real stdout encoding); with
    ``obey_modes``, one that file modes stop even when run as root."""
    extra = {"preexec_fn": _without_dac_override} if obey_modes and os.geteuid() == 0 else {}
    return subprocess.run(
        [sys.executable, "-m", "searchlib", *args], env=ENV, capture_output=True, timeout=timeout, **extra  # type: ignore[call-overload]
    )


def test_cli_indexes_hostile_sources_and_prints_them_safely(tmp_path):
    sources = write_sources(tmp_path / "src")
    ix = str(tmp_path / "ix")
    done = cli("index", "--index", ix, str(sources))
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 0, stderr
    assert f"{len(EXPECTED_IDS)} added" in done.stdout.decode("utf-8") and "0 failed" in done.stdout.decode("utf-8")
    (line,) = stderr.splitlines()
    assert line.startswith(f"searchlib: warning: {sources / 'latin.txt'}: not UTF-8"), stderr

    plain = cli("--index", ix, "-n", "50", "script alert Mossoul Kaboul Tripoli")
    out = plain.stdout.decode("utf-8")  # strict: valid UTF-8
    assert plain.returncode == 0, plain.stderr
    assert "[script]>[alert](1)</[script]>" in out  # text format: the characters as written
    assert "\x1b" not in out and no_control_characters(out.replace("\n", ""))
    assert "nom-\\udcff-invalide" in out and "surr-\\ud800-2" in out and "\ufffd" in out

    ansi = cli("--index", ix, "--format", "ansi", "-n", "50", "script Kaboul")
    out = ansi.stdout.decode("utf-8")
    assert ansi.returncode == 0 and "<\x1b[1mscript\x1b[0m>" in out
    assert "\x1b" not in re.sub(r"\x1b\[[01]m", "", out) and "[31m" in out  # the text's "[31m", never an escape

    as_html = cli("--index", ix, "--format", "html", "--snippet-chars", "2000", "-n", "50", "script img onerror lt b gt")
    out = as_html.stdout.decode("utf-8")
    assert as_html.returncode == 0
    # Only snippets are HTML (the heading line is plain text, the title as written).
    snippets = [line for line in out.splitlines() if line.startswith("   ")]
    assert len(snippets) == 2 and all(check_html_line(line.strip()) for line in snippets), snippets
    # Marks go around words, never inside an entity.
    assert "&lt;<mark>script</mark>&gt;" in out and "&amp;<mark>lt</mark>;<mark>b</mark>&amp;<mark>gt</mark>;" in out

    as_json = cli("--index", ix, "--json", "-n", "50", "Palmyre Tombouctou Mossoul Kaboul Djibouti Tripoli")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout.decode("utf-8"))
    assert {r["doc_id"] for r in data["results"]} == EXPECTED_IDS
    by_id = {r["doc_id"]: r for r in data["results"]}
    assert SCRIPT in by_id["balises"]["text"] and IMG in by_id["balises"]["text"]
    assert ENTITY in by_id["balises"]["text"] and COMPARE in by_id["balises"]["text"]
    assert by_id["surr-1"]["metadata"] == {"auteur": "X \ufffd", "\ufffdcle": ["\ufffd"]}
    for result in data["results"]:
        snippet = result["snippet"]
        assert not re.search(r"<(?!/?mark>)", snippet) and not re.search(r"&(?!(?:lt|gt|amp);)", snippet), snippet
        assert no_control_characters(result["text"])


def test_cli_reports_a_file_that_fails_under_a_name_that_is_not_utf8(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "bon.txt").write_text("Un bon texte sur Alep.", encoding="utf-8")
    with open(os.path.join(os.fsencode(sources), b"image-\xfe.txt"), "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    done = cli("index", "--index", str(tmp_path / "ix"), str(sources))
    stderr = done.stderr.decode("utf-8")  # strict: valid UTF-8
    assert done.returncode == 1
    assert stderr.splitlines() == [f"searchlib: {sources}/image-\\udcfe.txt: binary file (a PNG image), not text"]
    assert "1 added" in done.stdout.decode("utf-8") and "1 failed" in done.stdout.decode("utf-8")


# -- symbolic link loops and unreadable folders -------------------------------------


def make_loops(root: Path) -> int:
    """A folder tree full of symbolic link loops; returns how many real files it holds."""
    for name in "abcdefgh":
        folder = root / name
        folder.mkdir(parents=True)
        (folder / f"{name}.txt").write_text(f"Le dossier {name} parle de Raqqa.", encoding="utf-8")
    for name in "abcdefgh":
        for other in "abcdefgh":
            (root / name / f"vers-{other}").symlink_to(root / other, target_is_directory=True)
        (root / name / "parent").symlink_to("..", target_is_directory=True)
    (root / "soi").symlink_to("soi")  # a link to itself: the system says ELOOP
    (root / "a" / "x").symlink_to("y")
    (root / "a" / "y").symlink_to("x")
    # A folder outside the tree is followed (once), and a link from it back
    # into the tree is not.
    outside = root.parent / "dehors"
    outside.mkdir()
    (outside / "o.txt").write_text("Un texte dehors sur Raqqa.", encoding="utf-8")
    (outside / "retour").symlink_to(root / "b", target_is_directory=True)
    (root / "h" / "dehors").symlink_to(outside, target_is_directory=True)
    return 9


def test_symlink_loops_are_reported_not_followed(tmp_path, index, monkeypatch):
    files = make_loops(tmp_path / "src")
    listed: List[str] = []
    scandir = os.scandir

    def listing(path):  # type: ignore[no-untyped-def]
        listed.append(os.path.realpath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", listing)
    report = index.add_path(tmp_path / "src")
    # Each real folder is read once, whatever the loops: the tree, its eight
    # folders and the one outside it.
    assert sorted(listed) == sorted({os.path.realpath(p) for p in [tmp_path / "src", tmp_path / "dehors", *(tmp_path / "src" / n for n in "abcdefgh")]})
    assert report.added == files  # each file once, however many paths lead to it
    failures = {Path(f.source).relative_to(tmp_path / "src").as_posix(): f.message for f in report.failures}
    assert failures["soi"] == "Too many levels of symbolic links"
    assert "symbolic link" in failures["a/x"] and "symbolic link" in failures["a/y"]
    # A link to a folder above it is a loop; one to another folder of the
    # tree is not followed either (that folder is read under its own name).
    loops = {name for name, message in failures.items() if message.startswith("symbolic link loop")}
    assert loops == {f"{n}/{link}" for n in "abcdefgh" for link in ("parent", f"vers-{n}")}
    assert len(failures) == len(loops) + 3
    assert sorted(hit.doc_id for hit in index.search("Raqqa", limit=50)) == sorted([f"{n}/{n}" for n in "abcdefgh"] + ["h/dehors/o"])


def test_cli_reports_symlink_loops_and_completes(tmp_path):
    files = make_loops(tmp_path / "src")
    done = cli("index", "--index", str(tmp_path / "ix"), str(tmp_path / "src"))
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 1  # docs/cli.md: unreadable sources make the status 1
    assert f"searchlib: {tmp_path / 'src' / 'soi'}: Too many levels of symbolic links" in stderr.splitlines()
    assert any(line.startswith(f"searchlib: {tmp_path / 'src' / 'a' / 'parent'}: symbolic link loop") for line in stderr.splitlines())
    assert all(line.startswith("searchlib: ") for line in stderr.splitlines()) and "Traceback" not in stderr
    assert f"{files} added" in done.stdout.decode("utf-8")


@pytest.fixture
def unreadable_tree(tmp_path: Path) -> Iterator[Path]:
    """Sources with a folder no one may enter, a folder whose entries cannot
    be looked at and a file no one may read (modes restored afterwards)."""
    src = tmp_path / "src"
    (src / "ferme").mkdir(parents=True)
    (src / "ferme" / "secret.txt").write_text("Un secret sur Deir ez-Zor.", encoding="utf-8")
    (src / "aveugle" / "dedans").mkdir(parents=True)
    (src / "aveugle" / "vu.txt").write_text("Un texte sur Deir ez-Zor.", encoding="utf-8")
    (src / "ouvert.txt").write_text("Un texte ouvert sur Deir ez-Zor.", encoding="utf-8")
    (src / "illisible.txt").write_text("Un texte illisible sur Deir ez-Zor.", encoding="utf-8")
    modes = {src / "ferme": 0, src / "aveugle": 0o644, src / "illisible.txt": 0}  # 0o644 folder: listed, not entered
    try:
        for path, mode in modes.items():
            path.chmod(mode)
        yield src
    finally:
        for path in modes:
            path.chmod(0o755)


def test_unreadable_folders_and_files_are_reported(unreadable_tree, tmp_path):
    src = unreadable_tree
    index = str(tmp_path / "ix")
    # The command really cannot read them (root included: see cli()).
    probe = subprocess.run(
        ["cat", str(src / "illisible.txt")], capture_output=True,
        preexec_fn=_without_dac_override if os.geteuid() == 0 else None,
    )  # fmt: skip
    assert probe.returncode != 0 and b"Permission denied" in probe.stderr
    done = cli("index", "--index", index, str(src), obey_modes=True)
    stderr = done.stderr.decode("utf-8")
    lines = stderr.splitlines()
    assert done.returncode == 1, stderr  # docs/cli.md: unreadable sources make the status 1
    assert f"searchlib: {src / 'ferme'}: cannot list folder (Permission denied)" in lines, stderr
    assert f"searchlib: {src / 'illisible.txt'}: cannot read (Permission denied)" in lines, stderr
    assert f"searchlib: {src / 'aveugle' / 'vu.txt'}: Permission denied" in lines, stderr
    assert f"searchlib: {src / 'aveugle' / 'dedans'}: cannot list folder (Permission denied)" in lines, stderr
    assert len(lines) == 4 and "Traceback" not in stderr
    assert "1 added" in done.stdout.decode("utf-8") and "4 failed" in done.stdout.decode("utf-8"), done.stdout
    # What was readable is searchable; the rest is not there.
    found = cli("--index", index, "--json", "Deir")
    assert found.returncode == 0, found.stderr
    assert [r["doc_id"] for r in json.loads(found.stdout)["results"]] == ["ouvert"]
