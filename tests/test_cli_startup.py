"""What the command imports before it needs to: help, version and shell
completion answer without loading numpy or Whoosh (counted, not timed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

# Runs the command as the console script does, then says which heavy
# modules the run loaded.
_WRAPPER = """
import json, sys
from searchlib.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps({"numpy": "numpy" in sys.modules, "whoosh": "whoosh" in sys.modules}))
"""


def _run(args: list, cwd: Path, extra_env: dict | None = None) -> tuple:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_SEARCH") and k != "SEARCHLIB_INDEX"}
    env["PYTHONPATH"] = str(PROJECT)
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    *output, loaded = done.stdout.rstrip("\n").split("\n")
    return "\n".join(output), json.loads(loaded), done.stderr


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
    assert loaded == {"numpy": False, "whoosh": False}


def test_a_search_still_loads_what_it_needs(tmp_path, seeds_dir):
    import shutil

    shutil.copytree(seeds_dir, tmp_path / "seeds")
    output, loaded, stderr = _run(["Minbej", "--limit", "1"], tmp_path)
    assert "000_878e2fb0528ae5be" in output, stderr
    assert loaded == {"numpy": True, "whoosh": True}


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
