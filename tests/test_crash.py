"""Crash safety of ``search index`` under SIGKILL (slow).

A few hundred news articles (generated text when the shared corpus is not
there) are indexed while the process is killed at random moments: during
start-up, while documents are added, in the middle of a commit, near the
end. After every kill the index must open, ``search stats`` and queries must
work, and it must hold exactly the documents committed so far: a prefix of
the corpus file, each document with all its passages exactly as in a
reference index built without kills, none lost. Running the same command
again carries on, and the last re-run leaves an index equal to the
reference. A killed ``search index --rebuild`` leaves the old index exactly
as it was, and the next rebuild completes and clears the leftovers.

Three further tests kill at chosen moments, two of them moments random
kills almost never hit: between the settings file and the first table of
contents of a new index, between the two renames that swap a rebuilt index
in, and as the first commit of a new index begins (stats and queries on
the empty index work). Each of the three failed when this file was written.

Run with ``pytest -m slow tests/test_crash.py -s`` to see the trials.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest
import whoosh.index

import searchlib
from news_sample import articles, write_jsonl

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ENV = {**{k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}, "PYTHONPATH": str(ROOT)}

ARTICLES = 240
BATCH = 16  # documents a commit in the instrumented runs: 15 commits a full run
KILLS = 20  # killed plain runs (runs that finished before their kill do not count)
KILLS_PER_SERIES = 5  # then the same command runs to the end, and a new index starts
REBUILD_KILLS = 4
SEED = 1789

# ``search index`` as the CLI runs it, given ``--batch-size BATCH`` (commits
# every BATCH documents instead of every 5,000: a test corpus of a few
# hundred articles then commits a dozen times a run, and kills land before,
# during and between commits in a run of seconds rather than many minutes),
# and one change made from outside: it notes each commit (and a rebuild's
# swap) as it begins and ends, with os.write, so the line reaches the kernel
# at once and survives SIGKILL: the test then knows exactly which batches a
# killed run had committed.
WRAPPER = r"""
import os, sys
import searchlib.indexing.run as indexing
log = os.open(os.environ["CRASH_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
def note(event, count=0):
    os.write(log, f"{event} {count}\n".encode())
commit = indexing._Batches.commit
def noted_commit(self):
    pending = self._documents if self._writer is not None else None
    if pending is not None:
        note("commit", pending)
    commit(self)
    if pending is not None:
        note("committed", pending)
indexing._Batches.commit = noted_commit
import searchlib.storage.rebuild as rebuild
swap = rebuild.rebuild_swap
def noted_swap(*args, **kwargs):
    note("swap")
    swap(*args, **kwargs)
    note("swapped")
rebuild.rebuild_swap = noted_swap
from searchlib.cli import main
note("start")
sys.argv = ["search", *sys.argv[1:]]
main()
"""

Snapshot = Dict[str, Tuple[str, ...]]  # doc_id -> its passages' stored fields, in passage order


def snapshot(path: Path) -> Snapshot:
    """Every passage the index holds, read with Whoosh itself (not through
    searchlib), grouped by document."""
    ix = whoosh.index.open_dir(str(path))
    rows: Dict[str, List[Tuple[int, str]]] = defaultdict(list)
    with ix.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            rows[fields["doc_id"]].append((fields["passage"], json.dumps(fields, sort_keys=True, ensure_ascii=False)))
    return {doc_id: tuple(text for _, text in sorted(passages)) for doc_id, passages in rows.items()}


def texts_of(path: Path, ids: Sequence[str]) -> Dict[str, str]:
    with searchlib.Index(path, create=False) as ix:
        found = {doc_id: ix.document(doc_id) for doc_id in ids}
    return {doc_id: document.text for doc_id, document in found.items() if document is not None}


def describe(found: Snapshot, expected: Snapshot) -> str:
    missing = [doc_id for doc_id in expected if doc_id not in found]
    extra = [doc_id for doc_id in found if doc_id not in expected]
    changed = [doc_id for doc_id in expected if doc_id in found and found[doc_id] != expected[doc_id]]
    return f"{len(found)} documents, expected {len(expected)}: missing {missing[:5]}, extra {extra[:5]}, differing {changed[:5]}"


@dataclass
class Run:
    """One run of the command, killed or not."""

    returncode: int
    seconds: float  # from start to kill (or exit)
    events: List[Tuple[str, int]]  # what an instrumented run noted
    stderr: str
    real: bool

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def phase(self) -> str:
        """Where the kill landed, as far as the run's notes tell."""
        if not self.killed:
            return "-"
        if self.real:
            return "?"
        if not self.events:
            return "start-up"
        last = self.events[-1][0]
        return {"start": "adding", "committed": "adding", "commit": "commit", "swap": "swap", "swapped": "after swap"}[last]

    @property
    def committed(self) -> int:
        return sum(count for event, count in self.events if event == "committed")

    @property
    def in_flight(self) -> int:
        """Documents of a commit begun but not seen to end (it may have landed)."""
        return self.events[-1][1] if self.events and self.events[-1][0] == "commit" else 0


def read_events(log: Path) -> List[Tuple[str, int]]:
    events = []
    for line in log.read_text().splitlines():
        event, count = line.split()
        events.append((event, int(count)))
    return events


def run_command(workdir: Path, args: Sequence[str], real: bool, plan: Optional[Tuple[str, float, float]]) -> Run:
    """Run ``search ARGS`` (the real command, or the instrumented one) and,
    following ``plan``, SIGKILL it: ("timed", seconds, _) after so long,
    ("commit", n, seconds) so long after its n-th commit began, ("committed",
    n, seconds) so long after it ended; None: let it end."""
    log = workdir / "events.log"
    log.write_text("")
    if real:
        command = [sys.executable, "-m", "searchlib", *args]
    else:  # every instrumented run is a ``search index``
        command = [sys.executable, "-c", WRAPPER, args[0], "--batch-size", str(BATCH), *args[1:]]
    env = {**ENV, "CRASH_LOG": str(log)}
    with (workdir / "stderr.txt").open("w+", encoding="utf-8") as errors:
        began = time.monotonic()
        seconds = 0.0
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = began + 300
            while process.poll() is None and plan is not None and time.monotonic() < deadline:
                kind, value, extra = plan
                if kind == "timed" and time.monotonic() - began >= value:
                    break
                if kind in ("commit", "committed") and sum(event == kind for event, _ in read_events(log)) >= value:
                    time.sleep(extra)
                    break
                time.sleep(0.002)
            if plan is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                seconds = time.monotonic() - began
            process.wait(timeout=300)
            if process.returncode != -signal.SIGKILL:
                seconds = time.monotonic() - began
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        errors.seek(0)
        stderr = errors.read()
    return Run(process.returncode, seconds, read_events(log), stderr, real)


@dataclass
class Trial:
    number: int
    what: str
    plan: str
    run: Run
    before: int
    after: int
    expected: str
    problems: List[str] = field(default_factory=list)


class Checker:
    """What every kill must leave behind, compared with the reference."""

    def __init__(self, workdir: Path, records: List[Dict[str, str]], reference: Path) -> None:
        self.workdir = workdir
        self.order = [record["id"] for record in records]
        self.titles = {record["id"]: record["title"] for record in records}
        self.reference = snapshot(reference)
        self.texts = texts_of(reference, self.order)

    def prefix(self, count: int) -> Snapshot:
        return {doc_id: self.reference[doc_id] for doc_id in self.order[:count]}

    def count(self, path: Path) -> int:
        return len(snapshot(path)) if searchlib.Index.exists(path) else 0

    def check(self, path: Path, expected: Snapshot, texts: Dict[str, str], problems: List[str]) -> None:
        """``path`` opens and holds exactly ``expected``; stats and queries work."""
        if not expected and not searchlib.Index.exists(path):
            # Killed before a new index had its first table of contents:
            # nothing to read; the next run of the command must create it
            # (a run that fails is a problem of its trial).
            return
        stats = subprocess.run(
            [sys.executable, "-m", "searchlib", "stats", "--json", "--index", str(path)],
            cwd=self.workdir, env=ENV, capture_output=True, text=True, timeout=120,
        )
        if stats.returncode != 0:
            problems.append(f"search stats exit {stats.returncode}: {stats.stderr.strip()}")
        elif json.loads(stats.stdout)["documents"] != len(expected):
            problems.append(f"search stats: {json.loads(stats.stdout)['documents']} documents, expected {len(expected)}")
        try:
            found = snapshot(path)
        except Exception as error:  # any failure to read is a finding
            problems.append(f"Whoosh cannot read the index: {type(error).__name__}: {error}")
            return
        if found != expected:
            problems.append("passages differ: " + describe(found, expected))
        try:
            with searchlib.Index(path, create=False) as ix:
                stats_api = ix.stats()
                if (stats_api.documents, stats_api.passages) != (len(expected), sum(map(len, expected.values()))):
                    problems.append(f"Index.stats(): {stats_api.documents} documents, {stats_api.passages} passages")
                for doc_id in expected:
                    document = ix.document(doc_id)
                    if document is None or document.text != texts[doc_id]:
                        problems.append(f"Index.document({doc_id!r}) differs from before")
                        break
                absent = [doc_id for doc_id in self.order if doc_id not in expected]
                if absent and ix.document(absent[0]) is not None:
                    problems.append(f"Index.document({absent[0]!r}) found, never committed")
                if expected:
                    last = list(expected)[-1]
                    hits = {hit.doc_id for hit in ix.search(self.titles[last], limit=ARTICLES, per_doc=1, collapse_duplicates=False)}
                    if last not in hits or not hits <= set(expected):
                        problems.append(f"search for the title of {last!r}: {len(hits)} hits, {sorted(hits - set(expected))[:3]} not committed")
                if absent:
                    hits = {hit.doc_id for hit in ix.search(self.titles[absent[0]], limit=ARTICLES, per_doc=1, collapse_duplicates=False)}
                    if not hits <= set(expected):
                        problems.append(f"search finds documents never committed: {sorted(hits - set(expected))[:3]}")
        except Exception as error:  # any failure to open or search is a finding
            problems.append(f"the index does not open or search: {type(error).__name__}: {error}")


def print_table(trials: List[Trial], seconds: float) -> None:
    print(f"\n{'#':>3}  {'command':<22} {'kill plan':<22} {'ran for':>9}  {'phase':<10} {'docs before->after':>18}  {'accepted':<12} outcome")
    for t in trials:
        outcome = "killed" if t.run.killed else f"exit {t.run.returncode}"
        if t.problems:
            outcome += " FAILED: " + "; ".join(t.problems)
        else:
            outcome += ", ok"
        print(
            f"{t.number:>3}  {t.what:<22} {t.plan:<22} {t.run.seconds:>8.2f}s  {t.run.phase:<10} "
            f"{t.before:>8} -> {t.after:<7}  {t.expected:<12} {outcome}"
        )
    killed = [t for t in trials if t.run.killed]
    phases = Counter(t.run.phase for t in killed)
    print(
        f"{len(trials)} runs, {len(killed)} killed (phases: {dict(phases)}), "
        f"{sum(1 for t in trials if t.problems)} with problems, {seconds:.0f} s"
    )


def test_sigkill_at_random_moments_keeps_exactly_the_committed_documents(tmp_path):
    began = time.monotonic()
    records = articles(ARTICLES)
    assert len({record["id"] for record in records}) == ARTICLES
    corpus = write_jsonl(tmp_path / "corpus.jsonl", records)
    # The reference: the same command, never killed (timed, to spread the kills).
    reference = tmp_path / "reference"
    whole_run = run_command(tmp_path, ["index", "--quiet", "--index", str(reference), str(corpus)], False, None)
    assert whole_run.returncode == 0, whole_run.stderr
    assert sum(count for event, count in whole_run.events if event == "committed") == ARTICLES
    checker = Checker(tmp_path, records, reference)
    assert len(checker.reference) == ARTICLES and len(checker.texts) == ARTICLES
    # Seconds a document, instrumented (small batches: many commits and
    # merges) and real (one commit); updated after each run that completes,
    # as the machine's pace changes with other work.
    pace = {False: max(whole_run.seconds - 0.7, 1.0) / ARTICLES}
    pace[True] = pace[False] / 3

    rng = random.Random(SEED)
    trials: List[Trial] = []

    def estimate(done: int, real: bool = False) -> float:
        """Seconds a run needs from its start (imports, skipping the
        documents already there) to its end."""
        return 0.7 + done * 0.002 + (ARTICLES - done) * pace[real]

    def plan_for(series: int, step: int, done: int) -> Tuple[Tuple[str, float, float], str, bool]:
        """A kill plan for the step-th kill of a series: in start-up (in the
        interpreter's start-up for the first), at a random moment, just after
        a random commit began or ended (not with the real command, which
        commits once, at the end), near the end."""
        real = step % 5 == 3
        whole = estimate(done, real)
        kind = ("start-up", "anywhere", "at a commit", "anywhere", "near end")[step % 5]
        if kind == "at a commit":
            event = ("commit", "committed")[series % 2]
            number = rng.randint(1, max(1, (ARTICLES - done) // BATCH))
            extra = rng.uniform(0.0, 0.03)
            return (event, number, extra), f"{event} {number} +{extra * 1000:.0f} ms", real
        start_up = (0.02, 0.15) if series == 1 else (0.02, 1.0)
        low, high = {"start-up": start_up, "anywhere": (0.3, 0.95 * whole), "near end": (0.85 * whole, 1.1 * whole)}[kind]
        delay = rng.uniform(low, high)
        return ("timed", delay, 0.0), f"{kind} {delay:.2f}s", real

    def plain_trial(index: Path, plan: Optional[Tuple[str, float, float]], label: str, real: bool) -> Trial:
        before = checker.count(index)
        run = run_command(tmp_path, ["index", "--quiet", "--index", str(index), str(corpus)], real, plan)
        if run.returncode == 0 and ARTICLES - before >= ARTICLES // 4:
            pace[real] = max(run.seconds - 0.7 - before * 0.002, 0.5) / (ARTICLES - before)
        problems: List[str] = []
        if not run.killed and run.returncode != 0:
            problems.append(f"exit {run.returncode}: {run.stderr.strip()[-300:]}")
        if not run.killed:
            accepted = {ARTICLES}
        elif real:
            accepted = {before, ARTICLES}  # the real command commits all at once, at the end
        else:
            accepted = {before + run.committed, before + run.committed + run.in_flight}
        try:
            after = checker.count(index)
        except Exception as error:  # reported by check() below
            after = -1
            problems.append(f"cannot count: {error}")
        if after < before:
            problems.append(f"documents lost: {before} before this run, {after} after")
        if after not in accepted:
            problems.append(f"{after} documents, but the run had committed {sorted(accepted)}")
        checker.check(index, checker.prefix(max(after, 0)), checker.texts, problems)
        what = "search index" if real else f"search index (batch {BATCH})"
        expected = "/".join(str(n) for n in sorted(accepted))
        return Trial(len(trials) + 1, what, label, run, before, after, expected, problems)

    # Plain runs: series of kills on one index, each series ended by a run
    # of the same command that must complete.
    kills = 0
    series = 0
    while kills < KILLS:
        series += 1
        index = tmp_path / f"ix{series}"
        for step in range(KILLS_PER_SERIES):
            plan, label, real = plan_for(series, step, checker.count(index))
            trial = plain_trial(index, plan, label, real)
            trials.append(trial)
            if not trial.run.killed:
                break  # it finished before the kill: the series is complete
            kills += 1
            if kills == KILLS:
                break
        if trials[-1].run.killed:
            trials.append(plain_trial(index, None, "re-run to the end", False))
        final = trials[-1]
        if final.after != ARTICLES:
            final.problems.append(f"the re-run did not complete the index: {final.after} of {ARTICLES}")

    # Rebuilds, killed: the old index (other texts, a quarter of the ids)
    # stays exactly as it was, unless the swap was done.
    old_index = tmp_path / "rebuilt"

    def make_old_index() -> None:
        shutil.rmtree(old_index, ignore_errors=True)
        with searchlib.Index(old_index) as ix:
            ix.add_documents({**record, "text": record["text"] + "\n\nAncienne version."} for record in records[: ARTICLES // 4])

    make_old_index()
    old = snapshot(old_index)
    old_texts = texts_of(old_index, list(old))
    rebuild = ["index", "--quiet", "--rebuild", "--index", str(old_index), str(corpus)]
    rebuilds_killed = 0
    for step in range(REBUILD_KILLS + 6):
        if rebuilds_killed >= REBUILD_KILLS:
            break
        if step and not trials[-1].run.killed:
            make_old_index()  # the last rebuild finished before its kill: start again from the old index
        real = step == 2
        delay = rng.uniform(0.02, 1.0) if step == 0 else rng.uniform(0.3, 0.8 * estimate(0, real))
        run = run_command(tmp_path, rebuild, real, ("timed", delay, 0.0))
        problems = []
        if not run.killed and run.returncode != 0:
            problems.append(f"exit {run.returncode}: {run.stderr.strip()[-300:]}")
        # The rebuilt index may be in place only if the swap began (or the run
        # ended); it must be once the swap is done.
        may_swap = not run.killed or real or run.phase in ("swap", "after swap")
        must_swap = not run.killed or run.phase == "after swap"
        found = snapshot(old_index) if searchlib.Index.exists(old_index) else None
        if must_swap or (may_swap and found == checker.reference):
            expected, texts, accepted = checker.reference, checker.texts, "new (swapped)"
        else:
            expected, texts, accepted = old, old_texts, "old, as it was"
        if found is None:
            problems.append("the index is gone")
        else:
            checker.check(old_index, expected, texts, problems)
        trials.append(
            Trial(len(trials) + 1, "search index --rebuild" if real else f"--rebuild (batch {BATCH})", f"{'start-up' if step == 0 else 'anywhere'} {delay:.2f}s",
                  run, len(old), len(found or {}), accepted, problems)
        )
        rebuilds_killed += run.killed
    leftovers_before = sorted(entry.name for entry in tmp_path.iterdir() if entry.name.startswith(".rebuilt."))
    run = run_command(tmp_path, rebuild, True, None)
    problems = [] if run.returncode == 0 else [f"exit {run.returncode}: {run.stderr.strip()[-300:]}"]
    checker.check(old_index, checker.reference, checker.texts, problems)
    leftovers = sorted(entry.name for entry in tmp_path.iterdir() if entry.name.startswith(".rebuilt."))
    if leftovers:
        problems.append(f"the rebuild left {leftovers} behind")
    trials.append(Trial(len(trials) + 1, "search index --rebuild", f"to the end ({len(leftovers_before)} left)",
                        run, len(old), checker.count(old_index), str(ARTICLES), problems))
    again = plain_trial(old_index, None, "re-run, up to date", True)
    trials.append(again)

    print_table(trials, time.monotonic() - began)
    killed = [t for t in trials if t.run.killed]
    assert sum(1 for t in killed if "rebuild" not in t.what) >= KILLS
    assert sum(1 for t in killed if "rebuild" in t.what) >= 2
    # The kills landed where they were meant to: in the interpreter's start-up,
    # while adding, in the middle of a commit; the real command was among them.
    phases = Counter(t.run.phase for t in killed)
    assert phases["start-up"] and phases["adding"] and phases["commit"] and phases["?"], phases
    assert [(t.number, t.problems) for t in trials if t.problems] == []


# -- kills at chosen moments -------------------------------------------------

DIE_AFTER = r"""
import os, signal, sys
import {module} as target
real = target.{name}
def dying(*args, **kwargs):
    {before}
    result = real(*args, **kwargs)
    {after}
    return result
target.{name} = dying
from searchlib.cli import main
sys.argv = ["search", *sys.argv[1:]]
main()
"""
_KILL = "os.kill(os.getpid(), signal.SIGKILL)"


def killed_run(workdir: Path, args: Sequence[str], module: str, name: str, before: str = "pass", after: str = "pass") -> None:
    script = DIE_AFTER.format(module=module, name=name, before=before, after=after)
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=workdir, env=ENV, capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_sigkill_while_a_new_index_is_created(tmp_path):
    """Killed with its settings written but no table of contents yet: the
    re-run takes the folder over (it refused it as foreign before)."""
    corpus = write_jsonl(tmp_path / "corpus.jsonl", articles(20))
    args = ["index", "--quiet", "--index", "ix", str(corpus)]
    # dies right after writing searchlib.json, the first file of a new index
    killed_run(tmp_path, args, "pathlib", "Path.write_text", after=f"if args[0].name == 'searchlib.json': {_KILL}")
    assert not searchlib.Index.exists(tmp_path / "ix")
    rerun = subprocess.run([sys.executable, "-m", "searchlib", *args], cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().documents == 20


def test_sigkill_while_a_rebuilt_index_is_swapped_in(tmp_path):
    """Killed between the two renames of the swap: an index is in place,
    the old one or the new (before, there was none: the old one lay in
    .ix.old-PID, which the next rebuild deleted)."""
    records = articles(20)
    corpus = write_jsonl(tmp_path / "corpus.jsonl", records)
    with searchlib.Index(tmp_path / "ix") as ix:
        ix.add_documents(records[:5])
    old = snapshot(tmp_path / "ix")
    args = ["index", "--quiet", "--rebuild", "--index", "ix", str(corpus)]
    # dies right after the first rename (old index moved aside), before the second
    killed_run(tmp_path, args, "os", "rename", after=f"if '.old-' in os.fspath(args[1]): {_KILL}")
    stats = subprocess.run([sys.executable, "-m", "searchlib", "stats", "--json", "--index", "ix"], cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert stats.returncode == 0, (stats.stderr, sorted(entry.name for entry in tmp_path.iterdir()))
    found = snapshot(tmp_path / "ix")
    assert found == old or len(found) == 20
    assert json.loads(stats.stdout)["documents"] == len(found)


def test_a_query_after_a_kill_before_the_first_commit(tmp_path):
    """The index exists and holds nothing: stats and queries work (a query
    failed with NotImplementedError before d51f859)."""
    corpus = write_jsonl(tmp_path / "corpus.jsonl", articles(20))
    # dies as the first batch is about to be committed: the index exists, empty
    killed_run(tmp_path, ["index", "--quiet", "--index", "ix", str(corpus)], "searchlib.indexing.run", "_Batches.commit", before=_KILL)
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().documents == 0
    stats = subprocess.run([sys.executable, "-m", "searchlib", "stats", "--index", "ix"], cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr
    query = subprocess.run([sys.executable, "-m", "searchlib", "query", "--index", "ix", "Syrie"], cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert query.returncode == 0, query.stderr
