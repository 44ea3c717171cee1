"""Write docs/serve.png: the search page of `search serve` over seeds/.

    python docs/screenshot.py [--query TEXT] [--output PATH]

Builds an index of seeds/ in a temporary folder, starts `search serve` on a
free loopback port, opens the page with the query in a headless Debian
Chromium (/usr/bin/chromium, driven by Playwright's Python package, from
the `test` extra) and saves what it shows. Needs `pip install -e '.[serve,test]'`.
"""
from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, process: "subprocess.Popen[bytes]") -> None:
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f"screenshot: search serve stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(base + "/health"):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    sys.exit("screenshot: search serve did not answer within a minute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", default="cessez-le-feu en Syrie")
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "serve.png")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=860)
    options = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index"
        subprocess.run([sys.executable, "-m", "searchlib", "index", "--index", str(index), str(PROJECT / "seeds")],
                       check=True, stdout=subprocess.DEVNULL)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "searchlib", "serve", "--index", str(index), "--port", str(port)],
                                  stdout=subprocess.DEVNULL)
        try:
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
