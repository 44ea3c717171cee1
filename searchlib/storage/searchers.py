"""Searchers lent from a bounded pool, so that the number of open segment
readers does not grow with the number of threads that search."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Dict, List

from whoosh.index import FileIndex
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .damage import segment_file

__all__ = ["SearcherPool"]


class SearcherPool:
    """Searchers lent one at a time, at most ``size`` open at once, each
    brought up to date with the last commit when lent.

    Whoosh searchers read files through shared handles, so a searcher
    serves one thread at a time; a thread finding all of them lent waits
    for one to come back. A searcher whose files changed size since it
    mapped them (damage under a running application) is never lent again:
    reading a mapped file cut short would kill the process, while opening
    it afresh reports the damage.
    """

    def __init__(self, path: Path, index: FileIndex, size: int) -> None:
        self._path = path
        self._index = index
        self._size = size
        self._idle: List[Searcher] = []
        self._open: List[Searcher] = []
        self._files: Dict[int, Dict[str, int]] = {}  # id(searcher) -> its segment files' sizes
        self._opening = 0  # searchers being opened, counted against the size
        self._changed = threading.Condition()

    def borrow(self) -> Searcher:
        with self._changed:
            while not self._idle and len(self._open) + self._opening >= self._size:
                self._changed.wait()
            current = self._idle.pop() if self._idle else None
            if current is None:
                self._opening += 1  # the slot is taken before the slow open
        if current is not None and not self._intact(current):
            self._drop(current)  # and its slot goes to the searcher opened below
            current = None
        if current is None:
            try:
                fresh = self._index.searcher(weighting=BM25F())
                self._remember(fresh)
            except BaseException:
                with self._changed:
                    self._opening -= 1
                    self._changed.notify()
                raise
            with self._changed:
                self._opening -= 1
                self._open.append(fresh)
            return fresh
        # Up to date with the last commit: Whoosh reuses the unchanged
        # segments' readers, and the older searcher is left to them.
        try:
            fresh = current.refresh()
        except BaseException:
            self.give_back(current)
            raise
        if fresh is not current:
            with self._changed:
                self._open[self._open.index(current)] = fresh
                self._files.pop(id(current), None)
            self._remember(fresh)
        return fresh

    def _remember(self, searcher: Searcher) -> None:
        files: Dict[str, int] = {}
        for leaf, _ in searcher.reader().leaf_readers():
            segment = leaf.segment() if hasattr(leaf, "segment") else None
            if segment is not None and segment.is_compound():  # one file, mapped whole
                name = str(self._path / segment_file(segment))
                try:
                    files[name] = os.stat(name).st_size
                except OSError:
                    pass
        self._files[id(searcher)] = files

    def _intact(self, searcher: Searcher) -> bool:
        for name, size in self._files.get(id(searcher), {}).items():
            try:
                if os.stat(name).st_size != size:
                    return False
            except FileNotFoundError:
                continue  # merged away by a commit: the mapping stays whole
        return True

    def _drop(self, searcher: Searcher) -> None:
        with self._changed:
            self._open.remove(searcher)
            self._files.pop(id(searcher), None)
            self._opening += 1
        try:
            searcher.close()
        except Exception:
            pass

    def give_back(self, searcher: Searcher) -> None:
        with self._changed:
            if searcher in self._open:
                self._idle.append(searcher)
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            searchers, self._open, self._idle = self._open, [], []
        for searcher in searchers:
            searcher.close()

    @property
    def open_count(self) -> int:
        return len(self._open)
