"""The service under load: 50 clients mixing searches and writes against a
real ``search serve`` for 30 seconds (slow: ``pytest -m slow``).

What a user of the service relies on, checked on every answer:

- no answer other than the one expected (no 5xx, no 503 from a write
  waiting too long for the lock), no connection dropped;
- no lost write: every write the service acknowledged is what the index
  holds at the end (documents added are there, deleted ones are not,
  rewritten ones have their last version);
- every search reads one commit: each client rewrites its own pair of
  documents in one ``POST`` (one commit), with a generation number and a
  year taken from it, so a search for the pair's word must see both
  documents of every pair at the same generation, its ``total`` must be
  its hits (there are at most 100 of them) and its year facet the years
  of those hits. A search whose hits, count and facets came from
  different commits, or from a commit half applied, breaks one of these;
- the server's memory stays flat: its resident size after the run is
  within 1.5 times what it was after a warm-up of the same load.
"""

from __future__ import annotations

import collections
import http.client
import json
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install -e '.[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install -e '.[serve]'")

import searchlib  # noqa: E402

from served import Server, start  # noqa: E402

pytestmark = pytest.mark.slow

CLIENTS = 50
WARM_UP = 5.0  # seconds of load before the memory taken as the start
DURATION = 30.0  # seconds of load measured
KEY = "load-key"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
PAIR_WORD = "zorglub"  # in every client's pair of documents, nowhere else
SOLO_WORD = "marsupilami"  # in the single documents clients add and delete
# Words for the documents' texts, drawn at random for each one: two
# documents sharing a template would be near duplicates, which a search
# folds into one hit.
WORDS = (
    "maison jardin rivière montagne village route école marché église château forêt prairie nuage soleil "
    "hiver printemps automne été lumière silence musique peinture théâtre roman poème lettre journal "
    "ministre conseil budget réforme élection tribunal hôpital usine port gare avion navire train "
    "boulanger pêcheur médecin avocat paysan marin soldat peintre poète facteur libraire horloger"
).split()
SEED_QUERIES = ["Syrie", "Lavrov Kerry", "Washington Moscou", "\"cessez-le-feu\"", "terrorisme -Daech",
                "diplomatie russe", "Astana", "Syrie (Lavorv", "négociations"]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


@dataclass
class _Client:
    """One client: a keep-alive connection, what it wrote, what went wrong."""

    number: int
    server: Server
    generation: int = 0  # of its pair, as last acknowledged
    live: Set[str] = field(default_factory=set)  # single documents added, not deleted
    deleted: Set[str] = field(default_factory=set)
    errors: List[str] = field(default_factory=list)
    torn: List[str] = field(default_factory=list)
    counts: collections.Counter = field(default_factory=collections.Counter)  # type: ignore[type-arg]
    stale_own: int = 0  # its own pair seen older than it last wrote
    _connection: Optional[http.client.HTTPConnection] = None
    _added: int = 0

    def call(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        data = json.dumps(body).encode("utf-8") if body is not None else None
        try:
            self._connection.request(method, path, body=data, headers=headers or {})
            response = self._connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._connection.close()
            self._connection = None
            self.errors.append(f"{method} {path}: {type(error).__name__}: {error}")
            return 0, None
        return response.status, json.loads(payload)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def _expect(self, what: str, status: int, answer: Any, wanted: int = 200) -> bool:
        if status != wanted:
            if status:  # a dropped connection is counted already
                self.errors.append(f"{what}: {status} {answer}")
            return False
        return True

    # -- writes ----------------------------------------------------------------

    def rewrite_pair(self) -> None:
        generation = self.generation + 1
        pair = [_pair_document(self.number, side, generation) for side in "ab"]
        status, answer = self.call("POST", "/documents", pair, AUTH)
        if self._expect("POST pair", status, answer):
            if answer["added"] + answer["updated"] != 2 or answer["failed"]:
                self.errors.append(f"POST pair: {answer}")
            self.generation = generation
            self.counts["pair writes"] += 1

    def add_single(self) -> None:
        self._added += 1
        doc_id = f"s{self.number}-{self._added}"
        document = {"id": doc_id, "text": _text(SOLO_WORD, doc_id)}
        status, answer = self.call("POST", "/documents", [document], AUTH)
        if self._expect("POST single", status, answer):
            if answer["added"] != 1:
                self.errors.append(f"POST single: {answer}")
            self.live.add(doc_id)
            self.counts["single adds"] += 1

    def delete_single(self) -> None:
        doc_id = sorted(self.live)[0]
        status, answer = self.call("DELETE", f"/documents/{doc_id}", headers=AUTH)
        if self._expect("DELETE", status, answer):
            self.live.discard(doc_id)
            self.deleted.add(doc_id)
            self.counts["deletes"] += 1

    # -- searches --------------------------------------------------------------

    def search_pairs(self) -> None:
        status, answer = self.call("GET", _search_path(PAIR_WORD, limit=100, facets="year", format="text"))
        if not self._expect("search pairs", status, answer):
            return
        self.counts["pair searches"] += 1
        problem = _torn(answer)
        if problem:
            self.torn.append(problem)
            return
        # Read-your-writes: the pair this client last wrote, or a newer one.
        seen = {hit["metadata"]["client"]: hit["metadata"]["generation"] for hit in answer["results"]}
        if self.generation and seen.get(self.number, 0) < self.generation:
            self.stale_own += 1

    def search_singles(self) -> None:
        status, answer = self.call("GET", _search_path(SOLO_WORD, limit=100, facets="year,source"))
        if self._expect("search singles", status, answer):
            self.counts["single searches"] += 1
            ids = [hit["doc_id"] for hit in answer["results"]]
            if answer["total"] != len(ids) or len(set(ids)) != len(ids) or any(h["duplicates"] for h in answer["results"]):
                self.torn.append(f"{SOLO_WORD}: total {answer['total']}, hits {ids}")

    def search_seeds(self, rng: random.Random) -> None:
        query = rng.choice(SEED_QUERIES)
        status, answer = self.call(
            "GET", _search_path(query, limit=rng.choice([5, 10, 20]), facets="year,source", sort=rng.choice(["relevance", "date"]))
        )
        if self._expect(f"search {query!r}", status, answer):
            self.counts["other searches"] += 1
            if not answer["results"] or answer["total"] < len(answer["results"]):
                self.errors.append(f"search {query!r}: total {answer['total']}, {len(answer['results'])} hits")

    def run(self, stop: threading.Event, seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                draw = rng.random()
                if draw < 0.08:
                    self.rewrite_pair()
                elif draw < 0.16:
                    # at most two single documents a client, so that a
                    # search for them all fits in one page of 100
                    if len(self.live) >= 2 or (self.live and rng.random() < 0.5):
                        self.delete_single()
                    else:
                        self.add_single()
                elif draw < 0.45:
                    self.search_pairs()
                elif draw < 0.55:
                    self.search_singles()
                else:
                    self.search_seeds(rng)
        except Exception as error:  # a bug of this test or an answer not JSON
            self.errors.append(f"client {self.number}: {type(error).__name__}: {error}")
        finally:
            self.close()


def _pair_document(client: int, side: str, generation: int) -> Dict[str, Any]:
    return {
        "id": f"pair{client}-{side}", "title": f"Paire {client}{side}",
        "date": f"{2000 + generation % 20}-06-01",
        "text": _text(PAIR_WORD, f"pair{client}-{side}") + f" (version {generation})",
        "client": client, "generation": generation,
    }


def _text(word: str, seed: str) -> str:
    return " ".join([word, *random.Random(seed).sample(WORDS, 15)]).capitalize() + "."


def _search_path(query: str, **params: Any) -> str:
    return "/search?" + urllib.parse.urlencode({"q": query, **params})


def _torn(answer: Dict[str, Any]) -> Optional[str]:
    """What shows the answer did not read one commit, if anything."""
    hits = answer["results"]
    ids = [hit["doc_id"] for hit in hits]
    if answer["total"] != len(hits) or len(set(ids)) != len(ids) or any(hit["duplicates"] for hit in hits):
        return f"total {answer['total']} but hits {ids}"
    years = collections.Counter(hit["date"][:4] for hit in hits)
    if answer["facets"].get("year", {}) != dict(years):
        return f"year facet {answer['facets']} but hits' years {dict(years)}"
    pairs: Dict[int, List[Tuple[str, int]]] = collections.defaultdict(list)
    for hit in hits:
        pairs[hit["metadata"]["client"]].append((hit["doc_id"][-1], hit["metadata"]["generation"]))
    for client, sides in pairs.items():
        if sorted(side for side, _ in sides) != ["a", "b"] or len({gen for _, gen in sides}) != 1:
            return f"client {client}'s pair seen as {sorted(sides)}"
    return None


def test_fifty_clients_searching_and_writing_for_30_seconds(tmp_path: Path, seeds_dir: Path):
    with searchlib.Index(tmp_path / "index") as ix:
        ix.add_path(seeds_dir)
        seeded = ix.stats().documents
    server = start(tmp_path / "index", "--api-key", KEY)
    pid = server.process.pid
    try:
        idle = _rss_kib(pid)
        clients = [_Client(number, server) for number in range(CLIENTS)]
        stop = threading.Event()
        threads = [threading.Thread(target=client.run, args=(stop, client.number)) for client in clients]
        for thread in threads:
            thread.start()
        time.sleep(WARM_UP)
        warm = _rss_kib(pid)
        time.sleep(DURATION)
        stop.set()
        for thread in threads:
            thread.join(180)
        assert not any(thread.is_alive() for thread in threads), f"a client still waits for an answer; {server.log[-20:]}"
        end = _rss_kib(pid)

        final = _Client(-1, server)
        status, answer = final.call("GET", _search_path(PAIR_WORD, limit=100, facets="year"))
        assert status == 200 and _torn(answer) is None, answer
        versions = {hit["metadata"]["client"]: hit["metadata"]["generation"] for hit in answer["results"]}
        lost = [doc_id for client in clients for doc_id in client.live if final.call("GET", f"/documents/{doc_id}")[0] != 200]
        revived = [doc_id for client in clients for doc_id in client.deleted
                   if final.call("GET", f"/documents/{doc_id}")[0] != 404]
        status, listing = final.call("GET", "/documents?limit=1")
        final.close()
    finally:
        code = server.stop()

    counts: collections.Counter = collections.Counter()  # type: ignore[type-arg]
    for client in clients:
        counts.update(client.counts)
    errors = [error for client in clients for error in client.errors]
    torn = [problem for client in clients for problem in client.torn]
    stale_own = sum(client.stale_own for client in clients)
    print(
        f"\n{CLIENTS} clients, {DURATION:g} s after {WARM_UP:g} s of warm-up: {dict(counts)}; "
        f"server RSS {idle / 1024:.1f} MiB idle, {warm / 1024:.1f} MiB after warm-up, {end / 1024:.1f} MiB at the end "
        f"({end / warm:.2f}x); own pair seen older than last written: {stale_own}"
    )
    assert code == 0, server.log
    assert not errors, f"{len(errors)} errors, the first: {errors[:5]}; the server's last lines: {server.log[-20:]}"
    assert not torn, f"{len(torn)} searches did not read one commit, the first: {torn[:5]}"
    assert stale_own == 0, f"{stale_own} searches missed the searching client's own acknowledged write"
    # every acknowledged write is there at the end, and only those
    written = {client.number: client.generation for client in clients if client.generation}
    assert versions == written
    assert not lost and not revived, (lost[:5], revived[:5])
    live = sum(len(client.live) for client in clients)
    assert listing["total"] == seeded + 2 * len(written) + live
    # a load worth the name: every kind of request, many times
    for kind in ("pair writes", "single adds", "deletes", "pair searches", "single searches", "other searches"):
        assert counts[kind] >= 20, dict(counts)
    assert end < 1.5 * warm, f"server RSS grew from {warm} KiB to {end} KiB"
