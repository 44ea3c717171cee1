"""What the ``search`` command prints: results, explanations, parsed
queries, tokens, reports, sizes and the progress of an indexing run.

:mod:`searchlib.cli` parses options and calls the library; the text a
person reads is shaped here, so that each command's output can be read
(and changed) in one place, apart from the options that choose it.

Imported when the command starts: it imports neither numpy nor Whoosh,
so that help, version and shell completion stay fast (the library's types
are named for the type checker only).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from ._defaults import is_cluster_location, shown_location
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple, Union

import click

if TYPE_CHECKING:
    from .analysis import AnalysisStep, Token
    from .api import AddReport, CheckReport, Document, IndexStats, ParsedQuery, Passage, Progress, QueryClause, SearchResults
    from .backends.opensearch.export import ExportReport
    from .results import EmbedProgress


def print_json(data: Any) -> None:
    """``data`` as indented JSON, accents as they are."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


# -- search query ---------------------------------------------------------


def print_search_notes(results: SearchResults) -> None:
    """The notes and the suggested spelling, on stderr (stdout keeps the results)."""
    for note in results.notes:
        click.echo(f"searchlib: note: {note}", err=True)
    if results.suggestion:
        click.echo(f"Vouliez-vous dire : {results.suggestion}", err=True)


def _shortened(query: str, length: int = 60) -> str:
    """A query short enough to echo on one line: its start, then "…"."""
    return query if len(query) <= length else query[:length].rstrip() + "…"


def print_results(results: SearchResults, style: str, marks: Optional[Tuple[str, str]]) -> None:
    if not results and results.total:
        several = results.total != 1
        click.echo(
            f"Only {results.total} passage{'s' if several else ''} match{'' if several else 'es'} "
            f"{_shortened(results.query)!r}: none from {results.offset + 1} on."
        )
        return
    if not results:
        click.echo(f"No passage matches {_shortened(results.query)!r}.")
        return
    for rank, hit in enumerate(results, results.offset + 1):
        heading = [click.style(f"{rank}.", bold=True), hit.title or hit.doc_id]
        if hit.date:
            heading.append(hit.date)
        heading.append(f"passage {hit.passage}")
        heading.append(f"score {hit.score:.2f}")
        click.echo("  ".join(heading[:2]) + "  ·  " + "  ·  ".join(heading[2:]))
        click.echo("   " + hit.format_snippet(style, marks), color=style == "ansi")
        if hit.explanation:
            click.echo("   why: " + _why(hit.explanation))
        if hit.duplicates:
            count = len(hit.duplicates)
            names = ", ".join(hit.duplicates[:3]) + (", …" if count > 3 else "")
            click.echo(f"   (the same passage is in {count} other document{'s' if count > 1 else ''}: {names})")
        click.echo()
    shown = f"{len(results)}"
    if results.offset:
        shown = f"{results.offset + 1}–{results.offset + len(results)}"
    click.echo(f"{shown} of {results.total} matching passage{'s' if results.total != 1 else ''} shown.")


def print_facets(facets: Dict[str, Dict[str, int]]) -> None:
    """Each facet asked for on a line: its values and their passages, commonest first."""
    for name, counts in facets.items():
        values = ", ".join(f"{value} ({count})" for value, count in counts.items())
        click.echo(f"{name}: {values or 'none'}")


def _why(explanation: Sequence[Tuple[str, str, float]]) -> str:
    """``(text:kerry 2.36 + title:kerry 0.84) × coordination 0.71 + article 0.70 − other forms 0.12 = 2.82``."""
    terms = " + ".join(f"{field}:{term} {score:.2f}" for field, term, score in explanation if field in ("text", "title"))
    levers = {field: score for field, _, score in explanation}
    line = f"({terms})"
    if "coordination" in levers:
        line += f" × coordination {levers['coordination']:.2f}"
    if "article" in levers:
        line += f" + article {levers['article']:.2f}"
    loss = sum(score for field, _, score in explanation if field == "other forms")
    if loss:
        line += f" − other forms {-loss:.2f}"
    shares = [(term, score) for field, term, score in explanation if field == "fusion"]
    if shares:
        # Fused, the score is the two shares: what the words gave, and meaning.
        words, meaning = shares[0][1], shares[1][1]
        line = f"words {words:.3f}" + (f" [{line}]" if terms else "") + f" + meaning {meaning:.3f}"
    digits = 3 if shares else 2  # fused scores lie between 0 and 1
    return line + (f" = {levers['total']:.{digits}f}" if "total" in levers else "")


# -- search parse ---------------------------------------------------------


def print_parsed(parsed: ParsedQuery) -> None:
    """The clauses, then the notes and the corrected query."""
    for clause in parsed.clauses:
        _print_clause(clause, 0)
    for note in parsed.notes:
        click.echo(f"note: {note}")
    if parsed.suggestion:
        click.echo(f"Vouliez-vous dire : {parsed.suggestion}")


_OCCUR_LABELS = {"must": "required ", "must_not": "excluded ", "should": ""}


def _print_clause(clause: QueryClause, depth: int) -> None:
    """``excluded word "Daech": daech|daesh``, a group's clauses indented below it."""
    line = "  " * depth + _OCCUR_LABELS.get(clause.occur, "") + clause.kind
    if clause.kind == "filter":
        line += f" {clause.field}:{clause.text}"
    elif clause.text:
        line += f" {json.dumps(clause.text, ensure_ascii=False)}"
    if clause.distance:
        line += f" ~{clause.distance}"
    if clause.boost != 1.0:
        line += f" ^{clause.boost:g}"
    if clause.terms:
        line += ": " + " ".join("|".join(slot) for slot in clause.terms)
    elif clause.kind in ("word", "phrase", "prefix", "fuzzy"):
        line += ": (no indexed term)"
    click.echo(line)
    for inner in clause.clauses:
        _print_clause(inner, depth + 1)


# -- search analyze -------------------------------------------------------


def print_steps(stages: List[AnalysisStep], as_json: bool) -> None:
    """Each step's name and the tokens after it, one step a line."""
    if as_json:
        print_json([{"step": s.name, "tokens": [dict(t.__dict__) for t in s.tokens]} for s in stages])
        return
    width = max(len(s.name) for s in stages)
    for stage in stages:
        click.echo(f"{stage.name:<{width}}  " + " | ".join(t.text for t in stage.tokens))


def print_tokens(value: str, tokens: List[Token], as_json: bool) -> None:
    """A table of the terms of ``value``: position, offsets, term, the text it came from."""
    if as_json:
        print_json([dict(t.__dict__, original=value[t.start : t.end]) for t in tokens])
        return
    if not tokens:
        click.echo("(no terms: only common words or punctuation)")
        return
    click.echo(f"{'pos':>4} {'start':>6} {'end':>6}  {'term':<20} original")
    for t in tokens:
        click.echo(f"{t.position:>4} {t.start:>6} {t.end:>6}  {t.text:<20} {value[t.start:t.end]}")


# -- search stats, search check -------------------------------------------


def print_stats(stats: IndexStats) -> None:
    rows = [
        ("Index", shown_location(stats.path)),
        ("Documents", stats.documents),
        ("Passages", stats.passages),
        ("Distinct terms", stats.terms),
        ("Size on disk", human_size(stats.size_bytes)),
        ("Last update", stats.last_update or "never"),
    ]
    if stats.embedder is not None:
        rows.append(("Embedder", stats.embedder))
        rows.append(("No vector yet", f"{stats.passages_without_vectors} passages"))
    for label, value in rows:
        click.echo(f"{label + ':':<16} {value}")


def print_check(report: CheckReport, path: "Union[Path, str]") -> None:
    """Notes and problems, one a line, and the summary of a sound index."""
    for note in report.notes:
        click.echo(f"note: {note}")
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    if report.ok and is_cluster_location(path):
        click.echo(
            f"{path}: OK, {report.documents} documents, {report.passages} passages in "
            f"{report.segments} primary shards, every document's passages counted ({report.seconds:.1f} s)"
        )
    elif report.ok:
        click.echo(
            f"{shown_location(path)}: OK, {report.documents} documents, {report.passages} passages in "
            f"{report.segments} segments, every file read in full ({report.seconds:.1f} s)"
        )


# -- search show, search export ------------------------------------------

#: a record's fields before the metadata, as ``search index`` reads them back
_RECORD_FIELDS = ("id", "title", "date", "source", "text")


def document_with_passages(document: Document, passages: Sequence[Passage]) -> Dict[str, Any]:
    """A document as JSON-ready data, with its passages' numbers and offsets into ``text``."""
    return {
        "id": document.id, "title": document.title, "date": document.date, "source": document.source,
        "metadata": dict(document.metadata), "text": document.text,
        "passages": [{"number": passage.number, "start": passage.start, "end": passage.end} for passage in passages],
    }


def print_document(document: Document, passages: Sequence[Passage]) -> None:
    """A document's fields, then each passage under its number."""
    click.echo(click.style(document.title or document.id, bold=True))
    for label, value in (("id", document.id), ("date", document.date), ("source", document.source)):
        if value:
            click.echo(f"{label}: {value}")
    for key, value in document.metadata.items():
        click.echo(f"{key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")
    for passage in passages:
        click.echo()
        click.echo(click.style(f"[passage {passage.number}, {passage.start}–{passage.end}]", dim=True))
        click.echo(passage.text)


def _record(document: Document) -> Dict[str, Any]:
    record: Dict[str, Any] = {
        "id": document.id, "title": document.title, "date": document.date, "source": document.source,
        "text": document.text,
    }
    for key, value in document.metadata.items():
        record.setdefault(key, value)
    return record


def write_documents(documents: Iterable[Document], format: str, stream: TextIO) -> int:
    """Write ``documents`` as JSON Lines (metadata beside the fields) or CSV
    (metadata as one JSON column); the number written."""
    count = 0
    if format == "csv":
        import csv  # only exports need it

        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([*_RECORD_FIELDS, "metadata"])
        for document in documents:
            metadata = json.dumps(document.metadata, ensure_ascii=False) if document.metadata else ""
            writer.writerow([*(_record(document)[name] or "" for name in _RECORD_FIELDS), metadata])
            count += 1
        return count
    for document in documents:
        stream.write(json.dumps(_record(document), ensure_ascii=False) + "\n")
        count += 1
    return count


# -- search index ---------------------------------------------------------

ProgressCallback = Callable[["Progress"], None]


@contextlib.contextmanager
def indexing_progress(
    quiet: bool, from_stdin: bool, check: Optional[Callable[[], None]] = None
) -> Iterator[Tuple[ProgressCallback, ProgressCallback]]:
    """The progress callbacks of a run, for files and for standard input.

    Both are silent with ``quiet`` or when stderr is not a terminal. Files
    show a bar over the bytes to read; standard input, whose size is
    unknown, a counter. ``check`` runs at every report of the files (where
    a deferred Ctrl-C is taken).
    """
    shown = not quiet and sys.stderr.isatty()
    with click.progressbar(
        length=1, label="Indexing", file=sys.stderr, hidden=not shown or from_stdin,
        item_show_func=lambda item: item,
    ) as bar, _Counter(shown and from_stdin, _reading_stdin) as counter:

        def progress(state: Progress) -> None:
            if check is not None:
                check()
            bar.length = max(state.bytes_total, 1)
            shown_state = f"{state.documents} documents, {human_size(state.bytes_done)} of {human_size(state.bytes_total)}"
            if state.passages_embedded:
                rate = state.passages_embedded / state.seconds if state.seconds > 0 else 0.0
                shown_state += f", {state.passages_embedded} passages embedded ({rate:.1f}/s)"
            bar.update(state.bytes_done - bar.pos, shown_state)

        yield progress, counter


@contextlib.contextmanager
def embedding_progress(
    quiet: bool, check: Optional[Callable[[], None]] = None
) -> Iterator[Callable[[EmbedProgress], None]]:
    """A bar over the passages to embed, with their rate and the time
    left; silent with ``quiet`` or when stderr is not a terminal. ``check``
    runs at every report (where a deferred Ctrl-C is taken)."""
    shown = not quiet and sys.stderr.isatty()
    with click.progressbar(
        length=1, label="Embedding", file=sys.stderr, hidden=not shown, item_show_func=lambda item: item,
    ) as bar:

        def progress(state: EmbedProgress) -> None:
            if check is not None:
                check()
            bar.length = max(state.total, 1)
            left = "" if state.eta is None else f", {_duration(state.eta)} left"
            bar.update(state.done - bar.pos, f"{state.done} of {state.total} passages, {state.rate:.1f}/s{left}")

        yield progress


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


class _Counter:
    """A progress line on stderr for a run whose size is unknown (standard
    input, an export): ``describe`` says where it stands (a bar would sit at 0%)."""

    def __init__(self, shown: bool, describe: Callable[[Progress], str]) -> None:
        self._shown = shown
        self._describe = describe
        self._width = 0

    def __enter__(self) -> "_Counter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __call__(self, state: Progress) -> None:
        if not self._shown:
            return
        line = self._describe(state)
        # Padding wipes what a longer previous line left on the terminal.
        sys.stderr.write("\r" + line.ljust(self._width))
        sys.stderr.flush()
        self._width = max(self._width, len(line))


def _reading_stdin(state: Progress) -> str:
    plural = "s" if state.documents != 1 else ""
    return f"Indexing standard input: {state.documents} document{plural}, {human_size(state.bytes_done)} read"


def export_progress() -> _Counter:
    """The progress line of an export (shown on a terminal only)."""

    def describe(state: Progress) -> str:
        plural = "s" if state.documents != 1 else ""
        return f"Exporting: {state.documents} document{plural}, {human_size(state.bytes_done)} written"

    return _Counter(sys.stderr.isatty(), describe)


def print_export_report(report: ExportReport) -> None:
    """What an export for OpenSearch wrote, and where the way to load it is."""
    files = len(report.files)
    click.echo(
        f"searchlib: {report.documents} document{'s' if report.documents != 1 else ''} ({report.passages} passages) "
        f"written to {report.directory}/ for the OpenSearch index '{report.name}': settings.json and "
        f"{files} bulk file{'s' if files != 1 else ''} ({human_size(report.bytes)}); "
        f"{report.directory}/README.txt says how to load them",
        err=True,
    )


def print_interrupted(path: "Union[Path, str]", rebuilt: bool) -> None:
    """What an interrupted run left in the index, and how to finish."""
    kept = "what it held before this run" if rebuilt else "what it held and every batch this run committed"
    click.echo(f"searchlib: interrupted; {shown_location(path)} keeps {kept} (run it again to finish)", err=True)


def print_add_report(report: AddReport, path: "Union[Path, str]", rebuilt: bool, seconds: float, quiet: bool) -> None:
    """Warnings and failures on stderr, then (unless ``quiet``) the summary."""
    for warning in report.warnings:
        click.echo(f"searchlib: warning: {warning}", err=True)
    for failure in report.failures:
        click.echo(f"searchlib: {failure}", err=True)
    if not quiet:
        click.echo(_describe_report(report, path, rebuilt, seconds))


def _describe_report(report: AddReport, path: "Union[Path, str]", rebuilt: bool, seconds: float) -> str:
    if rebuilt:
        return f"Rebuilt {shown_location(path)}: {report.added} documents indexed, {report.failed} failed ({seconds:.1f} s)."
    if not report.changed and not report.failed:
        line = f"{shown_location(path)} is up to date: {report.unchanged} document{'s' if report.unchanged != 1 else ''} unchanged."
    else:
        line = f"Indexed into {shown_location(path)}: {report} ({seconds:.1f} s)."
    if report.orphaned:
        several = report.orphaned != 1
        line += (
            f" {report.orphaned} indexed document{'s have' if several else ' has'} lost {'their' if several else 'its'}"
            f" source file; --prune removes {'them' if several else 'it'}."
        )
    return line
