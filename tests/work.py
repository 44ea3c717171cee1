"""Work measured by what a call does, not by how long it takes: the
default suite runs on shared, busy machines, where a wall-clock bound fails
for reasons that have nothing to do with the code (strict timings are in
``benchmarks/``)."""

from __future__ import annotations

import sys
import time
from types import FrameType
from typing import Any, Callable, Optional, Tuple, TypeVar

T = TypeVar("T")


def calls_made(call: Callable[[], T]) -> Tuple[T, int]:
    """``call()``, and how many functions (Python's and C's) it called.

    Runaway work (unbounded expansion, a scan repeated per token) shows as
    a count that grows with the input far beyond the usual, the same on
    every machine whatever its load.
    """
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call" or event == "c_call":
            count += 1

    previous: Optional[Callable[..., Any]] = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = call()
    finally:
        sys.setprofile(previous)
    return result, count


def grows_linearly(run: Callable[[int], object], size: int, repeats: int = 3) -> bool:
    """Whether ``run(size)`` takes about four times ``run(size // 4)``, not
    sixteen: processor time, each the best of ``repeats``, measured side by
    side so that both see the same machine and load. Under 50 ms a call's
    growth cannot matter, and its ratio would be noise."""
    best = {size // 4: float("inf"), size: float("inf")}
    for _ in range(repeats):
        for part in best:
            began = time.process_time()
            run(part)
            best[part] = min(best[part], time.process_time() - began)
    small, whole = best[size // 4], best[size]
    if whole < 0.05 or whole <= 8 * small:
        return True
    raise AssertionError(f"{whole:.3f} s for {size:,} against {small:.3f} s for a quarter of it: more than linear")


def in_waves(request: Callable[[], object], waves: int, threads: int) -> None:
    """Run ``request`` in ``waves`` waves of ``threads`` threads started at
    once, as a server starting a thread per request does."""
    import threading

    for _ in range(waves):
        started = threading.Barrier(threads, timeout=60)

        def run() -> None:
            started.wait()
            request()

        wave = [threading.Thread(target=run) for _ in range(threads)]
        for thread in wave:
            thread.start()
        for thread in wave:
            thread.join()
