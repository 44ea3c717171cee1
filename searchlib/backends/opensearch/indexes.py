"""The concrete index behind a location's name: finding it and its
searchlib settings (kept in the mapping's ``_meta``), and creating it.

A location's name is an alias: ``news`` stands for ``news-v<milliseconds>``,
so a rebuild can put a new index in its place in one step (:mod:`.upkeep`).
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from ...errors import IndexNotFoundError, SearchlibError
from ...search.ranking import DEFAULT, Ranking
from ...storage.settings import DEFAULT_PASSAGE_WORDS
from . import client, mapping
from .client import ClusterError, Location

__all__ = ["FORMAT", "existing", "open_index", "create_index", "new_index", "concrete_name", "settings_meta"]

#: the version of the records a cluster index holds (in its mapping's ``_meta``)
FORMAT = 1


def _meta_of(index: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    meta = (index.get("mappings") or {}).get("_meta") or {}
    found = meta.get("searchlib")
    return found if isinstance(found, dict) else None


def _existing(connection: Any, where: Location) -> Optional[Tuple[str, Dict[str, Any]]]:
    """The concrete index behind a location's name and its searchlib
    settings; None when there is none."""
    import opensearchpy

    try:
        found = client.call(where, lambda: connection.indices.get(index=where.index))
    except ClusterError:
        raise
    except opensearchpy.NotFoundError:
        return None
    if not found:
        return None
    if len(found) > 1:
        raise SearchlibError(f"{where}: the name stands for {len(found)} indexes; searchlib needs one")
    name, index = next(iter(found.items()))
    meta = _meta_of(index)
    if meta is None:
        raise SearchlibError(f"{where}: the index {name!r} was not made by searchlib")
    if int(meta.get("format", 0)) > FORMAT:
        raise SearchlibError(f"{where}: the index was made by a newer searchlib (format {meta.get('format')})")
    return name, meta


def existing(where: Location, connection: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    import opensearchpy

    try:
        return _existing(connection, where)
    except ClusterError as error:
        if "index_not_found" in str(error) or "no such index" in str(error):
            return None
        raise
    except opensearchpy.NotFoundError:
        return None


def open_index(
    connection: Any, where: Location, create: bool, stop_words: Optional[Iterable[str]],
    passage_words: Optional[Tuple[int, int]], ranking: Ranking,
) -> Dict[str, Any]:
    found = existing(where, connection)
    if found is not None:
        return found[1]
    if not create:
        raise IndexNotFoundError(f"no index at {where}")
    return create_index(connection, where, where.index, stop_words, passage_words, ranking)


def create_index(
    connection: Any, where: Location, alias: str, stop_words: Optional[Iterable[str]],
    passage_words: Optional[Tuple[int, int]], ranking: Ranking = DEFAULT,
) -> Dict[str, Any]:
    """A new concrete index named after ``alias`` (``alias-v<time>``), the
    alias pointing at it; its searchlib settings."""
    body = new_index(ranking.k1, ranking.b, where.shards, where.replicas, stop_words, passage_words)
    body["aliases"] = {alias: {"is_write_index": True}}
    concrete = concrete_name(alias, time.time_ns() // 1_000_000)
    client.call(where, lambda: connection.indices.create(index=concrete, body=body))
    client.call(where, lambda: connection.cluster.health(index=concrete, wait_for_status="yellow"))
    meta: Dict[str, Any] = body["mappings"]["_meta"]["searchlib"]
    return meta


def new_index(
    k1: float, b: float, shards: int, replicas: int, stop_words: Optional[Iterable[str]],
    passage_words: Optional[Tuple[int, int]],
) -> Dict[str, Any]:
    """The body creating a searchlib index (its alias aside): the settings
    and mappings of :func:`.mapping.index_body`, and searchlib's settings
    in the mapping's ``_meta`` (:func:`settings_meta`), which every later
    write reads to make its terms alike."""
    body = mapping.index_body(k1, b, shards, replicas)
    body["mappings"]["_meta"] = {"searchlib": settings_meta(stop_words, passage_words)}
    return body


def concrete_name(alias: str, milliseconds: int) -> str:
    """The concrete index a name stands for, made at ``milliseconds`` since the epoch."""
    return f"{alias}-v{milliseconds}"


def settings_meta(stop_words: Optional[Iterable[str]], passage_words: Optional[Tuple[int, int]]) -> Dict[str, Any]:
    """searchlib's settings of an index, as its mapping's ``_meta`` keeps them."""
    return {
        "format": FORMAT,
        "stop_words": sorted(stop_words) if stop_words is not None else None,
        "passage_words": list(passage_words or DEFAULT_PASSAGE_WORDS),
        "passage_words_set": passage_words is not None,
    }
