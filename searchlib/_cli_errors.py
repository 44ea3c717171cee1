"""How the ``search`` command fails: one line on stderr, never a traceback.

Library errors become one-line :class:`click.ClickException` s, with a
command that works as written when there is a way out (a missing index:
how to build one); :func:`run_reporting_errors` prints whatever ends a
command and picks the exit status (2 for usage, 130 for Ctrl-C, else 1).
Kept apart from :mod:`searchlib.cli` so that the commands read as what
they do, with the wording of their failures in one place.

Imported when the command starts: it imports neither numpy nor Whoosh.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from ._defaults import shown_location
from typing import Any, Callable, Iterator, NoReturn, Optional, Union

import click

from .errors import IndexNotFoundError, QueryError, SearchlibError

DEBUG_VARIABLE = "SEARCHLIB_DEBUG"


def run_reporting_errors(name: str, run: Callable[[], Any]) -> NoReturn:
    """Run a command (click's non-standalone ``main``) as ``name`` and exit
    with its status, reporting every error as one line on stderr."""
    try:
        code = run()
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
        if os.environ.get(DEBUG_VARIABLE):
            raise
        click.echo(
            f"{name}: unexpected error: {type(error).__name__}: {error} "
            f"(set {DEBUG_VARIABLE}=1 for details)",
            err=True,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


@contextlib.contextmanager
def library_errors(path: "Optional[Union[Path, str]]" = None) -> Iterator[None]:
    """A library error becomes the one-line error (see :func:`fail`)."""
    try:
        yield
    except SearchlibError as error:
        raise fail(error, path) from None


@contextlib.contextmanager
def query_errors() -> Iterator[None]:
    """A query the library cannot read is a usage error (exit 2); any other
    library error, the one-line error (exit 1)."""
    try:
        yield
    except QueryError as error:
        raise click.UsageError(str(error)) from None
    except SearchlibError as error:
        raise fail(error) from None


def fail(error: SearchlibError, path: "Optional[Union[Path, str]]" = None) -> click.ClickException:
    """The one-line error; a missing index at ``path`` says how to build one."""
    if path is not None and isinstance(error, IndexNotFoundError):
        return no_index(path)
    return click.ClickException(str(error))


def no_index(path: "Union[Path, str]", default: bool = False) -> click.ClickException:
    """No index at ``path`` (``default``: the one no option chose): how to
    build one, in a command that works as written (an index is never built
    into a folder of other files)."""
    from .storage.store import HOUSEKEEPING

    if isinstance(path, str):
        return click.ClickException(f"no index at {path}; build one with: search index --index {path} PATH")
    try:
        others = path.is_dir() and bool(set(os.listdir(path)) - HOUSEKEEPING)
    except OSError:
        others = False
    if not others and default:
        return click.ClickException(
            f"no index in {shown_location(path)} and no ./seeds folder to build one from; build one with: search index PATH"
        )
    if not others:
        return click.ClickException(f"no index at {shown_location(path)}; build one with: search index --index {path} PATH")
    target = _free_folder(path)
    return click.ClickException(
        f"{shown_location(path)} holds other files but no searchlib index; index them into a new folder with: "
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
    import shlex  # only failures need it

    return shlex.quote(str(path))


def stdin_id_taken(path: "Union[Path, str]") -> click.UsageError:
    """A second text from standard input without an id would replace the first."""
    return click.UsageError(
        f"{shown_location(path)} already holds another text read from standard input without an id; "
        f"pass --id NAME to index this one beside it (--id stdin replaces the first)"
    )


def damaged(path: "Union[Path, str]", problems: int) -> click.ClickException:
    """``search check`` found damage: how to rebuild from the sources."""
    return click.ClickException(
        f"index {path} is damaged ({problems} problem(s)); rebuild it from its "
        f"sources with: search index --rebuild --index {path} PATH"
    )


def unknown_document(doc_id: str, path: "Union[Path, str]") -> click.ClickException:
    """No document ``doc_id`` in the index at ``path``."""
    return click.ClickException(f"no document {doc_id!r} in {shown_location(path)}")
