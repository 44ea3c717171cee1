"""The search page of `search serve`, in a real headless browser.

A real `search serve` process (tests/served.py) answers on a free loopback
port over a small index: the seed articles, three dispatches (one dated with
its year alone) and a document full of markup and script. Debian's Chromium
(``/usr/bin/chromium``, installed by .ci/run) is driven by Playwright's
Python package with that executable: no browser is ever downloaded. The
tests skip, saying why, only when no such browser can be launched.

Every page records the requests it makes, the dialogs it opens and the
errors its console shows; a test fails if the page asks for anything but
itself, its two files and the API, opens a dialog, or breaks its
Content-Security-Policy. One server and one browser serve the whole module,
which is why its tests stay in this one (long) file.
"""
from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install -e '.[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install -e '.[serve]'")

import searchlib  # noqa: E402

from served import Server, start  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: a loaded machine may be slow, and these are limits on waiting,
# never measurements.
PATIENCE_MS = 60_000
NO_BROWSER = (
    "no headless Chromium could be launched ({why}): install Debian's (apt-get install chromium, as .ci/run does) "
    "and the test extra (pip install -e '.[test]') to test the page"
)

try:
    from playwright.sync_api import (
        Browser, ConsoleMessage, Dialog, Error, Page, Request, expect, sync_playwright,
    )
except ImportError as missing:  # pragma: no cover - the test extra brings it
    pytest.skip(NO_BROWSER.format(why=f"no Playwright: {missing}"), allow_module_level=True)
if not CHROMIUM.exists():
    pytest.skip(NO_BROWSER.format(why=f"nothing at {CHROMIUM}"), allow_module_level=True)

expect.set_options(timeout=PATIENCE_MS)

HOSTILE_ID = "piege-<img src=x onerror=alert('id')>"
HOSTILE = {
    "id": HOSTILE_ID,
    "title": "<script>alert('titre')</script>Lavrov <img src=x onerror=alert('image')>",
    "text": (
        "Lavrov parle de la Syrie <script>alert('texte'); window.pwned = 1</script> puis "
        "<img src=x onerror=\"window.pwned = 2; alert('img')\"> et "
        "<a href=\"javascript:alert('lien')\">cliquez ici</a> ou javascript:alert('nu') "
        "<iframe src=\"https://exemple.invalid/cadre\"></iframe> <style>body { display: none }</style> "
        "<link rel=stylesheet href=\"https://exemple.invalid/x.css\"> <b onmouseover=\"alert('survol')\">gras</b>\n\n"
        "Second paragraphe : <svg onload=\"alert('svg')\"></svg> <meta http-equiv=\"refresh\" "
        "content=\"0; url=https://exemple.invalid/\"> Lavrov encore."
    ),
    "date": "2019-03-05",
    "source": "javascript:alert('source')",
}
DISPATCHES = [
    {
        "id": "depeche-2016",
        "title": "Alep : le cessez-le-feu en Syrie tient",
        "text": "Le cessez-le-feu en Syrie tient à Alep, selon Sergueï Lavrov. Les convois humanitaires passent. "
        "Les observateurs de l'ONU restent prudents sur la durée de la trêve.",
        "date": "2016-07-14",
        "source": "depeches",
    },
    {
        "id": "depeche-2018",
        "title": "Syrie : nouvelles négociations à Astana",
        "text": "Une nouvelle série de pourparlers sur la Syrie s'ouvre à Astana. Lavrov y rencontrera ses "
        "homologues turc et iranien pour parler du cessez-le-feu.",
        "date": "2018-02-01",
        "source": "depeches",
    },
    {
        # Dated with its year alone: the year facet counts it in 2017, so
        # the year's filter must keep it too.
        "id": "bilan-2017",
        "title": "Bilan de l'année en Syrie",
        "text": "L'année en Syrie : les négociations d'Astana, les zones de désescalade et Lavrov partout.",
        "date": "2017",
        "source": "archives",
    },
]


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[Server]:
    """A `search serve` process over the test index, on a loopback port
    the system chose (--port 0)."""
    root = tmp_path_factory.mktemp("page")
    with searchlib.Index(root / "index") as ix:
        assert ix.add_path(seeds_dir).added == 4
        assert ix.add_documents([HOSTILE, *DISPATCHES]).added == 4
    process = start(root / "index")
    yield process
    assert process.stop() == 0, process.log


@pytest.fixture(scope="module")
def server(served: Server) -> str:
    """The served page's origin, without a trailing slash."""
    return served.url.rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # launch() starts Chromium on a fresh temporary profile of its own,
    # removed when it closes: nothing is shared with another run.
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        except Error as failure:
            pytest.skip(NO_BROWSER.format(why=str(failure).splitlines()[0]))
        yield launched
        launched.close()


@dataclass
class Watch:
    """What a page did besides showing itself."""

    requests: List[str] = field(default_factory=list)
    dialogs: List[str] = field(default_factory=list)
    console_errors: List[str] = field(default_factory=list)
    page_errors: List[str] = field(default_factory=list)

    def searches(self) -> List[Dict[str, str]]:
        return [
            dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            for url in self.requests if urllib.parse.urlsplit(url).path == "/search"
        ]


@pytest.fixture
def watch() -> Watch:
    return Watch()


def _open(browser: Browser, watch: Watch, width: int = 1200, height: int = 800) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(PATIENCE_MS)

    def record(request: Request) -> None:
        watch.requests.append(request.url)

    def dialog_opened(dialog: Dialog) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            watch.console_errors.append(message.text)

    def page_error(error: Error) -> None:
        watch.page_errors.append(str(error))

    page.on("request", record)
    page.on("dialog", dialog_opened)
    page.on("console", console)
    page.on("pageerror", page_error)
    return page


@pytest.fixture
def page(browser: Browser, watch: Watch, server: str) -> Iterator[Page]:
    opened = _open(browser, watch)
    yield opened
    opened.context.close()
    _assert_contained(watch, server)


def _assert_contained(watch: Watch, server: str) -> None:
    """Nothing left the server's origin, no dialog opened, no script broke."""
    assert watch.requests, "the page made no request at all"
    elsewhere = [url for url in watch.requests if not url.startswith(server + "/")]
    assert elsewhere == []
    # Only the page, its two files and the API: a document's <img src=x>
    # made markup would ask the same origin for /x, and show here.
    assert [url for url in watch.requests if not _own_request(url)] == []
    assert watch.dialogs == []
    assert watch.page_errors == []
    # A Content-Security-Policy violation (an inline script or style in the
    # page itself) shows as a console error; answers with an error status,
    # which some tests cause on purpose, show as "Failed to load resource".
    assert watch.console_errors == []


def _own_request(url: str) -> bool:
    path = urllib.parse.urlsplit(url).path
    return (
        path in ("/", "/static/search.js", "/static/style.css", "/search")
        or (path.startswith("/documents/") and "/" not in path[len("/documents/"):])
    )


def _hit_titles(page: Page) -> List[str]:
    return page.locator("#results li.hit .hit-link").all_inner_texts()


def _hit_targets(page: Page) -> List[Dict[str, str]]:
    hrefs = [page.locator("#results li.hit .hit-link").nth(i).get_attribute("href") or ""
             for i in range(page.locator("#results li.hit").count())]
    return [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(href).query)) for href in hrefs]


def _address(page: Page) -> Dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))


def _wait_for_results(page: Page) -> None:
    expect(page.locator("#results li.hit").first).to_be_visible(timeout=PATIENCE_MS)
    expect(page.locator("#resultats:not([aria-busy])")).to_be_attached(timeout=PATIENCE_MS)


# ---- the page and its headers -------------------------------------------------


def test_the_page_and_its_files_come_with_a_strict_content_security_policy(page: Page, server: str) -> None:
    response = page.goto(server + "/")
    assert response is not None and response.status == 200
    policy = response.headers.get("content-security-policy", "")
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                      "frame-ancestors 'none'", "base-uri 'none'"):
        assert directive in policy
    assert response.headers.get("x-content-type-options") == "nosniff"
    # The page's own code and style load under that policy: the search box
    # is labelled, the keys are explained, the script is running.
    expect(page.get_by_label("Rechercher dans les documents")).to_be_focused()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.evaluate("getComputedStyle(document.querySelector('.top')).borderBottomStyle") == "solid"
    for name, kind in (("search.js", "javascript"), ("style.css", "text/css")):
        with urllib.request.urlopen(f"{server}/static/{name}") as answer:
            assert kind in answer.headers["Content-Type"]


# ---- searching ---------------------------------------------------------------


def test_typing_shows_highlighted_results_and_the_address_keeps_the_query(page: Page, watch: Watch, server: str) -> None:
    page.goto(server + "/")
    query = "cessez-le-feu en Syrie"
    page.get_by_label("Rechercher dans les documents").press_sequentially(query)
    _wait_for_results(page)
    page.wait_for_url(re.compile(r"\?q=cessez-le-feu"))
    assert _address(page) == {"q": query}

    # Results as you type, but not a search per key: the page waits for a pause.
    assert 1 <= len(watch.searches()) < len(query)
    assert watch.searches()[-1]["q"] == query

    hits = page.locator("#results li.hit")
    assert hits.count() == 10
    marks = [text.lower() for text in page.locator("#results li.hit .snippet mark").all_inner_texts()]
    assert "syrie" in marks and "cessez-le-feu" in marks
    # Each hit shows its title, date and source, as the API gives them; a
    # further passage of the document just above shows them once, above it.
    answer = _get_json(server + "/search?" + urllib.parse.urlencode({"q": query}))
    total = answer["total"]
    previous = None
    further = 0
    for number, hit in enumerate(answer["results"]):
        shown = hits.nth(number)
        title = hit["title"] or hit["doc_id"]
        if hit["doc_id"] == previous:
            further += 1
            expect(shown).to_have_class(re.compile(r"\bhit-more\b"))
            expect(shown.locator(".hit-link")).to_have_text(f"Autre passage de « {title} »")
            expect(shown.locator(".hit-link .visually-hidden")).to_have_text(f" de « {title} »")
            expect(shown.locator(".source, time")).to_have_count(0)
        else:
            expect(shown.locator(".hit-link")).to_have_text(title)
            expect(shown.locator(".source")).to_have_text(hit["source"])
            expect(shown.locator("time")).to_have_count(1 if hit["date"] else 0)
        expect(shown.locator(".passage")).to_have_text(f"passage {hit['passage']}")
        previous = hit["doc_id"]
    assert further > 0  # the seed articles have passages in a row
    assert page.locator("#results li.hit-more").count() == further
    expect(page.locator("#status")).to_have_text(f"{total} passages trouvés, résultats 1 à 10.")
    assert page.locator("#status").get_attribute("aria-live") == "polite"

    # Each hit's dated line is in French, from the hit's own date.
    dated = page.locator("#results li.hit time[datetime='2016-07-14']")
    expect(dated).to_have_text("14 juillet 2016")

    # The address can be shared: a reload (or a new tab) shows the same results.
    titles = _hit_titles(page)
    targets = _hit_targets(page)
    page.reload()
    _wait_for_results(page)
    assert _hit_titles(page) == titles and _hit_targets(page) == targets
    expect(page.get_by_label("Rechercher dans les documents")).to_have_value(query)

    other = _open(page.context.browser, watch)  # type: ignore[arg-type]
    other.goto(page.url)
    _wait_for_results(other)
    assert _hit_targets(other) == targets
    other.context.close()


def test_the_suggestion_is_a_link_that_searches_it(page: Page, server: str) -> None:
    page.goto(server + "/?q=" + urllib.parse.quote("Lavorv Syrie"))
    _wait_for_results(page)
    suggestion = page.locator("#suggestion a")
    expect(page.locator("#suggestion")).to_contain_text("Vouliez-vous dire : Lavrov Syrie ?")
    suggestion.click()
    page.wait_for_url(re.compile(r"q=Lavrov\+Syrie"))
    _wait_for_results(page)
    expect(page.get_by_label("Rechercher dans les documents")).to_have_value("Lavrov Syrie")
    expect(page.locator("#suggestion")).to_be_hidden()
    assert "lavrov" in [m.lower() for m in page.locator("#results mark").all_inner_texts()]
    page.go_back()
    page.wait_for_url(re.compile(r"q=Lavorv"))
    expect(page.locator("#suggestion")).to_be_visible()


def test_query_notes_and_service_errors_are_shown(page: Page, server: str) -> None:
    page.goto(server + "/?q=" + urllib.parse.quote('(Syrie "Lavrov'))
    _wait_for_results(page)
    expect(page.locator("#notes li").first).to_contain_text("unclosed quote")

    # A failing service is said so, in the alert region, instead of stale results.
    page.route("**/search?*", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": {"code": "unavailable", "message": "index en cours de maintenance"}}),
    ))
    page.get_by_label("Rechercher dans les documents").fill("Astana")
    page.keyboard.press("Enter")
    expect(page.locator("#error")).to_have_text("Erreur 503 : index en cours de maintenance")
    assert page.locator("#error").get_attribute("role") == "alert"
    expect(page.locator("#results li")).to_have_count(0)

    page.route("**/search?*", lambda route: route.abort())
    page.get_by_label("Rechercher dans les documents").fill("Alep")
    page.keyboard.press("Enter")
    expect(page.locator("#error")).to_contain_text("ne répond pas")

    page.unroute("**/search?*")
    page.goto(server + "/?doc=inconnu&passage=0")
    expect(page.locator("#error")).to_have_text("Document introuvable : « inconnu ».")
    expect(page.locator(".back-line a")).to_be_visible()


def test_facets_filter_by_year_and_source_when_clicked(page: Page, watch: Watch, server: str) -> None:
    page.goto(server + "/?q=Syrie")
    _wait_for_results(page)
    assert watch.searches()[-1]["facets"] == "year,source"
    counts = _get_json(server + "/search?q=Syrie&facets=year,source")["facets"]
    assert set(counts["year"]) == {"2016", "2017", "2018", "2019"}
    years = page.locator("#facets .facet").filter(has_text="Année")
    expect(years.locator(".facet-link")).to_have_count(4)
    # Values in the API's order (most passages first), each with its count.
    assert years.locator(".facet-value").all_inner_texts() == list(counts["year"])
    assert years.locator(".count").all_inner_texts() == [str(n) for n in counts["year"].values()]
    sources = page.locator("#facets .facet").filter(has_text="Source")
    assert sources.locator(".facet-value").all_inner_texts() == list(counts["source"])
    expected = counts["year"]["2017"]

    years.get_by_role("link", name=re.compile("^2017")).click()
    page.wait_for_url(re.compile(r"year=2017"))
    _wait_for_results(page)
    assert _address(page) == {"q": "Syrie", "year": "2017"}
    # The bare year on both bounds, so that a passage dated "2017" alone is
    # kept, as the facet counted it: the filter gives the count it showed.
    asked = watch.searches()[-1]
    assert (asked["after"], asked["before"]) == ("2017", "2017")
    filtered = _get_json(server + "/search?" + urllib.parse.urlencode({k: v for k, v in asked.items()}))
    assert filtered["total"] == expected
    assert "bilan-2017" in {hit["doc_id"] for hit in filtered["results"]}
    expect(page.locator("#status")).to_contain_text(f"{expected} passage")
    dates = page.locator("#results li.hit time").evaluate_all("nodes => nodes.map(n => n.getAttribute('datetime'))")
    documents = page.locator("#results li.hit:not(.hit-more)").count()
    assert page.locator("#results li.hit").count() == min(expected, 10)
    assert len(dates) == documents and all(date.startswith("2017") for date in dates)
    assert "2017" in dates  # the year-only passage is listed with the others
    chosen = years.locator("a[aria-current='true']")
    expect(chosen).to_contain_text("2017")

    chosen.click()  # clicking the chosen year lifts the filter
    page.wait_for_url(re.compile(r"^[^?]*\?q=Syrie$"))
    _wait_for_results(page)
    expect(years.locator(".facet-link")).to_have_count(4)

    sources.get_by_role("link", name=re.compile("^depeches")).click()
    page.wait_for_url(re.compile(r"source=depeches"))
    _wait_for_results(page)
    assert page.locator("#results li.hit .source").all_inner_texts() == ["depeches", "depeches"]
    assert watch.searches()[-1]["source"] == "depeches"
    expect(page.locator("#status")).to_contain_text(f"{counts['source']['depeches']} passages trouvés")
    page.reload()
    _wait_for_results(page)
    assert page.locator("#results li.hit .source").all_inner_texts() == ["depeches", "depeches"]


def test_pages_follow_each_other_and_back_returns(page: Page, server: str) -> None:
    total = _get_json(server + "/search?q=Syrie")["total"]
    assert total > 10
    page.goto(server + "/?q=Syrie")
    _wait_for_results(page)
    first_page = _hit_targets(page)
    expect(page.locator("#pager")).to_contain_text(f"Page 1 sur {-(-total // 10)}")
    page.locator("#pager").get_by_role("link", name=re.compile("Suivants")).click()
    page.wait_for_url(re.compile(r"offset=10"))
    _wait_for_results(page)
    second_page = _hit_targets(page)
    assert len(second_page) == min(10, total - 10)
    assert not {(t["doc"], t["passage"]) for t in first_page} & {(t["doc"], t["passage"]) for t in second_page}
    assert page.locator("#results").get_attribute("start") == "11"
    expect(page.locator("#status")).to_contain_text(f"résultats 11 à {10 + len(second_page)}")
    expect(page.locator("#pager")).to_contain_text("Page 2")
    page.go_back()
    page.wait_for_url(re.compile(r"\?q=Syrie$"))
    _wait_for_results(page)
    assert _hit_targets(page) == first_page


def test_a_hit_opens_its_document_with_the_passage_highlighted_in_view(page: Page, server: str) -> None:
    page.goto(server + "/?q=" + urllib.parse.quote("format d'Astana"))
    _wait_for_results(page)
    target = _hit_targets(page)[0]
    page.locator("#results .hit-link").first.click()
    page.wait_for_url(re.compile(r"doc="))
    assert _address(page)["doc"] == target["doc"] and _address(page)["passage"] == target["passage"]

    document = _get_json(server + "/documents/" + urllib.parse.quote(target["doc"], safe=""))
    passage = next(p for p in document["passages"] if p["number"] == int(target["passage"]))
    found = page.locator("#document mark.passage-found")
    expect(found).to_be_visible()
    expected = " ".join(document["text"][passage["start"]:passage["end"]].split())
    assert " ".join(found.inner_text().split()) == expected
    expect(found).to_be_focused()
    expect(found).to_be_in_viewport()
    # The query's words are marked inside it, at the hit's own offsets.
    hit = _get_json(server + "/search?" + urllib.parse.urlencode({"q": "format d'Astana"}))["results"][0]
    words = [hit["text"][start:end] for start, end in hit["highlights"]]
    assert "Astana" in words
    expect(found.locator("strong.word")).to_have_text(words)
    # The rest of the document is there too, unhighlighted.
    assert page.locator("#document .passage").count() == len(document["passages"])
    assert page.locator("#document mark").count() == 1
    assert page.locator("#document strong").count() == len(words)
    page.reload()
    expect(page.locator("#document mark.passage-found strong.word")).to_have_text(words)

    page.go_back()
    page.wait_for_url(re.compile(r"\?q=format"))
    _wait_for_results(page)
    expect(page.locator("#document")).to_be_hidden()
    assert _hit_targets(page)[0] == target


def test_the_keyboard_alone_searches_moves_and_opens(page: Page, server: str) -> None:
    page.goto(server + "/?q=Astana")
    _wait_for_results(page)
    targets = _hit_targets(page)
    assert len(targets) >= 3
    box = page.get_by_label("Rechercher dans les documents")
    page.locator("#status").click()  # focus leaves the box
    expect(box).not_to_be_focused()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("Astana")  # the slash selected the query, it did not type into it

    links = page.locator("#results .hit-link")
    page.keyboard.press("ArrowDown")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(links.nth(2)).to_be_focused()
    # The focused hit is visibly marked.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("ArrowUp")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"doc="))
    assert {"doc": _address(page)["doc"], "passage": _address(page)["passage"]} == {
        "doc": targets[1]["doc"], "passage": targets[1]["passage"]}
    expect(page.locator("#document mark.passage-found")).to_be_focused()

    # "/" from the document starts a new search; Enter runs it at once.
    page.keyboard.press("/")
    expect(box).to_be_focused()
    page.keyboard.type("Alep")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q=Alep$"))
    _wait_for_results(page)
    expect(page.locator("#document")).to_be_hidden()


# ---- hostile documents ------------------------------------------------------------


def _assert_inert(page: Page) -> None:
    assert page.evaluate("window.pwned") is None
    # Nothing of the document became markup: no element the page did not make.
    made = page.evaluate(
        "Array.from(document.querySelectorAll('main *')).map(n => n.tagName.toLowerCase())"
    )
    assert not {"script", "img", "iframe", "style", "link", "svg", "meta", "b"} & set(made)
    hrefs = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    assert hrefs and all(href.startswith(("/", "#")) for href in hrefs)


def test_a_hostile_document_shows_as_text_and_runs_nothing(page: Page, watch: Watch, server: str) -> None:
    page.goto(server + "/?q=" + urllib.parse.quote("Lavrov gras"))
    _wait_for_results(page)
    hostile = page.locator("#results li.hit").filter(has_text="<script>alert('titre')</script>")
    expect(hostile).to_have_count(1)
    expect(hostile.locator(".hit-link")).to_have_text("<script>alert('titre')</script>Lavrov <img src=x onerror=alert('image')>")
    expect(hostile.locator(".source")).to_have_text("javascript:alert('source')")
    expect(hostile.locator(".snippet")).to_contain_text("<b onmouseover=\"alert('survol')\">gras</b>")
    expect(hostile.locator(".snippet mark")).to_have_text(["gras", "Lavrov"])
    _assert_inert(page)

    hostile.locator(".hit-link").click()
    page.wait_for_url(re.compile(r"doc=piege"))
    expect(page.locator("#document h1")).to_have_text(HOSTILE["title"])
    expect(page.locator("#document")).to_contain_text("<svg onload=\"alert('svg')\"></svg>")
    expect(page.locator("#document")).to_contain_text("<script>alert('texte'); window.pwned = 1</script>")
    expect(page.locator("#document")).to_contain_text("<a href=\"javascript:alert('lien')\">cliquez ici</a>")
    page.locator("#document").get_by_text("cliquez ici").first.click()
    page.locator("#document").get_by_text("gras").first.hover()
    _assert_inert(page)
    assert _address(page)["doc"] == HOSTILE_ID

    # Straight from a shared link, too.
    page.goto(server + "/?" + urllib.parse.urlencode({"doc": HOSTILE_ID, "passage": "0"}))
    expect(page.locator("#document mark.passage-found")).to_contain_text("Lavrov parle de la Syrie <script>")
    _assert_inert(page)
    assert watch.dialogs == [] and len(watch.requests) > 4
    documents = {urllib.parse.unquote(urllib.parse.urlsplit(url).path) for url in watch.requests
                 if urllib.parse.urlsplit(url).path.startswith("/documents/")}
    assert documents == {"/documents/" + HOSTILE_ID}


# ---- a phone -----------------------------------------------------------------------


def test_the_page_reads_on_a_phone_width(browser: Browser, watch: Watch, server: str) -> None:
    page = _open(browser, watch, width=375, height=740)
    page.goto(server + "/?q=Syrie")
    _wait_for_results(page)
    # Nothing is wider than the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for locator in (page.get_by_label("Rechercher dans les documents"), page.locator("#results .hit-link").first,
                    page.locator("#facets .facet-link").first, page.locator("#results .snippet").first):
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    # The results come right under the box and the filters, not beside them.
    results = page.locator("#results").bounding_box()
    facets = page.locator("#facets").bounding_box()
    assert results is not None and facets is not None and results["y"] > facets["y"] + facets["height"] - 1
    page.locator("#results .hit-link").first.click()
    expect(page.locator("#document mark.passage-found")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
    _assert_contained(watch, server)
