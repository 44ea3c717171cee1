"""Start-up time of the ``search`` command beside Python's own, in one run.

Usage: python benchmarks/startup.py [--runs N] [--breakdown]

Times, as wall clock of a fresh process each, ``python -c pass`` and
``python -c 'import click'`` (the floor for a click command), then
``search --help``, ``search --version``, the shell-completion script
(``_SEARCH_COMPLETE=bash_source``), completing a word, and a search over an
index of the seed articles (built once beforehand in a temporary folder).
The commands run interleaved, N rounds (default 15), as machines are shared
and noisy; prints each median and its difference from ``python -c pass``,
in wall time and in CPU time (user + system): on a loaded machine wall time
waits for a core, and CPU time is what the command itself costs.
Needs the project installed (``pip install -e .``): it runs the ``search``
script beside this Python.

With ``--breakdown``, where a cold search's time goes instead: a fresh
process imports, one after the other, click, numpy (with one OpenBLAS
thread, as the command loads it), ``urllib.request`` (which Whoosh's
``whoosh.compat`` imports on Python 3, with ``http.client``, ``email`` and
``ssl``, for a function Whoosh never calls), the rest of Whoosh, then
searchlib's query path (the command and the API), opens the index of the
seeds and searches it once, timing each step; the median of each step over
N such processes, and what the process takes beyond them (Python's own
start-up and exit).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

PROJECT = Path(__file__).resolve().parent.parent
SEARCH = str(Path(sys.executable).parent / "search")


def _time(command: List[str], env: Dict[str, str], cwd: str) -> Tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - began
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (now.ru_utime - used.ru_utime) + (now.ru_stime - used.ru_stime)


# A cold search one step at a time, each timed; prints the times as JSON.
_STEPS = """
import json, sys, time
marks = [("start", time.perf_counter())]
def step(name):
    marks.append((name, time.perf_counter()))
import click; step("click")
import os; os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the command does
import numpy; step("numpy")
import urllib.request; step("urllib.request (for whoosh.compat)")
import whoosh.analysis, whoosh.query, whoosh.index, whoosh.searching, whoosh.codec.whoosh3, whoosh.scoring
step("the rest of Whoosh")
import searchlib.cli, searchlib.api; step("searchlib's query path (command, API)")
index = searchlib.api.Index(sys.argv[1], create=False); step("opening the index")
results = index.search("cessez-le-feu à Alep"); step("the first search, with its hits")
index.close()
import gc; gc.freeze()  # as the command does before it exits
print(json.dumps([(name, now - before) for (_, before), (name, now) in zip(marks, marks[1:])]))
"""


def breakdown(runs: int) -> None:
    """Where a cold search's time goes, step by step (medians of ``runs``
    fresh processes, each beside a ``python -c pass``)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("_SEARCH") and k != "SEARCHLIB_INDEX"}
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(PROJECT / "seeds", Path(folder) / "seeds")
        subprocess.run([SEARCH, "index", "--quiet"], cwd=folder, env=base, check=True)
        steps: Dict[str, List[float]] = {}
        walls: Dict[str, List[float]] = {"python -c pass": [], "steps": []}
        for _ in range(runs):
            walls["python -c pass"].append(_time([sys.executable, "-c", "pass"], base, folder)[0])
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _STEPS, "index"], env=base, cwd=folder, capture_output=True, text=True, check=True
            )
            walls["steps"].append(time.perf_counter() - began)
            for name, seconds in json.loads(done.stdout):
                steps.setdefault(name, []).append(seconds)
    python = statistics.median(walls["python -c pass"])
    medians = {name: statistics.median(times) for name, times in steps.items()}
    print(f"median of {runs} fresh processes            seconds")
    for name, seconds in medians.items():
        print(f"{name:<42} {seconds:.3f}")
    total = statistics.median(walls["steps"])
    print(f"{'the rest (start-up, exit)':<42} {total - sum(medians.values()):.3f}")
    print(f"{'in all':<42} {total:.3f}, {total - python:.3f} beyond 'python -c pass' ({python:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--breakdown", action="store_true", help="time each step of a cold search instead")
    args = parser.parse_args()
    if args.breakdown:
        breakdown(args.runs)
        return
    if not os.path.exists(SEARCH):
        sys.exit(f"no {SEARCH}: install the project first (pip install -e .)")
    base = {k: v for k, v in os.environ.items() if not k.startswith("_SEARCH") and k != "SEARCHLIB_INDEX"}
    completion = {"_SEARCH_COMPLETE": "bash_complete", "COMP_WORDS": "search index --pr", "COMP_CWORD": "2"}
    cases: List[Tuple[str, List[str], Dict[str, str]]] = [
        ("python -c pass", [sys.executable, "-c", "pass"], base),
        # the floor for any click command: importing click itself
        ("python -c 'import click'", [sys.executable, "-c", "import click"], base),
        ("search --help", [SEARCH, "--help"], base),
        ("search --version", [SEARCH, "--version"], base),
        ("completion script", [SEARCH], {**base, "_SEARCH_COMPLETE": "bash_source"}),
        ("completing a word", [SEARCH], {**base, **completion}),
        ("search Minbej (seeds)", [SEARCH, "Minbej", "--limit", "3"], base),
    ]
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(PROJECT / "seeds", Path(folder) / "seeds")
        subprocess.run([SEARCH, "index", "--quiet"], cwd=folder, env=base, check=True)
        times: Dict[str, List[Tuple[float, float]]] = {name: [] for name, _, _ in cases}
        for _ in range(args.runs):
            for name, command, env in cases:
                times[name].append(_time(command, env, folder))
    medians = {name: [statistics.median(run[i] for run in runs) for i in (0, 1)] for name, runs in times.items()}
    wall0, cpu0 = medians["python -c pass"]
    print(f"median of {args.runs} runs, each a fresh process      wall time            CPU time")
    for name, _, _ in cases:
        wall, cpu = medians[name]
        print(f"{name:<32} {wall:.3f} s (+{wall - wall0:.3f})   {cpu:.3f} s (+{cpu - cpu0:.3f})")


if __name__ == "__main__":
    main()
