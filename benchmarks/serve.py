"""What serving over HTTP costs: the same searches through ``search serve``
(keep-alive connections) and in-process through ``Index.search``, at 1, 8
and 32 concurrent clients, over the 36k-article news index.

Usage: python benchmarks/serve.py [--index DIR] [--seconds S] [--clients 1,8,32] [--workers N]

Without ``--index``, the news corpus (../shared/corpora/orangesum-fr-news.jsonl.gz)
is indexed once with ``search index`` into a folder kept between runs
(``--cache``, by default under the system's temporary folder). The queries
are a fixed mix: the 30 of benchmarks/speed.py (common words, phrases,
prefixes, misspellings, unaccented words) and the first words of 70 news
titles drawn with a fixed seed. Each client sends them in turn, from its
own starting point, for S seconds (after a short warm-up; each side
first runs every query once), and waits for
each answer before the next: a closed loop, as an application's request
handlers do. The HTTP clients are threads of this process, one
``http.client`` connection each, reading each answer whole (not decoding
its JSON); the in-process clients are threads calling ``Index.search``
(limit 10, snippets made, as the service does) on one shared ``Index``.

The table gives searches per second and p50/p95/p99 latency of each, the
HTTP p50 minus the in-process p50, HTTP throughput over in-process
throughput, and the answers that were not 200 (errors). The issue's
targets: at most +2 ms on p50, at least 80% of the throughput, no error
at 32 clients. The server runs with ``--workers`` as given (default: the
command's default, one process).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"

SPEED_QUERIES = [
    "gouvernement", "police", "football", "santé", "élection", "réforme des retraites", "prix de l'essence",
    "attentat à Paris", "chômage des jeunes", "coupe du monde", "changement climatique", "grève à la SNCF",
    "élection présidentielle américaine", "crise migratoire en Europe", '"gilets jaunes"', '"état d\'urgence"',
    '"Front national"', '"Ligue des champions"', "immigr*", "vaccin*", "terror*", "nucléa*", "Macorn",
    "Sarkozi", "gouvernment", "Merkell", "securite sociale", "election presidentielle",
    "ministre de l'education", "energie nucleaire",
]


def _queries(corpus: Path, titles: int = 70) -> List[str]:
    """The speed benchmark's queries and the first words of news titles."""
    with gzip.open(corpus, "rt", encoding="utf-8") as stream:
        every = [json.loads(line).get("title") or "" for line in stream]
    rng = random.Random(24)
    picked = [" ".join(title.split()[:rng.randint(2, 5)]) for title in rng.sample([t for t in every if t], titles)]
    return SPEED_QUERIES + picked


def _search_command() -> str:
    found = shutil.which("search", path=str(Path(sys.executable).parent)) or shutil.which("search")
    if not found:
        sys.exit("install the project first: pip install -e '.[serve]'")
    return found


def _built_index(corpus: Path, cache: Path) -> Path:
    """The news index in ``cache``, built with ``search index`` unless a
    finished build is there already."""
    done = cache / ".built"
    if done.exists():
        return cache / "index"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    print(f"indexing {corpus.name} into {cache / 'index'} (once; kept for later runs)", flush=True)
    began = time.perf_counter()
    subprocess.run([_search_command(), "index", "--index", str(cache / "index"), "--quiet", str(corpus)], check=True)
    print(f"indexed in {time.perf_counter() - began:.0f} s", flush=True)
    done.write_text("")
    return cache / "index"


# -- clients -------------------------------------------------------------------


class _Run:
    """Latencies (seconds) and errors of one level of concurrency."""

    def __init__(self) -> None:
        self.latencies: List[float] = []
        self.errors = 0
        self.seconds = 0.0
        self._lock = threading.Lock()

    def add(self, latencies: List[float], errors: int) -> None:
        with self._lock:
            self.latencies.extend(latencies)
            self.errors += errors

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def _drive(clients: int, seconds: float, warm_up: float, make: Callable[[], Callable[[str], bool]],
           queries: List[str]) -> _Run:
    """``clients`` threads, each sending ``queries`` in turn for
    ``warm_up`` + ``seconds``; only the last ``seconds`` are counted."""
    run = _Run()
    start = threading.Barrier(clients + 1)
    timing = {"from": 0.0, "until": 0.0}

    def client(number: int) -> None:
        search = make()
        latencies: List[float] = []
        errors = 0
        position = number * len(queries) // max(clients, 1)
        start.wait()
        while True:
            query = queries[position % len(queries)]
            position += 1
            began = time.perf_counter()
            ok = search(query)
            ended = time.perf_counter()
            if ended >= timing["until"]:
                break
            if began >= timing["from"]:
                latencies.append(ended - began)
                errors += not ok
        run.add(latencies, errors)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    timing["from"], timing["until"] = now + warm_up, now + warm_up + seconds
    start.wait()
    for thread in threads:
        thread.join()
    run.seconds = seconds
    return run


def _warm(make: Callable[[], Callable[[str], bool]], queries: List[str]) -> None:
    """Every query once, so that neither side is measured reading the
    index's files for the first time."""
    search = make()
    for query in queries:
        search(query)


def _http_client(host: str, port: int) -> Callable[[], Callable[[str], bool]]:
    def make() -> Callable[[str], bool]:
        connection = http.client.HTTPConnection(host, port, timeout=120)

        def search(query: str) -> bool:
            nonlocal connection
            try:
                connection.request("GET", "/search?" + urllib.parse.urlencode({"q": query, "limit": 10}))
                response = connection.getresponse()
                response.read()
                return response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=120)
                return False

        return search

    return make


def _in_process_client(index: Any) -> Callable[[], Callable[[str], bool]]:
    def make() -> Callable[[str], bool]:
        def search(query: str) -> bool:
            try:
                index.search(query, limit=10)
            except Exception:
                return False
            return True

        return search

    return make


# -- the server ------------------------------------------------------------------


def _start_server(index: Path, workers: Optional[int]) -> Tuple[subprocess.Popen, str, int]:  # type: ignore[type-arg]
    command = [_search_command(), "serve", "--index", str(index), "--port", "0"]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if " at http://" not in line:
        process.kill()
        sys.exit(f"search serve did not start: {line}{process.stdout.read()}")
    url = urllib.parse.urlsplit(line.split(" at ", 1)[1].split()[0])
    # Its later output (warnings, errors) must not fill a pipe no one reads.
    threading.Thread(target=lambda: [sys.stderr.write("server: " + text) for text in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    return process, url.hostname or "127.0.0.1", url.port or 0


def _stop_server(process: subprocess.Popen) -> int:  # type: ignore[type-arg]
    process.send_signal(2)
    return process.wait(60)


# -- the table -----------------------------------------------------------------


def _table(rows: List[Tuple[int, _Run, _Run]]) -> str:
    head = (
        f"{'clients':>7}  {'':<10} {'searches/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"
        f"   {'Δ p50 ms':>8} {'HTTP/in-process':>15}"
    )
    lines = [head, "-" * len(head)]
    for clients, inside, http_run in rows:
        for name, run in (("in-process", inside), ("HTTP", http_run)):
            line = (
                f"{clients:>7}  {name:<10} {run.rate:>10.1f} {run.percentile(0.50):>8.1f} {run.percentile(0.95):>8.1f}"
                f" {run.percentile(0.99):>8.1f} {run.errors:>6}"
            )
            if name == "HTTP":
                delta = http_run.percentile(0.50) - inside.percentile(0.50)
                ratio = http_run.rate / inside.rate if inside.rate else float("nan")
                line += f"   {delta:>+8.1f} {ratio:>14.0%}"
            lines.append(line)
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index of the news corpus already built")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "searchlib-bench-serve")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per run (default 15)")
    parser.add_argument("--warm-up", type=float, default=3.0, help="seconds of each run not counted (default 3)")
    parser.add_argument("--clients", default="1,8,32", help="levels of concurrency (default 1,8,32)")
    parser.add_argument("--workers", type=int, help="search serve --workers (default: the command's own)")
    args = parser.parse_args(argv)

    if not args.corpus.exists():
        sys.exit(f"no corpus at {args.corpus}: the benchmark needs the news articles")
    import searchlib

    index_path = args.index or _built_index(args.corpus, args.cache)
    queries = _queries(args.corpus)
    levels = [int(level) for level in args.clients.split(",")]

    # Each level runs in-process then over HTTP, one after the other, so
    # that both meet the same load from whatever else the machine runs.
    process, host, port = _start_server(index_path, args.workers)
    rows = []
    try:
        with searchlib.Index(index_path, create=False) as index:
            stats = index.stats()
            print(f"{stats.documents} documents, {stats.passages} passages; {len(queries)} queries; "
                  f"{os.cpu_count()} cores; {args.seconds:g} s a run after {args.warm_up:g} s of warm-up", flush=True)
            _warm(_in_process_client(index), queries)
            _warm(_http_client(host, port), queries)
            for level in levels:
                inside = _drive(level, args.seconds, args.warm_up, _in_process_client(index), queries)
                served = _drive(level, args.seconds, args.warm_up, _http_client(host, port), queries)
                rows.append((level, inside, served))
    finally:
        code = _stop_server(process)
    workers = f"--workers {args.workers}" if args.workers else "default workers (1 process)"
    print(f"\nsearch serve with {workers}, stopped with status {code}\n")
    print(_table(rows))


if __name__ == "__main__":
    main()
