"""Indexing and query speed: searchlib against stock Whoosh, SQLite FTS5 and
(when installed) tantivy, on the same French news, in one run.

Usage: python benchmarks/speed.py [--sample N] [--rounds R] [--no-growth]

Reads ../shared/corpora/orangesum-fr-news.jsonl.gz (the first N articles, or
all 36k). searchlib indexes the articles as a user would, twice: a JSON-lines
file given to ``Index.add_path``, and the same file's records read into
dicts and handed to ``Index.add_documents`` (the way an application calls
it; its time includes reading them); the peers index the very passages searchlib cuts them into (title
and text, both stored): stock Whoosh with LanguageAnalyzer("fr") and its
default writer, FTS5 with ``unicode61 remove_diacritics 2``, tantivy with
a French stemming analyzer. Each build runs in a fresh process, whose peak
resident memory (with its worker processes', shared pages counted in each)
is sampled, and so is the CPU time the build's processes used. The
indexing table gives each build's speed against stock Whoosh's. Queries of six kinds run R rounds, in one warm process per
engine: search alone (top 10) and search plus the top 10 snippets.
searchlib always makes snippets, so its two figures are the same thing.
A second table rebuilds searchlib and Whoosh on 10% and 30% of the
articles to show how indexing time and latency grow. Last, a fresh
``python -m searchlib QUERY`` over the seeds' index is timed against a bare
``python -c pass`` (medians of interleaved runs): what a one-off search
costs beyond Python's own start-up.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"

# (kind, query as typed). Peers get the same words in their own syntax.
QUERIES: List[Tuple[str, str]] = [
    ("common word", "gouvernement"),
    ("common word", "police"),
    ("common word", "football"),
    ("common word", "santé"),
    ("common word", "élection"),
    ("2-4 words", "réforme des retraites"),
    ("2-4 words", "prix de l'essence"),
    ("2-4 words", "attentat à Paris"),
    ("2-4 words", "chômage des jeunes"),
    ("2-4 words", "coupe du monde"),
    ("2-4 words", "changement climatique"),
    ("2-4 words", "grève à la SNCF"),
    ("2-4 words", "élection présidentielle américaine"),
    ("2-4 words", "crise migratoire en Europe"),
    ("phrase", '"gilets jaunes"'),
    ("phrase", '"état d\'urgence"'),
    ("phrase", '"Front national"'),
    ("phrase", '"Ligue des champions"'),
    ("prefix", "immigr*"),
    ("prefix", "vaccin*"),
    ("prefix", "terror*"),
    ("prefix", "nucléa*"),
    ("misspelling", "Macorn"),
    ("misspelling", "Sarkozi"),
    ("misspelling", "gouvernment"),
    ("misspelling", "Merkell"),
    ("unaccented", "securite sociale"),
    ("unaccented", "election presidentielle"),
    ("unaccented", "ministre de l'education"),
    ("unaccented", "energie nucleaire"),
]


# -- the articles and their passages ----------------------------------------


def load_articles(count: Optional[int]) -> List[Dict[str, str]]:
    articles = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("text", "").strip():
                articles.append({key: record.get(key) or "" for key in ("id", "title", "date", "text")})
                if count is not None and len(articles) >= count:
                    break
    return articles


def write_inputs(articles: List[Dict[str, str]], folder: Path) -> None:
    """The articles as searchlib reads them, and their passages for the peers."""
    from searchlib import ingest
    from searchlib.ingest import passages

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as out:
        for document in ingest.read_path(folder / "articles.jsonl"):
            if not isinstance(document, ingest.Document):
                continue
            paragraphs = ingest.content_paragraphs(document.text, document.text_start)
            for piece in passages.split_passages(document.text, document.text_start, paragraphs=paragraphs):
                row = {"pid": f"{document.id}/{piece.number}", "title": document.title or "", "text": piece.text_of(document.text)}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_passages(folder: Path) -> List[Dict[str, str]]:
    with open(folder / "passages.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


# -- engines: build and query, each run in its own process --------------------


def build_searchlib(inputs: Path, target: Path) -> None:
    import searchlib

    with searchlib.Index(target) as ix:
        ix.add_path(inputs / "articles.jsonl")


def build_searchlib_documents(inputs: Path, target: Path) -> None:
    import searchlib

    with open(inputs / "articles.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    with searchlib.Index(target) as ix:
        ix.add_documents(records)


def whoosh_schema() -> Any:
    from whoosh.analysis import LanguageAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    return Schema(
        pid=ID(stored=True),
        title=TEXT(analyzer=LanguageAnalyzer("fr"), stored=True),
        text=TEXT(analyzer=LanguageAnalyzer("fr"), stored=True),
    )


def build_whoosh(inputs: Path, target: Path) -> None:
    from whoosh import index

    rows = read_passages(inputs)
    target.mkdir(parents=True)
    writer = index.create_in(str(target), whoosh_schema()).writer()
    for row in rows:
        writer.add_document(pid=row["pid"], title=row["title"], text=row["text"])
    writer.commit()


def build_fts5(inputs: Path, target: Path) -> None:
    import sqlite3

    rows = read_passages(inputs)
    target.mkdir(parents=True)
    connection = sqlite3.connect(target / "fts.db")
    connection.execute(
        "CREATE VIRTUAL TABLE passages USING fts5(pid UNINDEXED, title, text, tokenize='unicode61 remove_diacritics 2')"
    )
    with connection:
        connection.executemany("INSERT INTO passages VALUES (?, ?, ?)", ((r["pid"], r["title"], r["text"]) for r in rows))
    connection.close()


def tantivy_index(target: Path, create: bool) -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("pid", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="fr")
    builder.add_text_field("text", stored=True, tokenizer_name="fr")
    index = tantivy.Index(builder.build(), path=str(target), reuse=not create)
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("french"))
        .build()
    )
    index.register_tokenizer("fr", analyzer)
    return index


def build_tantivy(inputs: Path, target: Path) -> None:
    import tantivy

    rows = read_passages(inputs)
    target.mkdir(parents=True)
    index = tantivy_index(target, create=True)
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    for row in rows:
        writer.add_document(tantivy.Document(pid=row["pid"], title=row["title"], text=row["text"]))
    writer.commit()
    writer.wait_merging_threads()


def peer_words(query: str) -> Tuple[List[str], str]:
    """A query's words (accents kept) and its kind of operator for the peers."""
    if query.startswith('"'):
        return query.strip('"').replace("'", " ").split(), "phrase"
    if query.endswith("*"):
        return [query[:-1]], "prefix"
    return query.replace("'", " ").split(), "words"


def query_runner(engine: str, target: Path) -> Tuple[Callable[[str], int], Callable[[str], int]]:
    """(search alone, search plus snippets) for an engine: each returns the
    number of hits it handled."""
    if engine == "searchlib":
        import searchlib

        ix = searchlib.Index(target, create=False)

        def search(query: str) -> int:
            return len(ix.search(query, limit=10))

        return search, search
    if engine == "whoosh":
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        whoosh_ix = index.open_dir(str(target))
        searcher = whoosh_ix.searcher()
        parser = MultifieldParser(["title", "text"], whoosh_ix.schema)

        def whoosh_search(query: str) -> int:
            # scored_length(), not len(): Whoosh's len() counts every match,
            # a second search that the top 10 alone do not need.
            return int(searcher.search(parser.parse(query), limit=10).scored_length())

        def whoosh_snippets(query: str) -> int:
            hits = searcher.search(parser.parse(query), limit=10)
            return len([hit.highlights("text") for hit in hits])

        return whoosh_search, whoosh_snippets
    if engine == "fts5":
        import sqlite3

        connection = sqlite3.connect(target / "fts.db", check_same_thread=False)

        def match(query: str) -> str:
            words, kind = peer_words(query)
            quoted = ['"' + word.replace('"', "") + '"' for word in words]
            if kind == "phrase":
                return '"' + " ".join(w.strip('"') for w in quoted) + '"'
            if kind == "prefix":
                return quoted[0] + "*"
            return " ".join(quoted)

        def fts_search(query: str) -> int:
            sql = "SELECT pid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT 10"
            return len(connection.execute(sql, (match(query),)).fetchall())

        def fts_snippets(query: str) -> int:
            sql = (
                "SELECT pid, snippet(passages, 2, '<b>', '</b>', '…', 32) FROM passages "
                "WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT 10"
            )
            return len(connection.execute(sql, (match(query),)).fetchall())

        return fts_search, fts_snippets
    if engine == "tantivy":
        import tantivy

        tantivy_ix = tantivy_index(target, create=False)
        tantivy_ix.reload()
        tantivy_searcher = tantivy_ix.searcher()
        schema = tantivy_ix.schema

        def parse(query: str) -> Any:
            words, kind = peer_words(query)
            text = '"' + " ".join(words) + '"' if kind == "phrase" else (words[0] + "*" if kind == "prefix" else " ".join(words))
            return tantivy_ix.parse_query_lenient(text, ["title", "text"])[0]

        def tantivy_search(query: str) -> int:
            return len(tantivy_searcher.search(parse(query), 10).hits)

        def tantivy_snippets(query: str) -> int:
            parsed = parse(query)
            hits = tantivy_searcher.search(parsed, 10).hits
            generator = tantivy.SnippetGenerator.create(tantivy_searcher, parsed, schema, "text")
            return len([generator.snippet_from_doc(tantivy_searcher.doc(address)).to_html() for _, address in hits])

        return tantivy_search, tantivy_snippets
    raise ValueError(engine)


BUILDERS = {
    "searchlib": build_searchlib,
    "searchlib-docs": build_searchlib_documents,
    "whoosh": build_whoosh,
    "fts5": build_fts5,
    "tantivy": build_tantivy,
}
# Builds only timed (their index is searchlib's, queried once already).
BUILD_ONLY = {"searchlib-docs"}
LABELS = {
    "searchlib": "searchlib add_path",
    "searchlib-docs": "searchlib add_documents",
    "whoosh": "stock Whoosh",
    "fts5": "SQLite FTS5",
    "tantivy": "tantivy",
}


def child_build(engine: str, inputs: Path, target: Path) -> None:
    start = time.perf_counter()
    BUILDERS[engine](inputs, target)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def child_query(engine: str, target: Path, rounds: int) -> None:
    search, with_snippets = query_runner(engine, target)
    for _, query in QUERIES:  # warm up: files opened and paged in, caches filled
        with_snippets(query)
    timings: Dict[str, List[float]] = {"search": [], "snippets": []}
    for _ in range(rounds):
        for mode, run in (("search", search), ("snippets", with_snippets)):
            for _, query in QUERIES:
                start = time.perf_counter()
                run(query)
                timings[mode].append((time.perf_counter() - start) * 1000)
    print(json.dumps(timings))


# -- the parent: running children, sampling memory, printing -----------------


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree_rss_kb(root: int, cpu: Optional[Dict[int, float]] = None) -> int:
    """Resident memory of a process and its descendants, in KB; with
    ``cpu``, each one's CPU seconds so far noted there too."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                pass
    tree = {root}
    for _ in range(4):
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    total = 0
    for pid in tree:
        try:
            if cpu is not None:
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                cpu[pid] = max(cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / _TICKS)
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_child(arguments: List[str], script: str = __file__) -> Tuple[Dict[str, Any], int, float]:
    """Run ``script`` (this one unless another benchmark's) as a child; its
    JSON answer, its peak memory (KB) and the CPU seconds it and its
    descendants used (sampled every 0.1 s)."""
    process = subprocess.Popen([sys.executable, script, *arguments], stdout=subprocess.PIPE, text=True)
    peak = 0
    cpu: Dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            if os.path.isdir("/proc"):
                peak = max(peak, _tree_rss_kb(process.pid, cpu))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(arguments[:2])} failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1]), peak, sum(cpu.values())


def folder_size(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(engines: List[str], inputs: Path, work: Path, rounds: int, megabytes: float, articles: int) -> Dict[str, Dict[str, float]]:
    results: Dict[str, Dict[str, float]] = {}
    for engine in engines:
        target = work / f"index-{engine}"
        shutil.rmtree(target, ignore_errors=True)
        built, peak, cpu = run_child(["--_build", engine, str(inputs), str(target)])
        seconds = built["seconds"]
        results[engine] = {
            "seconds": seconds,
            "cpu": cpu,
            "mb_s": megabytes / seconds,
            "docs_s": articles / seconds,
            "rss_mb": peak / 1024,
            "size_mb": folder_size(target) / 1e6,
        }
        print(f"  {LABELS[engine]}: built in {seconds:.1f} s ({cpu:.1f} s of CPU)", flush=True)
        if engine in BUILD_ONLY:
            shutil.rmtree(target, ignore_errors=True)
            continue
        timings, _, _ = run_child(["--_query", engine, str(target), str(rounds)])
        results[engine].update({
            "p50": percentile(timings["search"], 0.5),
            "p95": percentile(timings["search"], 0.95),
            "mean": statistics.fmean(timings["search"]),
            "s_p50": percentile(timings["snippets"], 0.5),
            "s_p95": percentile(timings["snippets"], 0.95),
            "s_mean": statistics.fmean(timings["snippets"]),
        })
        shutil.rmtree(target, ignore_errors=True)
    return results


def cold_start(work: Path, runs: int) -> Tuple[float, float]:
    """Median seconds of a fresh ``python -m searchlib QUERY`` on the seeds,
    and of a bare ``python -c pass``, interleaved."""
    import searchlib

    index = work / "index-seeds"
    shutil.rmtree(index, ignore_errors=True)
    with searchlib.Index(index, workers=0) as ix:
        ix.add_path(Path(__file__).resolve().parent.parent / "seeds")
    commands = {
        "search": [sys.executable, "-m", "searchlib", "--index", str(index), "cessez-le-feu à Alep"],
        "python": [sys.executable, "-c", "pass"],
    }
    # An installed package has its bytecode compiled: let the first run write
    # it even where the environment says not to, and the timed runs use it.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(commands["search"], stdout=subprocess.DEVNULL, check=True, env=environment)  # files cached too
    times: Dict[str, List[float]] = {"search": [], "python": []}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=environment)
            times[name].append(time.perf_counter() - start)
    shutil.rmtree(index, ignore_errors=True)
    return statistics.median(times["search"]), statistics.median(times["python"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None, help="index the first N articles (default: all)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the query list per engine")
    parser.add_argument("--no-growth", action="store_true", help="skip the 10%% and 30%% rebuilds")
    parser.add_argument("--work", type=Path, default=None, help="folder for the indexes (default: a temporary one)")
    parser.add_argument("--_build", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--_query", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:
        child_build(args._build[0], Path(args._build[1]), Path(args._build[2]))
        return
    if args._query:
        child_query(args._query[0], Path(args._query[1]), int(args._query[2]))
        return
    if not CORPUS.exists():
        print(f"corpus not found: {CORPUS}; nothing measured")
        return
    engines = ["searchlib", "searchlib-docs", "whoosh", "fts5"]
    try:
        import tantivy  # noqa: F401

        engines.append("tantivy")
    except ImportError:
        pass
    work = args.work or Path(tempfile.mkdtemp(prefix="searchlib-speed-"))
    articles = load_articles(args.sample)
    print(f"{len(articles)} articles; engines: {', '.join(engines)}; {args.rounds} rounds of {len(QUERIES)} queries")
    print(f"machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    shares = [1.0] if args.no_growth else [0.1, 0.3, 1.0]
    growth: Dict[float, Dict[str, Dict[str, float]]] = {}
    for share in shares:
        chosen = articles[: max(1, round(len(articles) * share))]
        inputs = work / f"inputs-{share}"
        write_inputs(chosen, inputs)
        megabytes = sum(len(a["text"].encode("utf-8")) for a in chosen) / 1e6
        passages = sum(1 for _ in open(inputs / "passages.jsonl", encoding="utf-8"))
        print(f"\n{share:.0%}: {len(chosen)} articles, {passages} passages, {megabytes:.1f} MB of text", flush=True)
        growth[share] = measure(engines if share == 1.0 else ["searchlib", "whoosh"], inputs, work, args.rounds, megabytes, len(chosen))
    full = growth[1.0]
    whoosh_seconds = full["whoosh"]["seconds"]
    print(f"\n{'indexing':<24} {'index s':>8} {'CPU s':>6} {'MB/s':>6} {'docs/s':>7} {'peak MB':>8} {'× stock Whoosh':>15}")
    for engine, r in full.items():
        print(
            f"{LABELS[engine]:<24} {r['seconds']:>8.1f} {r['cpu']:>6.1f} {r['mb_s']:>6.2f} {r['docs_s']:>7.0f} "
            f"{r['rss_mb']:>8.0f} {whoosh_seconds / r['seconds']:>15.2f}"
        )
    full = {engine: r for engine, r in full.items() if engine not in BUILD_ONLY}
    header = f"{'engine':<10} {'index s':>8} {'MB/s':>6} {'docs/s':>7} {'peak MB':>8} {'size MB':>8} │ {'search p50':>10} {'p95':>6} {'mean':>6} │ {'+snippets p50':>13} {'p95':>6} {'mean':>6}"
    print("\n" + header)
    for engine, r in full.items():
        print(
            f"{engine:<10} {r['seconds']:>8.1f} {r['mb_s']:>6.2f} {r['docs_s']:>7.0f} {r['rss_mb']:>8.0f} {r['size_mb']:>8.1f} │ "
            f"{r['p50']:>10.2f} {r['p95']:>6.2f} {r['mean']:>6.2f} │ {r['s_p50']:>13.2f} {r['s_p95']:>6.2f} {r['s_mean']:>6.2f}"
        )
    ours = full["searchlib"]
    print("\nsearchlib against each peer (same run):")
    for engine, r in full.items():
        if engine == "searchlib":
            continue
        print(
            f"  {engine:<8} indexing MB/s ×{ours['mb_s'] / r['mb_s']:.2f}, index size ×{ours['size_mb'] / r['size_mb']:.2f}, "
            f"peak memory ×{ours['rss_mb'] / r['rss_mb']:.2f}; searchlib search+snippets p50 = ×{ours['s_p50'] / r['p50']:.2f} "
            f"its search alone, ×{ours['s_p50'] / r['s_p50']:.2f} its search+snippets (p95 ×{ours['s_p95'] / r['s_p95']:.2f})"
        )
    if len(growth) > 1:
        print("\ngrowth with the corpus (time relative to the 10% index of the same engine):")
        print(f"{'share':>6} {'engine':<10} {'index s':>8} {'×':>6} {'+snippets p50':>13} {'×':>6} {'p95':>7} {'×':>6}")
        for engine in ("searchlib", "whoosh"):
            base = growth[shares[0]][engine]
            for share in shares:
                r = growth[share][engine]
                print(
                    f"{share:>6.0%} {engine:<10} {r['seconds']:>8.1f} {r['seconds'] / base['seconds']:>6.2f} "
                    f"{r['s_p50']:>13.2f} {r['s_p50'] / base['s_p50']:>6.2f} {r['s_p95']:>7.2f} {r['s_p95'] / base['s_p95']:>6.2f}"
                )
    search, python = cold_start(work, 15)
    print(
        f"\ncold start: 'python -m searchlib QUERY' on the seeds {search:.3f} s, 'python -c pass' {python:.3f} s: "
        f"{search - python:.3f} s beyond Python's start-up (medians of 15 interleaved runs)"
    )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
