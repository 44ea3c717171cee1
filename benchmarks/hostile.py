"""Hostile input against ordinary input of the same size, in one run.

Usage: python benchmarks/hostile.py [--repeat R]

The test suite bounds the work these inputs cause by counts and size ratios
(tests/work.py), which hold on any machine whatever its load; this prints
what they cost in time here. Each hostile input is timed beside an ordinary
one of the same size (French text, a well-formed page, a plain query, a
folder without loops), best of R interleaved rounds, and the ratio is what
to watch: a runaway shows as a ratio in the tens or more. Needs nothing but
the project's own seeds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import searchlib
from searchlib.ingest._html import html_to_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _french(size: int) -> str:
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    return (text * (size // len(text) + 1))[:size]


def _loops(root: Path, with_loops: bool) -> None:
    """Eight folders of one file each; with loops, every folder links to
    every other and to its parent."""
    for name in "abcdefgh":
        (root / name).mkdir(parents=True)
        (root / name / f"{name}.txt").write_text(f"Le dossier {name} parle de Raqqa.", encoding="utf-8")
    if with_loops:
        for name in "abcdefgh":
            for other in "abcdefgh":
                (root / name / f"vers-{other}").symlink_to(root / other, target_is_directory=True)
            (root / name / "parent").symlink_to("..", target_is_directory=True)


def _cases(workdir: Path) -> List[Tuple[str, Callable[[], object], Callable[[], object]]]:
    """(name, hostile call, ordinary call of the same size)."""
    size = 200_000
    analyze = searchlib.analyze
    cases: List[Tuple[str, Callable[[], object], Callable[[], object]]] = []
    ordinary_text = _french(size)
    for name, text in [
        ("analyze: acronym dots", "a." * (size // 2)),
        ("analyze: elisions", "l'" * (size // 2)),
        ("analyze: spaced numbers", "1 000" * (size // 5)),
        ("analyze: number dots", "1." * (size // 2)),
        ("analyze: combining marks", "e" + "\u0301" * size),
        ("analyze: acronyms", "O.N.U." * (size // 6)),
        ("analyze: one word repeated", "mot " * (size // 4)),
    ]:
        cases.append((name, lambda text=text: analyze(text), lambda: analyze(ordinary_text[: len(text)])))

    count = 20_000
    stray = "<body>" + "<span>mot " * count + "</div>" * count
    balanced = "<body>" + "<span>mot </span>" * count + "x" * (len(stray) - 6 - 17 * count)
    cases.append(("html: stray end tags under deep markup", lambda: html_to_text(stray), lambda: html_to_text(balanced)))

    index = searchlib.Index(workdir / "index")
    index.add_path(SEEDS)
    plain = "négociations Lavrov Kerry Syrie"
    for name, query in [
        ("search: 140,000 characters", "Lavrov " * 20_000),
        ("search: 10,000 terms", " ".join(f"w{i}" for i in range(10_000))),
        ("search: nesting 10,000 deep", "(" * 10_000 + "Lavrov" + ")" * 10_000),
        ("search: fuzzy words", "Lavrov~ " * 10_000),
        ("search: prefixes", "s* " * 10_000),
    ]:
        cases.append((name, lambda query=query: index.search(query, limit=5), lambda: index.search(plain, limit=5)))

    def add_tree(with_loops: bool) -> Callable[[], object]:
        def run() -> object:
            with tempfile.TemporaryDirectory(dir=workdir) as folder:
                _loops(Path(folder) / "src", with_loops)
                with searchlib.Index(Path(folder) / "ix") as ix:
                    return ix.add_path(Path(folder) / "src")

        return run

    cases.append(("index: folders full of link loops", add_tree(True), add_tree(False)))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases = _cases(Path(folder))
        best: Dict[Tuple[str, str], float] = {}
        # Rounds alternate hostile and ordinary calls so that load on a
        # shared machine hits both alike; the best round counts.
        for _ in range(args.repeat):
            for name, hostile, ordinary in cases:
                for kind, call in (("hostile", hostile), ("ordinary", ordinary)):
                    began = time.perf_counter()
                    call()
                    seconds = time.perf_counter() - began
                    best[name, kind] = min(best.get((name, kind), seconds), seconds)
    print(f"best of {args.repeat} interleaved rounds; ordinary input of the same size as the baseline\n")
    print(f"{'case':<42} {'hostile':>10} {'ordinary':>10} {'ratio':>7}")
    for name, _, _ in cases:
        hostile, ordinary = best[name, "hostile"], best[name, "ordinary"]
        print(f"{name:<42} {hostile * 1000:>8.1f} ms {ordinary * 1000:>7.1f} ms {hostile / ordinary:>6.2f}x")


if __name__ == "__main__":
    main()
