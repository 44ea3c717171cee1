"""Checking an index on a cluster, and rebuilding it into a new one that
an alias swap puts in its place.

The name in a location is an alias of a concrete index (``news`` stands
for ``news-v1733580000000``). A rebuild writes a fresh concrete index
under a temporary alias, then moves the name to it in one atomic alias
update and deletes the old index: searches see the old index until the
new one is complete, and a failed run leaves the old one as it was.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ...errors import IndexNotFoundError
from ...results import AddReport, CheckReport
from . import client, mapping

__all__ = ["check", "rebuild"]


def check(location: str) -> CheckReport:
    """The cluster's health for the index, its settings, and whether every
    document has all its passages (each article record's count of
    passages against the passages found under its id)."""
    from .indexes import existing

    started = time.monotonic()
    where = client.parse(location)
    connection = client.connect(where)
    try:
        found = existing(where, connection)
        if found is None:
            raise IndexNotFoundError(f"no index at {where}")
        concrete, _ = found
        problems: List[str] = []
        notes: List[str] = []
        health = client.call(where, lambda: connection.cluster.health(index=concrete))
        status = health.get("status")
        if status == "red":
            problems.append(f"the cluster's health for {concrete} is red: a primary shard has no copy on a live node")
        elif status == "yellow":
            notes.append(f"the cluster's health for {concrete} is yellow: some replicas are not assigned")
        expected: Dict[str, int] = {}
        held: Dict[str, int] = {}

        def search(body: Dict[str, Any]) -> Dict[str, Any]:
            return client.call(where, lambda: connection.search(index=where.index, body=body))

        passages = {"passages": {"max": {"field": "passages"}}}
        for bucket in client.document_buckets(search, {"term": {"kind": mapping.ARTICLE}}, passages):
            expected[bucket["key"]["id"]] = int(bucket["passages"]["value"])
        for bucket in client.document_buckets(search, {"term": {"kind": mapping.PASSAGE}}):
            held[bucket["key"]["id"]] = int(bucket["doc_count"])
        for doc_id in sorted(set(expected) | set(held)):
            want, have = expected.get(doc_id), held.get(doc_id, 0)
            if want is None:
                problems.append(f"document {doc_id!r} has {have} passages but no article record (index it again)")
            elif have != want:
                problems.append(f"document {doc_id!r} has {have} of its {want} passages (index it again)")
        shards = int(health.get("active_primary_shards", 0))
        return CheckReport(
            str(where), len(expected), sum(held.values()), shards, tuple(problems[:100]), tuple(notes),
            round(time.monotonic() - started, 3),
        )
    finally:
        connection.close()


def rebuild(
    location: str,
    build: Callable[[Any, Optional[Iterable[str]], Optional[Tuple[int, int]]], AddReport],
    *,
    stop_words: Optional[Iterable[str]],
    passage_words: Optional[Tuple[int, int]],
) -> AddReport:
    """Build a fresh index with ``build(fresh_location, stop_words,
    passage_words)`` and swap it in under the location's name; the old
    index's stop words and passage sizes are kept unless others are given."""
    from .indexes import existing

    where = client.parse(location)
    connection = client.connect(where)
    try:
        found = existing(where, connection)
        old_concrete: Optional[str] = None
        if found is not None:
            old_concrete, meta = found
            if stop_words is None and meta.get("stop_words") is not None:
                stop_words = meta["stop_words"]
            if passage_words is None and meta.get("passage_words_set"):
                low, high = meta["passage_words"]
                passage_words = (int(low), int(high))
        temporary = f"{where.index}-rebuild-{time.time_ns() // 1_000_000}"
        fresh = replace(where, index=temporary)
        try:
            report = build(_url(fresh), stop_words, passage_words)
            concretes = list(client.call(where, lambda: connection.indices.get_alias(name=temporary)))
            actions: List[Dict[str, Any]] = [{"remove": {"index": concretes[0], "alias": temporary}}]
            if old_concrete is not None and old_concrete != where.index:
                actions.append({"remove": {"index": old_concrete, "alias": where.index}})
            elif old_concrete == where.index:
                # a concrete index of that very name (not made by searchlib's create): removed in the same update
                actions.append({"remove_index": {"index": old_concrete}})
            actions.append({"add": {"index": concretes[0], "alias": where.index, "is_write_index": True}})
            client.call(where, lambda: connection.indices.update_aliases(body={"actions": actions}))
        except BaseException:
            _drop(connection, fresh)
            raise
        if old_concrete is not None and old_concrete != where.index:
            client.call(where, lambda: connection.indices.delete(index=old_concrete))
        return report
    finally:
        connection.close()


def _drop(connection: Any, fresh: client.Location) -> None:
    """Remove what a failed rebuild wrote (best effort: the run's own error matters more)."""
    try:
        for concrete in list(connection.indices.get_alias(name=fresh.index)):
            connection.indices.delete(index=concrete)
    except Exception:
        pass


def _url(where: client.Location) -> str:
    """A location's URL with its credentials and options, to open it again."""
    import urllib.parse

    scheme = "opensearchs" if where.tls else "opensearch"
    user = ""
    if where.user is not None:
        user = urllib.parse.quote(where.user, safe="") + (":" + urllib.parse.quote(where.password, safe="") if where.password else "") + "@"
    options = {"shards": where.shards, "replicas": where.replicas, "verify_certs": str(where.verify_certs).lower(), "timeout": where.timeout}
    if where.ca_certs:
        options["ca_certs"] = where.ca_certs
    return f"{scheme}://{user}{','.join(where.hosts)}/{where.index}?{urllib.parse.urlencode(options)}"
