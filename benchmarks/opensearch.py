"""searchlib on an OpenSearch cluster against searchlib on a local folder,
in one run: indexing speed and size, query latency, how far the rankings
agree, and ranking quality.

Usage: python benchmarks/opensearch.py [--url http://127.0.0.1:9200] [--sample N]
       [--rounds R] [--shards S] [--replicas R] [--queries Q] [--keep] [--name PREFIX]

Reads ../shared/corpora/orangesum-fr-news.jsonl.gz (the first N articles,
or all 36k) and ../shared/eval/piaf. The articles, read into dicts, go to
``Index.add_documents`` twice, each in a fresh process as speed.py builds
(its time includes reading them): into a temporary folder and into a fresh
index on the cluster (``opensearch://HOST/PREFIX-news-STAMP?shards=S&replicas=R``).

Queries are speed.py's 30, R rounds in one warm process per backend.
*Search alone* is the backend's ranking (``Backend.search``, the seam both
implement: the cluster's requests and searchlib's scoring, the page's
stored fields read); *+ snippets* is ``Index.search``, which also makes
each hit and its snippet (searchlib always makes them, so reading
``hit.snippet`` afterwards would cost nothing). The cluster's ``_stats``
before and after give its shard requests per search (the fan-out) and
their times, and the memory the vocabulary's aggregations hold. The
top 10 of the two backends are compared query by query (the share of the
local top 10 also in the cluster's; the totals).

The cluster's size comes from its ``_stats``, by kind of Lucene file, as
written and at rest: searchlib leaves some fields out of ``_source``, and
OpenSearch then keeps each whole record beside it (``_recovery_source``,
for replaying to copies) until a merge after a safe commit drops it, so
the index is flushed once every copy holds every record and merged to one
segment a shard. The records' JSON is weighed field by field over the
first articles, to show what each part of the design costs.

MRR@10 and R@100 are relevance.py's, on PIAF and on the sampled articles'
headlines as queries (news_retrieval_set.py's set: bodies indexed, each
headline's own article relevant), for both backends. Last, the targets,
met or missed. Without the corpus or a cluster answering, one line says
so and nothing is measured. The cluster's indexes are deleted at the end
unless ``--keep``. Over 400 lines: one run's report, every part read in
the same order as printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import news_retrieval_set  # noqa: E402
import relevance  # noqa: E402  (also puts the project on sys.path)
import speed  # noqa: E402

PIAF = speed.CORPUS.parent.parent / "eval" / "piaf"
#: articles whose records are weighed field by field
_WEIGHED = 500
#: a record's fields by what they are, for the weighing
_GROUPS = {
    "layered terms": ("text_terms", "text_terms_1", "text_terms_2", "title_terms", "title_terms_1", "title_terms_2"),
    "places": ("text_places", "title_places"),
    "keyword lists": ("text_words", "title_words", "stop_words", "variants", "sounds", "article_words"),
    "text as written": ("text", "title"),
    "article terms": ("article_terms",),
    "stop terms": ("stop_terms",),
    "stored": ("stored",),
}
#: seconds for a shard's size in ``_stats`` to be measured again (OpenSearch
#: keeps it 10 s: ``index.store.stats_refresh_interval``)
_STORE_STATS_SECONDS = 11
#: Lucene's files by what they hold
_FILES = {
    "fdt": "stored fields", "fdx": "stored fields", "fdm": "stored fields",
    "doc": "postings", "pos": "positions", "pay": "positions", "tim": "term dictionary", "tip": "term dictionary",
    "tmd": "term dictionary", "dvd": "doc values", "dvm": "doc values", "nvd": "norms", "nvm": "norms",
}


# -- children: one build or one query session, each in a fresh process ------


def child_build(inputs: Path, location: str) -> None:
    import searchlib

    start = time.perf_counter()
    with open(inputs / "articles.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    with searchlib.Index(location) as ix:
        ix.add_documents(records)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def child_query(target: str, rounds: int) -> None:
    import searchlib
    from searchlib.backends import SearchRequest

    ix = searchlib.Index(target, create=False)
    backend = ix._backend  # the seam: ranking without hits and snippets

    def alone(query: str) -> int:
        return len(backend.search(SearchRequest(query, 10)).passages)

    def with_snippets(query: str) -> int:
        return len(ix.search(query, limit=10))

    top: Dict[str, List[str]] = {}
    totals: Dict[str, int] = {}
    for _, query in speed.QUERIES:  # warm up, and the rankings compared
        results = ix.search(query, limit=10)
        top[query] = [f"{hit.doc_id}/{hit.passage}" for hit in results]
        totals[query] = results.total
    timings: Dict[str, List[float]] = {"search": [], "snippets": []}
    for _ in range(rounds):
        for mode, run in (("search", alone), ("snippets", with_snippets)):
            for _, query in speed.QUERIES:
                start = time.perf_counter()
                run(query)
                timings[mode].append((time.perf_counter() - start) * 1000)
    ix.close()
    print(json.dumps({**timings, "top": top, "totals": totals}))


# -- the cluster, over its REST API ---------------------------------------------


def _get(url: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url.rstrip("/") + path, method=method)
    with urllib.request.urlopen(request, timeout=900) as answer:
        return json.loads(answer.read())


def _absent(url: str) -> Optional[str]:
    """Why the cluster cannot be measured; None when it can."""
    try:
        import opensearchpy  # noqa: F401
    except ImportError:
        return "the OpenSearch client is not installed (pip install 'searchlib[opensearch]')"
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except (OSError, ValueError) as error:
        return f"no cluster answers at {url} ({getattr(error, 'reason', error)})"
    return None


def _cluster_cpu(url: str) -> float:
    """CPU seconds the cluster's nodes have used (all their work, anyone's)."""
    nodes = _get(url, "/_nodes/stats/process")["nodes"].values()
    return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes) / 1000


def _index_stats(url: str, alias: str) -> Dict[str, Any]:
    path = f"/{alias}/_stats/docs,store,segments,search,fielddata?include_segment_file_sizes=true"
    return _get(url, path)["_all"]  # type: ignore[no-any-return]


def _heap(url: str) -> str:
    """Each node's heap in use and its maximum, in MB."""
    nodes = _get(url, "/_nodes/stats/jvm")["nodes"].values()
    return ", ".join(
        f"{node['name']} {node['jvm']['mem']['heap_used_in_bytes'] / 2**20:.0f} of {node['jvm']['mem']['heap_max_in_bytes'] / 2**20:.0f} MiB"
        for node in sorted(nodes, key=lambda node: node["name"])
    )


def _on_disk(segments: Dict[str, Any]) -> str:
    """The shares of a shard's bytes by kind of Lucene file, largest first."""
    sizes: Dict[str, int] = {}
    for extension, found in segments.get("file_sizes", {}).items():
        kind = _FILES.get(extension, "other")
        sizes[kind] = sizes.get(kind, 0) + int(found["size_in_bytes"])
    total = max(1, sum(sizes.values()))
    return ", ".join(f"{kind} {100 * size / total:.0f}%" for kind, size in sorted(sizes.items(), key=lambda item: -item[1]))


def _settle(url: str, alias: str) -> None:
    """Bring the index to rest: once every copy holds every record and the
    copies' retention leases say so (renewed every 30 s), a flush makes a
    safe commit, and a merge to one segment a shard drops the whole
    records kept for replaying to copies (``_recovery_source``). A copy
    written as one segment is not merged, and keeps them."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = _get(url, f"/{alias}/_stats/docs?level=shards")["indices"]
        copies = [copy for index in found.values() for shard in index["shards"].values() for copy in shard]
        if all(
            copy["seq_no"]["global_checkpoint"] == copy["seq_no"]["max_seq_no"]
            and all(lease["retaining_seq_no"] > copy["seq_no"]["max_seq_no"] for lease in copy["retention_leases"]["leases"])
            for copy in copies
        ):
            break
        time.sleep(2)
    _get(url, f"/{alias}/_flush?force=true", "POST")
    _get(url, f"/{alias}/_forcemerge?max_num_segments=1", "POST")
    _get(url, f"/{alias}/_refresh", "POST")


def _drop(url: str, alias: str) -> None:
    """Delete the concrete index behind a searchlib index's name, if any."""
    import opensearchpy

    connection = opensearchpy.OpenSearch(hosts=[url])
    try:
        concrete = list(connection.indices.get_alias(name=alias))
        connection.indices.delete(index=",".join(concrete))
    except opensearchpy.NotFoundError:
        pass
    finally:
        connection.close()


# -- measures ------------------------------------------------------------------


def _weigh(articles: List[Dict[str, str]]) -> Dict[str, Dict[str, float]]:
    """Mean JSON bytes of a passage record and of an article record, in all
    and by group of fields, over the records searchlib makes of ``articles``."""
    from searchlib import ingest
    from searchlib.analysis import FrenchAnalyzer
    from searchlib.backends.opensearch import mapping
    from searchlib.indexing.prepare import Preparer
    from searchlib.storage.settings import DEFAULT_PASSAGE_WORDS

    preparer = Preparer(FrenchAnalyzer(), DEFAULT_PASSAGE_WORDS, offsets=True)
    sums: Dict[str, Dict[str, float]] = {mapping.PASSAGE: {}, mapping.ARTICLE: {}}
    counts = {mapping.PASSAGE: 0, mapping.ARTICLE: 0}
    group_of = {name: group for group, names in _GROUPS.items() for name in names}
    for document in ingest.as_documents(articles):
        if not isinstance(document, ingest.Document):
            continue
        for record in mapping.records_of(preparer, document, "0" * 32) or ():
            kind = str(record["kind"])
            counts[kind] += 1
            for name, value in record.items():
                size = len(json.dumps({name: value}, ensure_ascii=False).encode("utf-8")) - 2
                group = group_of.get(name, "other")
                sums[kind][group] = sums[kind].get(group, 0.0) + size
                sums[kind]["all"] = sums[kind].get("all", 0.0) + size + 1
    return {kind: {group: total / max(1, counts[kind]) for group, total in found.items()} for kind, found in sums.items()}


def _overlap(local: Dict[str, List[str]], cluster: Dict[str, List[str]]) -> Tuple[float, float, str, int]:
    """Mean and least share of a local top 10 also in the cluster's, the
    query with the least, and the number of queries ranked identically."""
    shares: Dict[str, float] = {}
    for query, ours in local.items():
        theirs = cluster.get(query, [])
        shares[query] = len(set(ours) & set(theirs)) / max(len(ours), len(theirs)) if ours or theirs else 1.0
    worst = min(shares, key=lambda query: shares[query])
    same = sum(1 for query in local if local[query] == cluster.get(query))
    return statistics.fmean(shares.values()), shares[worst], worst, same


def _quality(folder: Path, where: str, queries: int) -> Tuple[Dict[str, float], float, int]:
    """relevance.py's scores of the index at ``where`` (built from
    ``folder``), the median latency in ms, and the number of queries."""
    from searchlib import Ranking

    qrels = relevance.read_qrels(folder)
    asked = {qid: text for qid, text in relevance.read_queries(folder).items() if qid in qrels}
    if queries:
        asked = dict(list(asked.items())[:queries])
    index = relevance.searchlib_index(folder, where)
    try:
        run, times = relevance.timed_run(asked, relevance.searchlib_search(index, Ranking()))
    finally:
        index.close()
    return relevance.evaluate(run, {qid: qrels[qid] for qid in asked}), 1000 * statistics.median(times), len(asked)


# -- one run -------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9200", help="the cluster (default: %(default)s)")
    parser.add_argument("--sample", type=int, default=None, help="index the first N articles (default: all)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the query list per backend")
    parser.add_argument("--shards", type=int, default=1, help="primary shards of the cluster's indexes")
    parser.add_argument("--replicas", type=int, default=1, help="replicas of each shard")
    parser.add_argument(
        "--queries", type=int, default=1000, help="judged queries of each retrieval set (default: %(default)s; 0: PIAF's 3,835, 1,500 headlines)"
    )
    parser.add_argument("--name", default="searchlib-bench", help="prefix of the cluster's index names")
    parser.add_argument("--keep", action="store_true", help="keep the cluster's indexes")
    parser.add_argument("--_build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--_query", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:
        child_build(Path(args._build[0]), args._build[1])
        return 0
    if args._query:
        child_query(args._query[0], int(args._query[1]))
        return 0
    if not speed.CORPUS.exists():
        print(f"corpus not found: {speed.CORPUS}; nothing measured")
        return 0
    absent = _absent(args.url)
    if absent:
        print(f"{absent}; nothing measured")
        return 0
    stamp = time.time_ns() // 1_000_000
    aliases = {kind: f"{args.name}-{kind}-{stamp}" for kind in ("news", "piaf", "headlines")}
    work = Path(tempfile.mkdtemp(prefix="searchlib-opensearch-"))
    try:
        _run(args, aliases, work)
    finally:
        if not args.keep:
            for alias in aliases.values():
                _drop(args.url, alias)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _run(args: argparse.Namespace, aliases: Dict[str, str], work: Path) -> None:
    url = args.url
    host = urllib.parse.urlsplit(url).netloc
    where = {kind: f"opensearch://{host}/{alias}?shards={args.shards}&replicas={args.replicas}" for kind, alias in aliases.items()}
    articles = speed.load_articles(args.sample)
    inputs = work / "inputs"
    inputs.mkdir()
    with open(inputs / "articles.jsonl", "w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    megabytes = sum(len(a["text"].encode("utf-8")) for a in articles) / 1e6
    nodes = len(_get(url, "/_nodes/stats/process")["nodes"])
    print(
        f"{len(articles)} articles, {megabytes:.1f} MB of text; {url}: OpenSearch {_get(url, '/')['version']['number']}, {nodes} nodes, "
        f"indexes of {_count(args.shards, 'shard')} and {_count(args.replicas, 'replica')}; {_count(args.rounds, 'round')} of {len(speed.QUERIES)} queries"
    )
    print(f"machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}", flush=True)

    local = str(work / "local")
    results: Dict[str, Dict[str, Any]] = {}
    for name, target in (("local", local), ("cluster", where["news"])):
        before_cpu = _cluster_cpu(url)
        if name == "local":
            built, peak, cpu = speed.run_child(["--_build", "searchlib-docs", str(inputs), target])
        else:
            built, peak, cpu = speed.run_child(["--_build", str(inputs), target], script=__file__)
        seconds = built["seconds"]
        results[name] = {
            "seconds": seconds, "cpu": cpu, "mb_s": megabytes / seconds, "docs_s": len(articles) / seconds,
            "rss_mb": peak / 1024, "nodes_cpu": _cluster_cpu(url) - before_cpu,
        }
        print(f"  {name}: built in {seconds:.1f} s ({cpu:.1f} s of CPU here, {results[name]['nodes_cpu']:.1f} s in the cluster's nodes)", flush=True)
    time.sleep(_STORE_STATS_SECONDS)
    written = _index_stats(url, aliases["news"])
    for name, target in (("local", local), ("cluster", where["news"])):
        timings, _, _ = speed.run_child(["--_query", target, str(args.rounds)], script=__file__)
        for mode, prefix in (("search", ""), ("snippets", "s_")):
            found = timings[mode]
            results[name].update({
                prefix + "p50": speed.percentile(found, 0.5), prefix + "p95": speed.percentile(found, 0.95), prefix + "mean": statistics.fmean(found),
            })
        results[name].update(top=timings["top"], totals=timings["totals"])
    queried = _index_stats(url, aliases["news"])
    ours, theirs = results["local"], results["cluster"]
    _print_speed(results)
    print(
        f"CPU of the cluster build: {theirs['cpu']:.1f} s here (reading, analysis, sending), {theirs['nodes_cpu']:.1f} s in the nodes "
        f"(all their work in that time: {ours['nodes_cpu']:.1f} s during the local build, when searchlib sent nothing)"
    )
    searches = len(speed.QUERIES) * (1 + 2 * args.rounds)
    counters = ("query_total", "query_time_in_millis", "fetch_total", "fetch_time_in_millis")
    done = {name: queried["total"]["search"][name] - written["total"]["search"][name] for name in counters}
    print(
        f"fan-out: {done['query_total'] / searches:.1f} shard queries and {done['fetch_total'] / searches:.1f} shard fetches a search "
        f"({searches} searches, {_count(args.shards, 'shard')}); the cluster's time for one: query {done['query_time_in_millis'] / max(1, done['query_total']):.1f} ms, "
        f"fetch {done['fetch_time_in_millis'] / max(1, done['fetch_total']):.1f} ms"
    )
    print(
        f"memory: the keyword fields' global ordinals (fielddata) {queried['total']['fielddata']['memory_size_in_bytes'] / 1e6:.2f} MB "
        f"after the queries, all copies; heap in use: {_heap(url)}"
    )
    mean, least, worst, same = _overlap(ours["top"], theirs["top"])
    unequal = [query for query, count in ours["totals"].items() if theirs["totals"].get(query) != count]
    print(
        f"top 10 of the cluster against local: {mean:.3f} of the local top 10 found at the mean, {least:.2f} at the least ({worst!r}); "
        f"same order for {same} of {len(speed.QUERIES)} queries; totals equal for {len(speed.QUERIES) - len(unequal)} of {len(speed.QUERIES)}"
        + (f" (not for {', '.join(repr(q) for q in unequal)})" if unequal else "")
    )

    import searchlib

    with searchlib.Index(local, create=False) as ix:
        passages = ix.stats().passages
    _settle(url, aliases["news"])
    time.sleep(_STORE_STATS_SECONDS)
    _print_size(len(articles), passages, megabytes, speed.folder_size(Path(local)), written, _index_stats(url, aliases["news"]))
    for kind, found in _weigh(articles[:_WEIGHED]).items():
        parts = ", ".join(f"{group} {100 * size / found['all']:.0f}%" for group, size in sorted(found.items(), key=lambda item: -item[1]) if group != "all")
        print(f"{'an' if kind == 'article' else 'a'} {kind} record as sent (first {min(len(articles), _WEIGHED)} articles): {found['all']:,.0f} bytes of JSON: {parts}")

    quality = _print_quality(args, articles, work, where)
    print("\ntargets:")
    for label, (mine, yours) in quality.items():
        _target(abs(yours - mine) <= 0.01, f"MRR@10 on {label} within 0.01 of local ({yours:.4f} against {mine:.4f})")
    _target(theirs["mb_s"] >= ours["mb_s"], f"indexing into the cluster at least as fast as local ({theirs['mb_s']:.2f} MB/s against {ours['mb_s']:.2f})")
    _target(theirs["s_p50"] < 30, f"cluster query p50 under 30 ms, with snippets ({theirs['s_p50']:.1f} ms; search alone {theirs['p50']:.1f} ms)")
    if args.keep:
        print(f"\nkept on the cluster: {', '.join(aliases.values())}")


def _print_speed(results: Dict[str, Dict[str, Any]]) -> None:
    print(
        f"\n{'backend':<8} {'index s':>8} {'CPU s':>6} {'MB/s':>6} {'docs/s':>7} {'peak MB':>8} │ "
        f"{'search p50':>10} {'p95':>6} {'mean':>6} │ {'+snippets p50':>13} {'p95':>6} {'mean':>6}"
    )
    for name, r in results.items():
        print(
            f"{name:<8} {r['seconds']:>8.1f} {r['cpu']:>6.1f} {r['mb_s']:>6.2f} {r['docs_s']:>7.0f} {r['rss_mb']:>8.0f} │ "
            f"{r['p50']:>10.2f} {r['p95']:>6.2f} {r['mean']:>6.2f} │ {r['s_p50']:>13.2f} {r['s_p95']:>6.2f} {r['s_mean']:>6.2f}"
        )
    ours, theirs = results["local"], results["cluster"]
    print(
        f"cluster / local: indexing time ×{theirs['seconds'] / ours['seconds']:.2f} (MB/s ×{theirs['mb_s'] / ours['mb_s']:.2f}); "
        f"search p50 ×{theirs['p50'] / ours['p50']:.2f}, +snippets p50 ×{theirs['s_p50'] / ours['s_p50']:.2f} (p95 ×{theirs['s_p95'] / ours['s_p95']:.2f})"
    )


def _print_size(articles: int, passages: int, megabytes: float, local: int, written: Dict[str, Any], rest: Dict[str, Any]) -> None:
    records = written["primaries"]["docs"]["count"]
    print(
        f"\nsize: {articles} articles, {passages} passages ({passages / articles:.2f} an article), {records} records on the cluster "
        f"({records / articles:.2f} an article); local index {local / 1e6:.1f} MB ({local / articles / 1e3:.1f} KB an article)"
    )
    for label, found in (("as written", written), ("at rest", rest)):
        stored = found["primaries"]["store"]["size_in_bytes"]
        print(
            f"cluster {label}: {stored / 1e6:.1f} MB of primaries ({stored / articles / 1e3:.1f} KB an article, {stored / passages / 1e3:.2f} KB a passage, "
            f"×{stored / (megabytes * 1e6):.1f} the text, ×{stored / local:.2f} local), {found['total']['store']['size_in_bytes'] / 1e6:.1f} MB with replicas, "
            f"{_count(found['primaries']['segments']['count'], 'segment')}: {_on_disk(found['primaries']['segments'])}"
        )
    if rest["primaries"]["segments"]["count"] == written["primaries"]["segments"]["count"]:
        print("  (as many segments as written: nothing was merged, the whole records are still kept)")


def _print_quality(args: argparse.Namespace, articles: List[Dict[str, str]], work: Path, where: Dict[str, str]) -> Dict[str, Tuple[float, float]]:
    """Print MRR@10 and R@100 of both backends on each retrieval set; each
    set's (local, cluster) MRR@10."""
    sets: List[Tuple[str, Path, str]] = []
    if (PIAF / "qrels.txt").exists():
        sets.append(("PIAF", PIAF, "piaf"))
    else:
        print(f"{PIAF} not found: PIAF not measured")
    headlines = work / "headlines"
    _, askable = news_retrieval_set.write_set(((a["id"], a["text"], a) for a in articles), headlines, "title", args.queries or 1500)
    sets.append((f"headlines ({askable} articles)", headlines, "headlines"))
    print(
        f"\n{'ranking quality':<28} {'queries':>7} │ {'MRR@10 local':>12} {'cluster':>8} {'diff':>7} │ "
        f"{'R@100 local':>11} {'cluster':>8} │ {'p50 ms local':>12} {'cluster':>8}   (top 100)"
    )
    found: Dict[str, Tuple[float, float]] = {}
    for label, folder, kind in sets:
        mine, my_p50, count = _quality(folder, str(work / f"index-{kind}"), args.queries)
        yours, your_p50, _ = _quality(folder, where[kind], args.queries)
        found[label.split(" ")[0]] = (mine["MRR@10"], yours["MRR@10"])
        print(
            f"{label:<28} {count:>7} │ {mine['MRR@10']:>12.4f} {yours['MRR@10']:>8.4f} {yours['MRR@10'] - mine['MRR@10']:>+7.4f} │ "
            f"{mine['R@100']:>11.4f} {yours['R@100']:>8.4f} │ {my_p50:>12.1f} {your_p50:>8.1f}",
            flush=True,
        )
    return found


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _target(met: bool, what: str) -> None:
    print(f"  {'met   ' if met else 'missed'} {what}")


if __name__ == "__main__":
    raise SystemExit(main())
