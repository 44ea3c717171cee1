"""The examples of README.md and docs/*.md, run and compared with the pages.

A page that shows an output the code no longer gives fails here, so the
pages cannot drift from the code. The conventions (also in README.md, under
"Tests"):

- Every command of a ```console block runs: a line starting with ``$ `` (a
  line ending with ``\\`` continues on the next). The lines after it, up to
  the next command or the end of the block, are what it prints: stdout and
  stderr together, in the order they were written, as a terminal shows them
  (snippets are piped, so matches show as ``[brackets]``). Trailing blanks
  are ignored.
- The blocks of one page run in order, with bash, in one fresh folder: a
  copy of ``seeds/``, an ``index/`` folder holding only its README (as in a
  clone), and the small ``articles/`` folder and ``depeches.jsonl.gz`` that
  ``ARTICLES`` below holds. HOME is that folder; ``cd`` and ``export`` do
  not carry over from one command to the next.
- Compared as they are, except what changes from run to run: durations
  (``(0.4 s)``, ``12 ms``), times of day (``2026-12-07T02:06:31+00:00``),
  Whoosh's random segment names and the folder's own path (shown as ``~``).
  A line of only ``...`` stands for any number of lines, and ``...`` within
  a line for any text on it; keep these for what varies, never for scores,
  hits or counts.
- A block preceded by ``<!-- not run: REASON -->`` is shown, not run;
  single commands that cannot run here are in ``NOT_RUN``. In
  ``pip install ... && COMMAND`` only COMMAND runs.
- A ```python block runs too, the blocks of a page in order in one
  namespace, in a fresh folder prepared the same way; it must not raise, and
  a ``print(...)  # TEXT`` line must print TEXT (its first time, in a loop).
- A ```python block marked ``<!-- not run: a signature -->`` holds
  signatures, one a line (``ix.add_path(*paths, include=()) -> AddReport``,
  indented lines continuing one): their parameters, kinds and defaults must
  be the code's (a default of ``...`` is not compared).
- ``search serve`` (docs/serve.md, README.md) runs in the background for
  the rest of its page, on a free port in place of the one it names (7700
  by default): its output is the lines it prints up to the URL it serves,
  and the page's later commands reach it at ``localhost:7700`` (the port it
  was given), which the harness points at the real one, in commands and
  outputs alike. A ``"took_ms"`` in an output may differ from the page's.
  After the page, Ctrl-C must stop it with status 0.
- ``SEARCHLIB_UPDATE_DOCS=1 pytest tests/test_docs.py`` writes the outputs
  the code gives into the pages (outputs that already match are left
  alone); review them with ``git diff``.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import gzip
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import click
import pytest
from served import Server

import searchlib
from searchlib.cli import cli

PROJECT = Path(__file__).resolve().parent.parent
PAGES = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
CLI_PAGE = PROJECT / "docs" / "cli.md"
UPDATE = os.environ.get("SEARCHLIB_UPDATE_DOCS", "") not in ("", "0")

# Commands that cannot run in a test, by exact text (comments left out).
NOT_RUN: Dict[str, str] = {
    "pip install -e .": "installs the package; the tests run the installed one",
    "pytest": "the test suite itself",
}

# The user's own documents that the pages index besides the seeds.
ARTICLES: Dict[str, str] = {
    "articles/2016/08/rio.txt": (
        "date 2016-08-05\n"
        "Ouverture des Jeux olympiques de Rio\n"
        "\n"
        "Les Jeux olympiques de Rio de Janeiro s'ouvrent vendredi soir au stade Maracanã, "
        "les premiers organisés en Amérique du Sud. Les athlètes de plus de deux cents "
        "délégations y concourent jusqu'au 21 août.\n"
    ),
    "articles/2016/08/judo.md": (
        "---\n"
        "title: Teddy Riner conserve son titre\n"
        "date: 2016-08-12\n"
        "---\n"
        "\n"
        "Teddy Riner conserve aux Jeux de Rio son titre olympique des plus de 100 kg, "
        "quatre ans après Londres.\n"
    ),
    "articles/drafts/notes.txt": "Brouillon : reprendre les résultats du judo avant publication.\n",
}
DEPECHES = (
    '{"id": "depeche-1", "title": "Clôture des Jeux", "date": "2016-08-21", '
    '"text": "La cérémonie de clôture des Jeux olympiques de Rio a eu lieu dimanche au Maracanã."}\n'
    '{"id": "depeche-2", "title": "Bilan français", "date": "2016-08-22", '
    '"text": "La délégation française rentre de Rio avec quarante-deux médailles."}\n'
)

_NOT_RUN_MARK = re.compile(r"<!--\s*not run:\s*(.+?)\s*-->")
_FENCE = re.compile(r"^(```+)\s*([\w-]*)")


@dataclass
class Example:
    page: Path
    line: int  # of the "$ " line, 1-based
    command: str  # as bash runs it (continuation lines kept)
    expected: List[str]
    span: Tuple[int, int]  # the expected lines in the page, end excluded
    skip: Optional[str]  # the reason it is not run


@dataclass
class Block:
    language: str
    first: int  # index of the first line inside the fences
    lines: List[str]
    not_run: Optional[str]


def _blocks(lines: List[str]) -> List[Block]:
    blocks, index = [], 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence.group(1):
            end += 1
        before = [line for line in lines[:index] if line.strip()]
        mark = _NOT_RUN_MARK.fullmatch(before[-1].strip()) if before else None
        blocks.append(Block(fence.group(2), index + 1, lines[index + 1 : end], mark.group(1) if mark else None))
        index = end + 1
    return blocks


def _comment_at(code: str) -> int:
    """Where a trailing ``# comment`` starts (a ``#`` starting a word outside
    quotes, as bash and Python read it), else -1."""
    quote = None
    for position, char in enumerate(code):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or code[position - 1].isspace()):
            return position
    return -1


def _strip_comment(command: str) -> str:
    at = _comment_at(command)
    return (command[:at] if at >= 0 else command).rstrip()


def _to_run(command: str) -> Tuple[str, Optional[str]]:
    """What bash runs for a command of the page, and why not, when not."""
    plain = _strip_comment(" ".join(part.rstrip("\\").strip() for part in command.splitlines()))
    if plain.startswith("pip install ") and " && " in plain:
        plain = plain.split(" && ", 1)[1]
        command = plain
    if plain in NOT_RUN:
        return command, NOT_RUN[plain]
    return command, None


def _examples(page: Path, text: Optional[str] = None) -> List[Example]:
    lines = (page.read_text(encoding="utf-8") if text is None else text).split("\n")
    examples = []
    for block in _blocks(lines):
        if block.language != "console":
            continue
        index = 0
        while index < len(block.lines):
            line = block.lines[index]
            where = block.first + index
            assert line.startswith("$ "), f"{page.name}:{where + 1}: a console block starts with a '$ ' command"
            command = [line[2:]]
            while command[-1].endswith("\\") and index + 1 < len(block.lines):
                index += 1
                command.append(block.lines[index])
            index += 1
            start = index
            while index < len(block.lines) and not block.lines[index].startswith("$ "):
                index += 1
            end = index
            while end > start and not block.lines[end - 1].strip():
                end -= 1
            text, skip = _to_run("\n".join(command))
            examples.append(
                Example(
                    page, where + 1, text, block.lines[start:end],
                    (block.first + start, block.first + end), block.not_run or skip,
                )
            )
    return examples


def _search_bin() -> Path:
    found = shutil.which("search", path=str(Path(sys.executable).parent)) or shutil.which("search")
    assert found, "install the project first: pip install -e '.[test]'"
    return Path(found).parent


def _prepare(folder: Path) -> Dict[str, str]:
    """A folder as a user has it, and the environment to run commands in it."""
    shutil.copytree(PROJECT / "seeds", folder / "seeds")
    (folder / "index").mkdir()
    if (PROJECT / "index" / "README.md").exists():
        shutil.copy(PROJECT / "index" / "README.md", folder / "index" / "README.md")
    for name, text in ARTICLES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    with gzip.open(folder / "depeches.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.write(DEPECHES)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEARCHLIB_")}
    env.update(
        PATH=str(_search_bin()) + os.pathsep + env.get("PATH", ""),
        HOME=str(folder),
        # click wraps --help to the terminal's width; a pipe has none
        COLUMNS="80",
        LC_ALL="C.UTF-8",
        PYTHONIOENCODING="utf-8",
        # a fresh virtual environment compiles Whoosh on first import, and
        # Python 3.12 then warns about its regular expressions
        PYTHONWARNINGS="ignore::SyntaxWarning",
    )
    return env


def _run(command: str, folder: Path, env: Dict[str, str]) -> List[str]:
    done = subprocess.run(
        ["bash", "-c", command], cwd=folder, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
    )
    text = done.stdout.decode("utf-8", "replace")
    for path in {str(folder.resolve()), str(folder)}:
        text = text.replace(path, "~")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


_VARYING = [
    (re.compile(r"\b\d+(?:\.\d+)? (s|ms)\)"), r"… \1)"),
    (re.compile(r"\btook \d+(?:\.\d+)? (s|ms)\b"), r"took … \1"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?"), "…"),
    (re.compile(r"\b(MAIN_)[a-z0-9]{16}\b"), r"\1…"),
    (re.compile(r'("took_ms": ?)\d+(?:\.\d+)?'), r"\1…"),
]


def _steady(line: str) -> str:
    for pattern, replacement in _VARYING:
        line = pattern.sub(replacement, line.rstrip())
    return line


def _matches(expected: List[str], actual: List[str]) -> bool:
    pattern = []
    for line in expected:
        if line.strip() in ("...", "…"):
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            parts = [re.escape(part) for part in _steady(line).split("...")]
            pattern.append("[^\n]*".join(parts) + "\n")
    text = "".join(_steady(line) + "\n" for line in actual)
    return re.fullmatch("".join(pattern), text) is not None


def _rewrite_lines(page: Path, lines: Dict[int, str]) -> None:
    text = page.read_text(encoding="utf-8").split("\n")
    for index, line in lines.items():
        text[index] = line
    page.write_text("\n".join(text), encoding="utf-8")


def _rewrite(page: Path, outputs: List[Tuple[Example, List[str]]]) -> None:
    lines = page.read_text(encoding="utf-8").split("\n")
    for example, actual in sorted(outputs, key=lambda item: item[0].span, reverse=True):
        start, end = example.span
        lines[start:end] = actual
    page.write_text("\n".join(lines), encoding="utf-8")


def _help_commands() -> List[str]:
    return ["search --help"] + [f"search {name} --help" for name in sorted(cli.commands)]


# -- the harness's own rules --------------------------------------------------


def test_reading_a_page():
    page = """Text.

```console
$ search index articles/   # a comment
Indexed.

$ search "a # b" \\
    --limit 1
1.  hit
```

<!-- not run: needs a network -->
```console
$ pip install tantivy
```

```console
$ pip install -e . && search x
$ pip install -e '.[test]' && pytest
```
"""
    examples = _examples(Path("page.md"), page)
    assert [(e.line, e.command, e.expected, e.skip) for e in examples] == [
        (4, "search index articles/   # a comment", ["Indexed."], None),
        (7, 'search "a # b" \\\n    --limit 1', ["1.  hit"], None),
        (14, "pip install tantivy", [], "needs a network"),
        (18, "search x", [], None),
        (19, "pytest", [], NOT_RUN["pytest"]),
    ]
    assert examples[0].span == (4, 5)  # the blank line before the next command is not output


def test_what_may_differ_from_the_page():
    assert _matches(["Indexed into index/: 3 added (0.4 s)."], ["Indexed into index/: 3 added (12.0 s)."])
    assert _matches(["Last update:     2026-12-07T02:06:31+00:00"], ["Last update:     2027-01-01T10:00:00+00:00"])
    assert _matches(["file MAIN_7s2sivxcjmohngwx.seg"], ["file MAIN_i5ult9f8fqj400l0.seg"])
    assert _matches(["a", "...", "z"], ["a", "z"]) and _matches(["a", "…", "z"], ["a", "b", "c", "z"])
    assert _matches(["score ... here"], ["score 1.00 here"])
    assert not _matches(["score 9.43"], ["score 9.44"])
    assert not _matches(["2017-04"], ["2017-05"])  # dates are meaningful
    assert not _matches(["a", "b"], ["a", "b", "c"])
    assert not _matches(["a ..."], ["a", "b"])  # "..." within a line stays on it


# -- the CLI reference on docs/cli.md -----------------------------------------


def test_cli_md_shows_every_commands_help():
    """Every command's --help is on docs/cli.md (the update mode adds a
    missing one at the end, and the page test below fills it in)."""
    shown = {example.command.strip() for example in _examples(CLI_PAGE)}
    missing = [command for command in _help_commands() if command not in shown]
    if missing and UPDATE:
        text = CLI_PAGE.read_text(encoding="utf-8").rstrip("\n") + "\n"
        for command in missing:
            text += f"\n### `{command}`\n\n```console\n$ {command}\n```\n"
        CLI_PAGE.write_text(text, encoding="utf-8")
        return
    assert not missing, f"docs/cli.md lacks {missing}; run SEARCHLIB_UPDATE_DOCS=1 pytest tests/test_docs.py"


def _synopsis() -> Dict[str, str]:
    """The synopsis (docs/cli.md's first block): each line starting with
    ``search NAME`` and its indented continuation lines, by NAME."""
    lines = CLI_PAGE.read_text(encoding="utf-8").split("\n")
    entries: Dict[str, str] = {}
    name = None
    for line in _blocks(lines)[0].lines:
        if line.startswith("search "):
            name = line.split()[1]
            entries[name] = entries.get(name, "") + line
        elif line.startswith(" ") and name:
            entries[name] += line
    return entries


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_cli_md_synopsis_has_every_command_and_option(name):
    entry = _synopsis().get(name)
    assert entry, f"docs/cli.md's synopsis has no 'search {name}' line"
    command = cli.commands[name]
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            longest = max(param.opts, key=len)
            assert re.search(re.escape(longest) + r"\b", entry), f"'search {name}' synopsis lacks {longest}"


def test_every_command_not_run_is_still_on_a_page():
    """So that the list of exceptions does not outlive them."""
    skipped = {_strip_comment(e.command) for page in PAGES for e in _examples(page) if e.skip}
    assert set(NOT_RUN) <= skipped, f"no page shows {sorted(set(NOT_RUN) - skipped)}; drop them from NOT_RUN"


def test_commands_are_in_console_blocks():
    """A '$ ' line in another block would silently escape the checks."""
    for page in PAGES:
        for block in _blocks(page.read_text(encoding="utf-8").split("\n")):
            if block.language != "console":
                stray = [line for line in block.lines if line.startswith("$ ")]
                assert not stray, f"{page.name}: {stray[0]!r} is in a ```{block.language} block, not ```console"


# -- every page's commands ----------------------------------------------------


_PORT_OPTION = re.compile(r"\s--port[ =](\d+)")


class _Service:
    """A page's ``search serve``, run in the background on a free port;
    the page's own port (``--port N``, else 7700) stands for it."""

    def __init__(self, command: str, folder: Path, env: Dict[str, str]) -> None:
        plain = _strip_comment(command)
        found = _PORT_OPTION.search(plain)
        self.shown = int(found.group(1)) if found else 7700
        plain = _PORT_OPTION.sub("", plain) + " --port 0"
        process = subprocess.Popen(
            ["bash", "-c", f"exec {plain}"], cwd=folder, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
        )
        assert process.stdout is not None
        self.lines: List[str] = []
        url, first = "", ""
        for line in process.stdout:
            self.lines.append(line.rstrip("\n").replace(str(folder), "~"))
            found_url = re.search(r"http://[^ ]+?:\d+/", line)
            if found_url:
                url, first = found_url.group(0), line
                break
        # The tests' own server reads what it prints next as it comes (an
        # unread pipe would stop it) and stops it with Ctrl-C.
        self.server = Server(process, url, first)
        self.port = self.server.port

    def to_real(self, command: str) -> str:
        return re.sub(rf"\b(localhost|127\.0\.0\.1):{self.shown}\b", rf"\1:{self.port}", command)

    def to_page(self, lines: List[str]) -> List[str]:
        return [re.sub(rf"\b(localhost|127\.0\.0\.1):{self.port}\b", rf"\1:{self.shown}", line) for line in lines]

    def stop(self) -> Tuple[int, str]:
        try:
            code = self.server.stop()
        except subprocess.TimeoutExpired:
            code = self.server.process.wait()
        return code, "\n".join(self.server.log)


def _serves(command: str) -> bool:
    plain = _strip_comment(command)
    return plain.startswith("search serve") and " --help" not in plain


@pytest.mark.parametrize("page", PAGES, ids=[page.relative_to(PROJECT).as_posix() for page in PAGES])
def test_page_examples_print_what_the_page_shows(page: Path, tmp_path: Path):
    examples = [example for example in _examples(page) if example.skip is None]
    if not examples:
        return
    folder = tmp_path / "user"
    folder.mkdir()
    env = _prepare(folder)
    failures, outputs = [], []
    service: Optional[_Service] = None
    try:
        for example in examples:
            if _serves(example.command):
                assert service is None, f"{page.name}:{example.line}: a page starts one server"
                service = _Service(example.command, folder, env)
                actual = service.to_page(service.lines)
            elif service is not None:
                actual = service.to_page(_run(service.to_real(example.command), folder, env))
            else:
                actual = _run(example.command, folder, env)
            if not _matches(example.expected, actual):
                outputs.append((example, actual))
                diff = difflib.unified_diff(example.expected, actual, "page", "command", lineterm="")
                failures.append(f"{page.name}:{example.line}: $ {example.command}\n" + "\n".join(diff))
    finally:
        if service is not None:
            code, log = service.stop()
            if code != 0 or "Traceback" in log:
                failures.append(f"{page.name}: search serve ended with status {code}:\n{log}")
    if UPDATE and outputs:
        _rewrite(page, outputs)
        return
    if failures:
        pytest.fail(
            "\n\n".join(failures)
            + "\n\nIf the new outputs are right: SEARCHLIB_UPDATE_DOCS=1 pytest tests/test_docs.py, then review git diff",
            pytrace=False,
        )


# -- every page's Python ------------------------------------------------------


def _python_pages() -> List[Path]:
    return [
        page for page in PAGES
        if any(b.language == "python" and b.not_run is None for b in _blocks(page.read_text(encoding="utf-8").split("\n")))
    ]


@pytest.mark.parametrize("page", _python_pages(), ids=lambda page: page.relative_to(PROJECT).as_posix())
def test_page_python_runs_and_prints_what_its_comments_say(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "user"
    folder.mkdir()
    _prepare(folder)
    monkeypatch.chdir(folder)
    namespace: Dict[str, object] = {"__name__": "__main__"}
    failures: List[str] = []
    updates: Dict[int, str] = {}
    for block in _blocks(page.read_text(encoding="utf-8").split("\n")):
        if block.language != "python" or block.not_run is not None:
            continue
        where = f"{page.name}:{block.first}"
        printed: Dict[int, List[str]] = {}

        def recording_print(*args: object, sep: Optional[str] = " ", **kwargs: object) -> None:
            caller = sys._getframe(1)
            if caller.f_code.co_filename == where:
                printed.setdefault(caller.f_lineno, []).append((sep if sep is not None else " ").join(map(str, args)))
            print(*args, sep=sep, **kwargs)

        namespace["print"] = recording_print
        try:
            exec(compile("\n".join(block.lines), where, "exec"), namespace)
        except Exception as error:  # the page's code is what is tested
            failures.append(f"{where}: the block raised {type(error).__name__}: {error}")
            continue
        for number, line in enumerate(block.lines, 1):
            at = _comment_at(line)
            if at < 0 or not line.lstrip().startswith("print("):
                continue
            expected = line[at + 1 :].strip()
            shown = printed.get(number, [])
            if not shown or not _matches([expected], shown[0].split("\n")):
                failures.append(f"{page.name}:{block.first + number}: printed {shown[0] if shown else None!r}, the page says {expected!r}")
                if shown and "\n" not in shown[0]:
                    updates[block.first + number - 1] = line[: at + 1] + " " + shown[0]
    if UPDATE and updates:
        _rewrite_lines(page, updates)
        failures = [failure for failure in failures if "raised" in failure]
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


# -- signatures on docs/api.md -------------------------------------------------


def _documented_signatures() -> List[Tuple[str, str, str]]:
    """(where, callable as written, parameters) of each signature block."""
    found = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").split("\n")
        for block in _blocks(lines):
            if block.language != "python" or "signature" not in (block.not_run or ""):
                continue
            entries: List[Tuple[int, str]] = []
            for number, line in enumerate(block.lines):
                if line.startswith((" ", "\t")) and entries:
                    entries[-1] = (entries[-1][0], entries[-1][1] + " " + line.strip())
                elif line.strip():
                    entries.append((block.first + number + 1, line.strip()))
            for line, entry in entries:
                match = re.fullmatch(r"([\w.]+)\((.*)\)(?:\s*->.*)?", entry)
                assert match, f"{page.name}:{line}: not a signature: {entry!r}"
                found.append((f"{page.name}:{line}", match.group(1), match.group(2)))
    return found


def _function(written: str) -> Tuple[object, bool]:
    """The function a documented name stands for, and whether it takes self."""
    owner, _, name = written.rpartition(".")
    if written == "searchlib.Index":
        return searchlib.Index.__init__, True
    if owner == "ix":
        return getattr(searchlib.Index, name), True
    if owner == "Index":
        function = getattr(searchlib.Index, name)
        return function, not isinstance(inspect.getattr_static(searchlib.Index, name), (staticmethod, classmethod))
    return getattr(searchlib, name), False


@pytest.mark.parametrize("where, written, parameters", _documented_signatures(), ids=lambda value: str(value)[:40])
def test_documented_signatures_are_the_codes(where: str, written: str, parameters: str):
    function, takes_self = _function(written)
    actual = list(inspect.signature(function).parameters.values())[1 if takes_self else 0 :]
    arguments = ast.parse(f"def f({parameters}): pass").body[0].args
    documented = []
    positional = arguments.posonlyargs + arguments.args
    defaults = [None] * (len(positional) - len(arguments.defaults)) + arguments.defaults
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    for argument, default in zip(positional, defaults):
        documented.append((argument.arg, kind, default))
    if arguments.vararg:
        documented.append((arguments.vararg.arg, inspect.Parameter.VAR_POSITIONAL, None))
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
        documented.append((argument.arg, inspect.Parameter.KEYWORD_ONLY, default))
    assert [(name, kind) for name, kind, _ in documented] == [(p.name, p.kind) for p in actual], where
    for (name, _, default), parameter in zip(documented, actual):
        if default is None:
            assert parameter.default is inspect.Parameter.empty, f"{where}: {name} has a default in the code"
            continue
        value = ast.literal_eval(default)
        if value is not Ellipsis:
            assert parameter.default == value, f"{where}: {name}={parameter.default!r} in the code"
