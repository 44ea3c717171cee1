"""Write docs/serve.png: the search page of `search serve` over a few articles.

    python docs/screenshot.py [--corpus FILE.jsonl.gz [--about WORD] [--sample N]]
                              [--query TEXT] [--output PATH]

Builds an index in a temporary folder, of seeds/ or, with ``--corpus``, of
the first ``--sample`` articles of a JSON-lines news corpus (records with
id, title, date, text and perhaps source) that mention ``--about``; a record
without a source is given the corpus file's name. Then starts `search serve`
on a free loopback port, opens the page with the query in a headless Debian
Chromium (/usr/bin/chromium, driven by Playwright's Python package, from the
`test` extra) and saves what it shows. Needs `pip install -e '.[serve,test]'`.

docs/serve.png is made over the news corpus beside the project, whose
articles have titles and dates over several years (the seeds have few):

    python docs/screenshot.py --corpus ../shared/corpora/orangesum-fr-news.jsonl.gz
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, List

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _served_url(process: "subprocess.Popen[str]") -> str:
    """The address `search serve --port 0` prints on its first line."""
    assert process.stdout is not None
    found = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
    if not found:
        process.kill()
        sys.exit(f"screenshot: search serve did not start (exit {process.wait()})")
    return found.group(0)


def _wait_until_up(base: str, process: "subprocess.Popen[str]") -> None:
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f"screenshot: search serve stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(base + "/health"):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    sys.exit("screenshot: search serve did not answer within a minute")


def _sample(corpus: Path, about: str, count: int) -> List[Dict[str, str]]:
    source = corpus.name.split(".")[0]
    found: List[Dict[str, str]] = []
    with (gzip.open(corpus, "rt", encoding="utf-8") if corpus.suffix == ".gz" else open(corpus, encoding="utf-8")) as lines:
        for line in lines:
            record = json.loads(line)
            if about in record.get("text", ""):
                found.append({key: str(record[key]) for key in ("id", "title", "date", "text") if record.get(key)}
                             | {"source": str(record.get("source") or source)})
                if len(found) == count:
                    break
    if not found:
        sys.exit(f"screenshot: no article of {corpus} mentions {about!r}")
    return found


def _build(index: Path, options: argparse.Namespace) -> None:
    if options.corpus is None:
        # From the project, with a relative path: each hit's source reads
        # "seeds/…txt", not this machine's folders.
        subprocess.run([sys.executable, "-m", "searchlib", "index", "--index", str(index), "seeds"],
                       check=True, stdout=subprocess.DEVNULL, cwd=PROJECT)
        return
    import searchlib

    with searchlib.Index(index) as ix:
        ix.add_documents(_sample(options.corpus, options.about, options.sample))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a JSON-lines news corpus (.jsonl or .jsonl.gz); seeds/ without it")
    parser.add_argument("--about", default="Syrie", help="the word the corpus's sampled articles mention")
    parser.add_argument("--sample", type=int, default=400, help="how many articles of the corpus to index")
    parser.add_argument("--query", default="cessez-le-feu en Syrie")
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "serve.png")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=860)
    options = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index"
        _build(index, options)
        server = subprocess.Popen([sys.executable, "-m", "searchlib", "serve", "--index", str(index), "--port", "0"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            base = _served_url(server)
            _wait_until_up(base, server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport={"width": options.width, "height": options.height}, locale="fr-FR")
                page.goto(base + "/?" + urllib.parse.urlencode({"q": options.query}))
                expect(page.locator("#results li.hit").first).to_be_visible(timeout=60_000)
                expect(page.locator("#resultats:not([aria-busy])")).to_be_attached(timeout=60_000)
                page.screenshot(path=str(options.output))
                browser.close()
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    print(f"wrote {options.output}")


if __name__ == "__main__":
    main()
