"""The ``search`` command: a thin click layer over :mod:`searchlib`'s API.

``search QUERY...`` is short for ``search query QUERY...`` whenever the
first word is not a subcommand.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import click

from . import __version__
from ._defaults import DEFAULT_LOCK_TIMEOUT, FORMATS
from ._interrupt import DeferredInterrupt
from .errors import DocumentIdError, IndexNotFoundError, QueryError, SearchlibError

# The API (numpy, Whoosh) is imported by the commands that use it, so that
# help, version and shell completion answer at Python's own start-up speed.
if TYPE_CHECKING:
    from .api import AddReport, Index, Progress, QueryClause, SearchResults

DEFAULT_INDEX = Path("index")
_DEBUG_VARIABLE = "SEARCHLIB_DEBUG"


class _SearchGroup(click.Group):
    """Runs ``query`` when the first word is not a subcommand, and reports
    every error as one line on stderr (exit 2 for usage, 1 otherwise)."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["query", *args]
        return super().parse_args(ctx, args)

    def main(self, args: Optional[Sequence[str]] = None, prog_name: Optional[str] = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        name = prog_name or os.path.basename(sys.argv[0]) or "search"
        if name in ("__main__.py", "-c"):
            name = "search"
        try:
            code = super().main(args, prog_name=name, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.format_message(), err=True)
            sys.exit(error.exit_code)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            click.echo(f"{name}: {error.format_message()}{hint}", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"{name}: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort as error:
            click.echo(f"{name}: interrupted", err=True)
            # click turns Ctrl-C into Abort; the shell's status for SIGINT is 130
            sys.exit(130 if isinstance(error.__cause__, KeyboardInterrupt) else 1)
        except KeyboardInterrupt:
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (``search ... | head``): stop quietly, and
            # keep Python from complaining when it flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as error:  # the promise: never a traceback
            if os.environ.get(_DEBUG_VARIABLE):
                raise
            click.echo(
                f"{name}: unexpected error: {type(error).__name__}: {error} "
                f"(set {_DEBUG_VARIABLE}=1 for details)",
                err=True,
            )
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _index_option(function: Any) -> Any:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="SEARCHLIB_INDEX",
        default=None,
        help="Index directory (default: $SEARCHLIB_INDEX, else ./index).",
    )(function)


def _default_seeds() -> Optional[Path]:
    """The sample articles to build the default index from on first use:
    ./seeds only, so that a search elsewhere never creates an index there."""
    seeds = Path("seeds")
    return seeds if seeds.is_dir() else None


def _fail(error: SearchlibError, path: Optional[Path] = None) -> click.ClickException:
    """The one-line error; a missing index at ``path`` says how to build one."""
    if path is not None and isinstance(error, IndexNotFoundError):
        return _no_index(path)
    return click.ClickException(str(error))


def _no_index(path: Path, default: bool = False) -> click.ClickException:
    """No index at ``path`` (``default``: the one no option chose): how to
    build one, in a command that works as written (an index is never built
    into a folder of other files)."""
    from .storage.store import HOUSEKEEPING

    try:
        others = path.is_dir() and bool(set(os.listdir(path)) - HOUSEKEEPING)
    except OSError:
        others = False
    if not others and default:
        return click.ClickException(
            f"no index in {path}/ and no ./seeds folder to build one from; build one with: search index PATH"
        )
    if not others:
        return click.ClickException(f"no index at {path}/; build one with: search index --index {path} PATH")
    target = _free_folder(path)
    return click.ClickException(
        f"{path}/ holds other files but no searchlib index; index them into a new folder with: "
        f"search index --index {_quote(target)} {_quote(path)}, then search with: search --index {_quote(target)} QUERY"
    )


def _free_folder(path: Path) -> Path:
    """A folder beside ``path`` for its index: absent, or empty."""
    base = path / "index" if path.name in ("", ".", "..") else path.with_name(f"{path.name}-index")
    candidate, number = base, 1
    while candidate.exists() and not (candidate.is_dir() and not any(candidate.iterdir())):
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def _quote(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def _open_existing(index_dir: Optional[Path], synonyms: Optional[Path] = None) -> Index:
    """Open the index to search, building the default one from the sample
    articles on first use."""
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    if index_dir is None and not Index.exists(path):
        seeds = _default_seeds()
        if seeds is not None:
            click.echo(f"searchlib: no index in {path}/ yet: building it from {seeds}/ (first use)", err=True)
            try:
                with Index(path) as ix:
                    ix.add_path(seeds)
            except SearchlibError as error:
                raise _fail(error) from None
    try:
        return Index(path, create=False, synonyms=synonyms)
    except IndexNotFoundError:
        raise _no_index(path, default=index_dir is None) from None
    except SearchlibError as error:
        raise _fail(error) from None


@click.group(cls=_SearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="searchlib")
def cli() -> None:
    """French full-text search over passages of your documents.

    \b
    Examples:
      search "cessez-le-feu en Syrie"       search the index (built from ./seeds on first use)
      search index articles/                index a folder of .txt, .md, .jsonl files
      search analyze "L'armée a-t-il ..."   show how text is analysed
    """


class _QueryCommand(click.Command):
    """A command whose arguments are the words of a query: a word that
    starts with a dash (``-Daech``, ``-négociations``) is a word to
    exclude, never a cluster of short options (``-D -a -e -c -h``) nor an
    option with its value attached (``-n égociations``)."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        return super().parse_args(ctx, _words_after_options(self, ctx, args))


def _words_after_options(command: click.Command, ctx: click.Context, args: List[str]) -> List[str]:
    """``args`` with the options first and every word of the query after
    ``--``, in the order typed."""
    takes_value: Dict[str, bool] = {}
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not (param.is_flag or param.count)
    options: List[str] = []
    words: List[str] = []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            words.extend(tokens)
            break
        name = token.split("=", 1)[0]
        if name in takes_value:
            options.append(token)
            if takes_value[name] and "=" not in token:
                options.extend(itertools.islice(tokens, 1))
        elif re.fullmatch(r"-[^\W\d_]\d+", token) and takes_value.get(token[:2]):
            options.append(token)  # -n5
        elif token.startswith("--") and len(token) > 2:
            options.append(token)  # a mistyped option is told as such
        else:
            words.append(token)
    return [*options, "--", *words] if words else options


@cli.command("query", cls=_QueryCommand)
@_index_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="Number of passages to show.")
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, metavar="N",
    help="Skip the N best passages first (the next page: --offset 10 --limit 10).",
)
@click.option("--per-doc", type=click.IntRange(min=1), default=None, help="At most N passages of any one document.")
@click.option("--after", metavar="DATE", help="Only passages dated on or after DATE (2016, 2016-07, 2016-07-14).")
@click.option("--before", metavar="DATE", help="Only passages dated on or before DATE.")
@click.option("--source", metavar="TEXT", help="Only passages whose source contains TEXT.")
@click.option(
    "--format", "output_format", type=click.Choice(["auto", "ansi", "text", "html"]), default="auto", show_default=True,
    help="How snippets mark matches: bold on a terminal (ansi), [brackets] (text), <mark> (html).",
)
@click.option("--marks", metavar="OPEN,CLOSE", help="Marks around matches in snippets, e.g. '**,**'.")
@click.option(
    "--synonyms", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="SEARCHLIB_SYNONYMS",
    help="File of synonym groups, one a line: 'ONU, Nations unies' (default: $SEARCHLIB_SYNONYMS).",
)
@click.option("--snippet-chars", type=click.IntRange(min=20), default=240, show_default=True, help="Snippet length in characters.")
@click.option("--explain", is_flag=True, help="Show the terms each passage matched, in which field, and their scores.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object (snippet in HTML, with highlights).")
@click.argument("words", nargs=-1, required=True)
def query_command(
    index_dir: Optional[Path],
    limit: int,
    offset: int,
    per_doc: Optional[int],
    after: Optional[str],
    before: Optional[str],
    source: Optional[str],
    output_format: str,
    marks: Optional[str],
    synonyms: Optional[Path],
    snippet_chars: int,
    explain: bool,
    as_json: bool,
    words: Tuple[str, ...],
) -> None:
    """Search for WORDS and print the best passages (query language: docs/query.md).

    A word starting with - is excluded: search Lavrov -Kerry.
    """
    text = " ".join(words)
    if not text.strip():
        raise click.UsageError("empty query: give at least one word to search for")
    chosen_marks = _parse_marks(marks)
    with _open_existing(index_dir, synonyms) as ix:
        try:
            results = ix.search(
                text,
                limit=limit,
                per_doc=per_doc,
                after=after,
                before=before,
                source=source,
                snippet_chars=snippet_chars,
                explain=explain,
                offset=offset,
            )
        except QueryError as error:
            raise click.UsageError(str(error)) from None
        except SearchlibError as error:
            raise _fail(error) from None
    for note in results.notes:
        click.echo(f"searchlib: note: {note}", err=True)
    if results.suggestion:
        click.echo(f"Vouliez-vous dire : {results.suggestion}", err=True)
    if as_json:
        click.echo(json.dumps(results.to_dict(chosen_marks), ensure_ascii=False, indent=2))
        return
    if output_format == "auto":
        output_format = "ansi" if sys.stdout.isatty() else "text"
    _print_results(results, output_format, chosen_marks)


@cli.command("parse", cls=_QueryCommand)
@_index_option
@click.option(
    "--synonyms", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="SEARCHLIB_SYNONYMS",
    help="File of synonym groups, as for a search (default: $SEARCHLIB_SYNONYMS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reading as one JSON object.")
@click.argument("words", nargs=-1, required=True)
def parse_command(index_dir: Optional[Path], synonyms: Optional[Path], as_json: bool, words: Tuple[str, ...]) -> None:
    """Show how a search reads WORDS: each clause, with the indexed terms it searches.

    Searches nothing; notes and the corrected query follow the clauses.
    """
    text = " ".join(words)
    if not text.strip():
        raise click.UsageError("empty query: give at least one word to read")
    with _open_existing(index_dir, synonyms) as ix:
        try:
            parsed = ix.parse(text)
        except QueryError as error:
            raise click.UsageError(str(error)) from None
        except SearchlibError as error:
            raise _fail(error) from None
    if as_json:
        click.echo(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
        return
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


def _parse_marks(value: Optional[str]) -> Optional[Tuple[str, str]]:
    if value is None:
        return None
    opening, comma, closing = value.partition(",")
    if not comma:
        raise click.BadParameter("give the opening and closing marks separated by a comma, e.g. '[,]'", param_hint="--marks")
    return opening, closing


def _shortened(query: str, length: int = 60) -> str:
    """A query short enough to echo on one line: its start, then "…"."""
    return query if len(query) <= length else query[:length].rstrip() + "…"


def _print_results(results: SearchResults, style: str, marks: Optional[Tuple[str, str]]) -> None:
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


def _parse_passage_words(value: Optional[str]) -> Optional[Tuple[int, int]]:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*[-:,]\s*(\d+)\s*", value)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise click.BadParameter(f"{value!r} is not MIN-MAX with 1 <= MIN <= MAX (e.g. 40-120)")
    return int(match.group(1)), int(match.group(2))


@cli.command("index")
@_index_option
@click.option("--include", multiple=True, metavar="GLOB", help="Index only files matching GLOB (repeatable), e.g. '*.md', '2016/**'.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files and folders matching GLOB (repeatable), e.g. 'drafts'.")
@click.option("--prune", is_flag=True, help="Remove documents read from under PATHS that this run does not read: their file has gone, or --include/--exclude now leave it out.")
@click.option("--rebuild", is_flag=True, help="Build a fresh index beside the old one and swap it in when complete.")
@click.option(
    "--format", "input_format", type=click.Choice(FORMATS), default=None,
    help="Format of standard input (default: guessed from its content).",
)
@click.option(
    "--id", "doc_id", metavar="NAME",
    help="Id of the text read from standard input (default: stdin); records without an id get NAME-LINE.",
)
@click.option("--id-field", metavar="NAME", help="JSON field or CSV column holding the document id (default: id).")
@click.option("--text-field", metavar="NAME", help="... holding the text (default: text, texte, body, content).")
@click.option("--title-field", metavar="NAME", help="... holding the title (default: title, titre).")
@click.option("--date-field", metavar="NAME", help="... holding the date (default: date).")
@click.option("--url-field", metavar="NAME", help="... holding the URL (default: url, link, source).")
@click.option("--passage-words", metavar="MIN-MAX", help="Passage size in words for a new or rebuilt index (default: 40-120).")
@click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=DEFAULT_LOCK_TIMEOUT, show_default=True, metavar="SECONDS",
    help="How long to wait for another process writing to the index before giving up.",
)
@click.option(
    "--workers", type=click.IntRange(min=0), default=None, metavar="N",
    help="Processes that cut and analyse documents while this one writes (default: one per core, at most 4; 0: none).",
)
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=None, metavar="N",
    help="Documents written between two commits (default: 5000); an interrupted run keeps every batch committed.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
def index_command(
    index_dir: Optional[Path],
    include: Tuple[str, ...],
    exclude: Tuple[str, ...],
    prune: bool,
    rebuild: bool,
    input_format: Optional[str],
    doc_id: Optional[str],
    id_field: Optional[str],
    text_field: Optional[str],
    title_field: Optional[str],
    date_field: Optional[str],
    url_field: Optional[str],
    passage_words: Optional[str],
    lock_timeout: float,
    workers: Optional[int],
    batch_size: Optional[int],
    quiet: bool,
    paths: Tuple[Path, ...],
) -> None:
    """Index the files and folders PATHS (default: ./seeds); - reads standard input.

    Reads .txt, .md, .html, .jsonl/.ndjson, .json and .csv/.tsv files, plain
    or .gz. Unchanged documents are skipped and changed ones replaced, so
    running it again is cheap; an interrupted run keeps the index as it was.
    """
    from .api import FieldMap, Index

    sizes = _parse_passage_words(passage_words)
    fields = FieldMap(id=id_field, text=text_field, title=title_field, date=date_field, url=url_field)
    from_stdin = any(str(p) == "-" for p in paths)
    if from_stdin and (len(paths) > 1 or prune or rebuild):
        raise click.UsageError("'-' (standard input) cannot be combined with other paths, --prune or --rebuild")
    if doc_id is not None and not from_stdin:
        raise click.UsageError("--id names the text read from standard input: give '-' as the PATH")
    if doc_id is not None and not doc_id.strip():
        raise click.BadParameter("give a non-empty id", param_hint="--id")
    if not paths:
        if not Path("seeds").is_dir():
            raise click.UsageError("no PATH given and there is no ./seeds folder to index")
        paths = (Path("seeds"),)
    path = index_dir or DEFAULT_INDEX
    show_progress = not quiet and sys.stderr.isatty()
    began = time.monotonic()
    # Ctrl-C is taken at the next progress report, where the run stops
    # cleanly; standard input gives none (a read may wait for ever).
    interrupt = DeferredInterrupt() if not from_stdin else None
    try:
        with interrupt or contextlib.nullcontext(), click.progressbar(
            length=1, label="Indexing", file=sys.stderr, hidden=not show_progress or from_stdin,
            item_show_func=lambda item: item,
        ) as bar, _Counter(show_progress and from_stdin) as counter:

            def progress(state: Progress) -> None:
                if interrupt is not None:
                    interrupt.check()
                bar.length = max(state.bytes_total, 1)
                bar.update(
                    state.bytes_done - bar.pos,
                    f"{state.documents} documents, {_human_size(state.bytes_done)} of {_human_size(state.bytes_total)}",
                )

            if rebuild:
                report = Index.rebuild(
                    path, *paths, include=include, exclude=exclude, fields=fields, passage_words=sizes,
                    lock_timeout=lock_timeout, progress=progress, workers=workers, batch_size=batch_size,
                )
            else:
                with Index(
                    path, passage_words=sizes, lock_timeout=lock_timeout, workers=workers, batch_size=batch_size
                ) as ix:
                    if from_stdin:
                        try:
                            report = ix.add_stream(
                                sys.stdin.buffer, format=input_format, doc_id=doc_id, fields=fields, progress=counter
                            )
                        except DocumentIdError:
                            raise click.UsageError(
                                f"{path}/ already holds another text read from standard input without an id; "
                                f"pass --id NAME to index this one beside it (--id stdin replaces the first)"
                            ) from None
                    else:
                        report = ix.add_path(
                            *paths, include=include, exclude=exclude, fields=fields, prune=prune, progress=progress
                        )
    except KeyboardInterrupt:
        kept = "what it held before this run" if rebuild else "what it held and every batch this run committed"
        click.echo(f"searchlib: interrupted; {path}/ keeps {kept} (run it again to finish)", err=True)
        raise click.exceptions.Exit(130) from None
    except SearchlibError as error:
        raise _fail(error) from None
    for warning in report.warnings:
        click.echo(f"searchlib: warning: {warning}", err=True)
    for failure in report.failures:
        click.echo(f"searchlib: {failure}", err=True)
    if not quiet:
        click.echo(_describe_report(report, path, rebuild, time.monotonic() - began))
    if report.failed:
        raise click.exceptions.Exit(1)


class _Counter:
    """A progress line on stderr for standard input, whose size is unknown:
    documents and bytes read so far (a bar would sit at 0%)."""

    def __init__(self, shown: bool) -> None:
        self._shown = shown
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
        plural = "s" if state.documents != 1 else ""
        line = f"Indexing standard input: {state.documents} document{plural}, {_human_size(state.bytes_done)} read"
        # Padding wipes what a longer previous line left on the terminal.
        sys.stderr.write("\r" + line.ljust(self._width))
        sys.stderr.flush()
        self._width = max(self._width, len(line))


def _describe_report(report: AddReport, path: Path, rebuilt: bool, seconds: float) -> str:
    if rebuilt:
        return f"Rebuilt {path}/: {report.added} documents indexed, {report.failed} failed ({seconds:.1f} s)."
    if not report.changed and not report.failed:
        line = f"{path}/ is up to date: {report.unchanged} document{'s' if report.unchanged != 1 else ''} unchanged."
    else:
        line = f"Indexed into {path}/: {report} ({seconds:.1f} s)."
    if report.orphaned:
        several = report.orphaned != 1
        line += (
            f" {report.orphaned} indexed document{'s have' if several else ' has'} lost {'their' if several else 'its'}"
            f" source file; --prune removes {'them' if several else 'it'}."
        )
    return line


@cli.command("analyze")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@click.option("--steps", is_flag=True, help="Show the tokens after each step of the analysis.")
@click.argument("text", nargs=-1, required=True)
def analyze_command(as_json: bool, steps: bool, text: Tuple[str, ...]) -> None:
    """Show the terms the index stores for TEXT, with their offsets."""
    from .analysis import analysis_steps, analyze

    value = " ".join(text)
    if steps:
        stages = analysis_steps(value)
        if as_json:
            data = [{"step": s.name, "tokens": [dict(t.__dict__) for t in s.tokens]} for s in stages]
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        width = max(len(s.name) for s in stages)
        for stage in stages:
            click.echo(f"{stage.name:<{width}}  " + " | ".join(t.text for t in stage.tokens))
        return
    tokens = analyze(value)
    if as_json:
        rows = [dict(t.__dict__, original=value[t.start : t.end]) for t in tokens]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not tokens:
        click.echo("(no terms: only common words or punctuation)")
        return
    click.echo(f"{'pos':>4} {'start':>6} {'end':>6}  {'term':<20} original")
    for t in tokens:
        click.echo(f"{t.position:>4} {t.start:>6} {t.end:>6}  {t.text:<20} {value[t.start:t.end]}")


@cli.command("stats")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats_command(index_dir: Optional[Path], as_json: bool) -> None:
    """Documents, passages, distinct terms, size and last update of the index."""
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    try:
        with Index(path, create=False) as ix:
            stats = ix.stats()
    except SearchlibError as error:
        raise _fail(error, path) from None
    if as_json:
        click.echo(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
        return
    rows = [
        ("Index", f"{stats.path}/"),
        ("Documents", stats.documents),
        ("Passages", stats.passages),
        ("Distinct terms", stats.terms),
        ("Size on disk", _human_size(stats.size_bytes)),
        ("Last update", stats.last_update or "never"),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<16} {value}")


@cli.command("check")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_command(index_dir: Optional[Path], as_json: bool) -> None:
    """Verify the index: read every file in full and every document's passages.

    Exits with status 1 and lists the damage when there is any; the way out
    is then to rebuild from the sources: search index --rebuild PATH.
    """
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    try:
        report = Index.check(path)
    except SearchlibError as error:
        raise _fail(error, path) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for note in report.notes:
            click.echo(f"note: {note}")
        for problem in report.problems:
            click.echo(f"problem: {problem}")
        if report.ok:
            click.echo(
                f"{path}/: OK, {report.documents} documents, {report.passages} passages in "
                f"{report.segments} segments, every file read in full ({report.seconds:.1f} s)"
            )
    if not report.ok:
        raise click.ClickException(
            f"index {path} is damaged ({len(report.problems)} problem(s)); rebuild it from its "
            f"sources with: search index --rebuild --index {path} PATH"
        )


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def main() -> None:
    """Console-script entry point (``search`` and ``searchlib``)."""
    cli.main()


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
    return line + (f" = {levers['total']:.2f}" if "total" in levers else "")
