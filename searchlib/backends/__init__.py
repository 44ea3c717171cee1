"""Where an index lives: the seam (:class:`Backend`) and its implementations.

:class:`searchlib.Index` talks to an index only through :class:`Backend`;
:func:`open_backend` picks the implementation for a location: either
a folder (:class:`~.local.LocalBackend`, Whoosh) or an index on an
OpenSearch cluster (:class:`~.opensearch.OpenSearchBackend`), named by a
URL such as ``opensearch://127.0.0.1:9200/news``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, Union

from .._defaults import is_cluster_location
from ..results import AddReport, CheckReport

from .base import Backend, Item, Ranked, RankedPassage, SearchRequest, no_vectors, refused_embedder

__all__ = [
    "Backend", "Item", "Ranked", "RankedPassage", "SearchRequest", "no_vectors", "refused_embedder", "Location", "is_cluster", "open_backend", "exists", "check", "recorded_embedder",
    "rebuild",
]


is_cluster = is_cluster_location


Location = Union[Path, str]


def open_backend(location: Location, **options: Any) -> Backend:
    """The index at ``location`` (a folder, or a cluster's URL), opened
    with ``options`` (those of :class:`searchlib.Index`)."""
    if is_cluster(location):
        from .opensearch import OpenSearchBackend

        return OpenSearchBackend(str(location), **options)
    location = Path(location)
    from ..storage import rebuild as _rebuild
    from .local import LocalBackend

    _rebuild.finish_interrupted_swap(location)
    return LocalBackend(location, **options)


def exists(location: Location) -> bool:
    """Whether ``location`` holds an index (perhaps a damaged one)."""
    if is_cluster(location):
        from . import opensearch

        return opensearch.exists(str(location))
    location = Path(location)
    from ..storage import rebuild, store

    rebuild.finish_interrupted_swap(location)
    return store.Store.exists(location)


def recorded_embedder(location: Location) -> Optional[Dict[str, Any]]:
    """The embedder an index records, read without opening it (None: none,
    or no index there)."""
    if is_cluster(location):
        return None
    from ..storage import settings

    found = settings.peek(Path(location))
    return None if found is None else found.embedder_identity


def check(location: Location) -> CheckReport:
    """Verify the index at ``location`` without opening it for use."""
    if is_cluster(location):
        from . import opensearch

        return opensearch.check(str(location))
    location = Path(location)
    from ..storage import check as _check, rebuild

    rebuild.finish_interrupted_swap(location)
    return _check.verify(location)


def rebuild(
    location: Location,
    build: Callable[[Any, Optional[Iterable[str]], Optional[Tuple[int, int]]], AddReport],
    *,
    stop_words: Optional[Iterable[str]],
    passage_words: Optional[Tuple[int, int]],
    lock_timeout: float,
) -> AddReport:
    """Build a fresh index beside ``location`` with ``build(fresh, stop_words,
    passage_words)``, then swap it in; the old index's stop words and passage
    sizes are kept unless others are given. Until the swap, the old index
    stays in place and searchable; a run that fails leaves it as it was."""
    if is_cluster(location):
        from . import opensearch

        return opensearch.rebuild(str(location), build, stop_words=stop_words, passage_words=passage_words)
    location = Path(location)
    from ..storage import rebuild as _rebuild, settings
    from ..storage.damage import write_error

    if stop_words is None or passage_words is None:
        old = settings.peek(location)
        if stop_words is None and old is not None and old.stop_words is not None:
            stop_words = old.stop_words
        if passage_words is None and old is not None and old.passage_words_set:
            passage_words = old.passage_words
    try:
        fresh = _rebuild.fresh_directory(location)
    except OSError as error:
        raise write_error(location, error) from None
    try:
        report = build(fresh, stop_words, passage_words)
        _rebuild.rebuild_swap(fresh, location, lock_timeout)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return report
