"""What the command imports before it needs to: help, version and shell
completion answer without loading numpy or Whoosh, and a search loads
the reading side alone (counted in ``sys.modules``, not timed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_layers import WRITING_SIDE

PROJECT = Path(__file__).resolve().parent.parent

# Runs the command as the console script does, then lists the modules the
# run loaded. ``python -m searchlib`` is run as it is, with Python's own
# list of the modules it imports (-X importtime, on stderr).
_WRAPPER = """
import json, sys
from searchlib.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)))
"""
_IMPORT_TIME = re.compile(r"import time:\s+\d+ \|\s+\d+ \| *(\S+)$")

# Beyond the writing side, the command's Ctrl-C handling (indexing only)
# and the HTTP service (search serve only).
_NOT_FOR_SEARCHING = (*WRITING_SIDE, "searchlib._interrupt", "searchlib.service")


def _run(args: list, cwd: Path, extra_env: dict | None = None, how: str = "script") -> tuple:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_SEARCH") and k != "SEARCHLIB_INDEX"}
    env["PYTHONPATH"] = str(PROJECT)
    env.update(extra_env or {})
    if how == "module":
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "searchlib", *args], cwd=cwd, env=env, capture_output=True,
            text=True, timeout=120,
        )
        timed = [_IMPORT_TIME.match(line) for line in done.stderr.splitlines()]
        stderr = "\n".join(line for line, match in zip(done.stderr.splitlines(), timed) if match is None)
        return done.stdout, {match.group(1) for match in timed if match is not None}, stderr
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    *output, loaded = done.stdout.rstrip("\n").split("\n")
    return "\n".join(output), set(json.loads(loaded)), done.stderr


def _heavy(modules: set) -> dict:
    return {"numpy": "numpy" in modules, "whoosh": "whoosh" in modules}


@pytest.mark.parametrize(
    "args, extra_env, expected",
    [
        (["--help"], {}, "Usage:"),
        (["--version"], {}, "searchlib"),
        (["index", "--help"], {}, "--include"),
        ([], {"_SEARCH_COMPLETE": "bash_source"}, "complete -o nosort -F"),
        ([], {"_SEARCH_COMPLETE": "bash_complete", "COMP_WORDS": "search ind", "COMP_CWORD": "1"}, "plain,index"),
        ([], {"_SEARCH_COMPLETE": "zsh_complete", "COMP_WORDS": "search index --pr", "COMP_CWORD": "2"}, "--prune"),
    ],
)
def test_help_version_and_completion_load_neither_numpy_nor_whoosh(tmp_path, args, extra_env, expected):
    output, loaded, stderr = _run(args, tmp_path, extra_env)
    assert expected in output, stderr
    assert _heavy(loaded) == {"numpy": False, "whoosh": False}


@pytest.mark.parametrize("args, expected", [(["--help"], "Usage: search"), (["--version"], "searchlib, version")])
def test_python_m_searchlib_help_and_version_load_neither_numpy_nor_whoosh(tmp_path, args, expected):
    output, loaded, stderr = _run(args, tmp_path, how="module")
    assert expected in output, stderr
    assert _heavy(loaded) == {"numpy": False, "whoosh": False}
    assert "searchlib.cli" in loaded and "click" in loaded  # it did start the command


@pytest.mark.parametrize("how", ["script", "module"])
def test_a_search_loads_what_it_needs_and_nothing_of_the_writing_side(tmp_path, seeds_dir, how):
    import shutil

    shutil.copytree(seeds_dir, tmp_path / "seeds")
    subprocess.run(  # the index first, so that the search below only searches
        [sys.executable, "-m", "searchlib", "index", "--quiet"], cwd=tmp_path, check=True, capture_output=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)}, timeout=300,
    )
    output, loaded, stderr = _run(["cessez-le-feu", "--limit", "1", "--after", "2017"], tmp_path, how=how)
    assert "004_4207ef848aced888  ·  2017-04" in output, stderr
    assert _heavy(loaded) == {"numpy": True, "whoosh": True}
    assert "searchlib.search.ranking" in loaded and "searchlib.search.snippets" in loaded  # it did search
    assert sorted(name for name in loaded if name.startswith(_NOT_FOR_SEARCHING)) == []


def test_the_index_command_does_load_the_modules_a_search_leaves_out(tmp_path, seeds_dir):
    """The other side of the test above: the module names it looks for are
    right (the service aside: only ``search serve`` loads it)."""
    output, loaded, stderr = _run(["index", str(seeds_dir)], tmp_path)
    assert "4 added" in output, stderr
    for name in _NOT_FOR_SEARCHING:
        if name != "searchlib.service":
            assert any(module == name or module.startswith(name + ".") for module in loaded), name


def test_a_search_compiles_the_tokenizer_pattern_only_as_its_words_need(seeds_index):
    """Compiling the tokenizer's whole pattern is a good part of a search's
    start-up: words of letters need no pattern, a hyphenated word the
    pattern less the CJK ranges, a word in Japanese the whole one."""
    script = """
import sys
import searchlib
from searchlib.analysis import words
with searchlib.Index(sys.argv[1], create=False) as ix:
    for query in ("Lavrov Kerry", "cessez-le-feu", "東京"):
        found = ix.search(query).total
        print(found, words._TOKEN_RE._below_cjk is not None, words._TOKEN_RE._whole is not None)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(seeds_index.path)], env={**os.environ, "PYTHONPATH": str(PROJECT)},
        capture_output=True, text=True, timeout=120,
    )
    (plain, *plain_compiled), (hyphenated, *hyphenated_compiled), (_, *japanese_compiled) = [
        line.split() for line in done.stdout.splitlines()
    ]
    assert int(plain) > 0 and plain_compiled == ["False", "False"], done.stderr
    assert int(hyphenated) > 0 and hyphenated_compiled == ["True", "False"]
    assert japanese_compiled == ["True", "True"]


@pytest.mark.parametrize("preset, expected", [(None, "1"), ("4", "4")])
def test_the_command_loads_numpy_with_one_blas_thread_unless_told_otherwise(tmp_path, preset, expected):
    """OpenBLAS starts a thread per core as numpy loads, which searchlib
    never uses; a number the user set is kept."""
    script = (
        "import os, sys\nfrom searchlib.cli import main\nsys.argv = ['search', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(PROJECT)
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == expected, done.stderr


@pytest.mark.parametrize(
    "shell, expected",
    [("bash", "complete -o nosort -F _search_completion search"), ("zsh", "compdef _search_completion search"),
     ("fish", "complete --no-files --command search")],
)
def test_the_documented_completion_scripts_are_produced(tmp_path, shell, expected):
    """docs/cli.md: eval "$(_SEARCH_COMPLETE=bash_source search)", and the zsh and fish variants."""
    script = Path(sys.executable).parent / "search"
    env = {k: v for k, v in os.environ.items() if not k.startswith("_SEARCH")}
    env["_SEARCH_COMPLETE"] = f"{shell}_source"
    done = subprocess.run([str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert expected in done.stdout and "_SEARCH_COMPLETE" in done.stdout
    documented = (PROJECT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"_SEARCH_COMPLETE={shell}_source search" in documented
