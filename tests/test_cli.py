from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchlib.cli import cli


@pytest.fixture
def workdir(tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder like a fresh clone: ./seeds and an index/ holding only its README."""
    shutil.copytree(seeds_dir, tmp_path / "seeds")
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "README.md").write_text("index folder", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEARCHLIB_INDEX", raising=False)
    return tmp_path


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_first_search_builds_the_default_index_and_says_so(workdir):
    result = run("cessez-le-feu en Syrie")
    assert result.exit_code == 0, result.output
    assert "building it from seeds" in result.stderr and result.stderr.count("\n") == 1
    assert "cessez-le-feu" in result.stdout and "1." in result.stdout
    assert (workdir / "index" / "searchlib.json").exists()
    again = run("cessez-le-feu en Syrie")
    assert again.exit_code == 0 and again.stderr == "" and again.stdout == result.stdout


def test_query_subcommand_and_shortcut_agree(workdir):
    run("index", "--quiet")
    assert run("query", "Minbej").stdout == run("Minbej").stdout


def test_json_output(workdir):
    result = run("query", "--json", "--limit", "2", "États-Unis")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["query"] == "États-Unis" and data["total"] >= 2 and len(data["results"]) == 2
    first = data["results"][0]
    assert first["rank"] == 1 and first["highlights"] and "<mark>" in first["snippet"]
    assert "États" in result.stdout or "Etats" in result.stdout  # UTF-8, not \\u escapes
    assert "\\u00c9" not in result.stdout


def test_per_doc(workdir):
    data = json.loads(run("--json", "--per-doc", "1", "--limit", "10", "Syrie").stdout)
    ids = [r["doc_id"] for r in data["results"]]
    assert len(ids) == len(set(ids)) == 4


def test_human_output_has_rank_document_date_score(workdir):
    out = run("Astana", "--limit", "1").stdout
    first_line = out.splitlines()[0]
    assert first_line.startswith("1.") and "004_4207ef848aced888" in first_line
    assert "2017-04" in first_line and "score" in first_line
    assert "\x1b[" not in out  # not a terminal: no escape codes
    assert "<mark>" not in out and "Astana" in out


def test_index_command_reports_and_is_incremental(workdir, tmp_path):
    result = run("index", "--index", str(tmp_path / "ix"), "seeds")
    assert result.exit_code == 0
    assert "4 added" in result.stdout
    again = run("index", "--index", str(tmp_path / "ix"), "seeds")
    assert "up to date" in again.stdout and "4 documents unchanged" in again.stdout
    assert run("index", "--quiet", "--index", str(tmp_path / "ix2")).stdout == ""


def test_index_reports_bad_files_on_stderr_and_exits_1(workdir):
    (workdir / "bad.jsonl").write_text('{"id": "x", "text": "ok"}\nnot json\n', encoding="utf-8")
    result = run("index", "bad.jsonl")
    assert result.exit_code == 1
    assert "bad.jsonl:2: invalid JSON" in result.stderr
    assert "1 added" in result.stdout and "1 failed" in result.stdout
    assert "Traceback" not in result.output


def test_environment_variable_chooses_the_index(workdir, tmp_path):
    target = tmp_path / "elsewhere"
    run("index", "--quiet", "--index", str(target))
    result = run("stats", "--json", env={"SEARCHLIB_INDEX": str(target)})
    assert json.loads(result.stdout)["documents"] == 4


def test_stats(workdir):
    run("index", "--quiet")
    human = run("stats").stdout
    assert "Documents:" in human and "Passages:" in human and "Distinct terms:" in human
    data = json.loads(run("stats", "--json").stdout)
    assert data["documents"] == 4 and data["passages"] > 4 and data["terms"] > 100
    assert data["size_bytes"] > 0 and data["last_update"]


def test_analyze(workdir):
    data = json.loads(run("analyze", "--json", "L’armée des États-Unis").stdout)
    assert [t["text"] for t in data] == ["arme", "etat", "etatsun", "unis"]
    assert [t["original"] for t in data] == ["armée", "États", "États-Unis", "Unis"]
    human = run("analyze", "cessez-le-feu").stdout
    assert "cess" in human and "feu" in human


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["query", ""], 2, "empty query"),
        (["   "], 2, "empty query"),
        (["query"], 2, "Missing argument"),
        (["query", "--limit", "0", "Syrie"], 2, "--limit"),
        (["query", "--bogus", "Syrie"], 2, "No such option"),
        (["query", "--index", "nowhere", "Syrie"], 1, "no index at nowhere"),
        (["stats", "--index", "nowhere"], 1, "no index at nowhere"),
        (["index", "does-not-exist"], 2, "does-not-exist"),
    ],
)
def test_errors_are_one_line_with_the_right_status(workdir, args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_folder_that_is_not_an_index_is_refused_cleanly(workdir):
    (workdir / "notes").mkdir()
    (workdir / "notes" / "todo.txt").write_text("x", encoding="utf-8")
    result = run("index", "--index", "notes", "seeds")
    assert result.exit_code == 1 and "not empty" in result.stderr
    assert sorted(p.name for p in (workdir / "notes").iterdir()) == ["todo.txt"]


def _installed_search() -> str:
    script = Path(sys.executable).parent / ("search.exe" if os.name == "nt" else "search")
    assert script.exists(), "install the project first: pip install -e '.[test]'"
    return str(script)


def test_installed_command_in_a_real_process(workdir):
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    done = subprocess.run(
        [_installed_search(), "Minbej", "--limit", "1"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "000_878e2fb0528ae5be" in done.stdout.splitlines()[0]
    assert "first use" in done.stderr
    empty = subprocess.run([_installed_search(), ""], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert empty.returncode == 2 and "empty query" in empty.stderr and "Traceback" not in empty.stderr


def test_python_dash_m_is_the_same_command(workdir):
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    done = subprocess.run(
        [sys.executable, "-m", "searchlib", "analyze", "--json", "O.N.U."], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert [t["text"] for t in json.loads(done.stdout)] == ["onu"]
    version = subprocess.run([sys.executable, "-m", "searchlib", "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "searchlib" in version.stdout


def test_a_number_typed_with_a_space_on_the_command_line(tmp_path):
    source = tmp_path / "depeche.txt"
    source.write_text("Le pays accueille désormais 280.000 réfugiés.\n", encoding="utf-8")
    index = str(tmp_path / "index")
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    built = subprocess.run(
        [sys.executable, "-m", "searchlib", "index", "--index", index, str(source)], env=env, capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    done = subprocess.run(
        [sys.executable, "-m", "searchlib", "--index", index, "280 000"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "depeche" in done.stdout and "[280.000]" in done.stdout


def test_a_long_query_without_match_is_echoed_shortened(workdir):
    query = "introuvable " * 40
    result = run(query)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("No passage matches")]
    assert line.startswith("No passage matches 'introuvable introuvable") and line.endswith("…'.")
    assert len(line) < 100


def test_no_arguments_prints_usage(workdir):
    result = run()
    assert result.exit_code == 2 and "Usage:" in result.stderr and "query" in result.stderr


def test_analyze_steps(workdir):
    human = run("analyze", "--steps", "L’ARMÉE des États-Unis").stdout.splitlines()
    assert [line.split()[0] for line in human] == [
        "tokenizer", "normalize", "lowercase", "elision", "compounds", "numbers", "length", "stop", "stem", "fold"
    ]  # fmt: skip
    assert human[0].endswith("L’ARMÉE | des | États | Unis")
    assert human[-1].endswith("arme | etat | etatsun | unis")
    data = json.loads(run("analyze", "--steps", "--json", "l’O.N.U.").stdout)
    assert data[-1] == {"step": "fold", "tokens": [{"text": "onu", "start": 2, "end": 8, "position": 0}]}


def test_query_language_and_filter_options_on_the_command_line(workdir):
    run("index", "--quiet")
    excluded = json.loads(run("query", "--json", "-n", "50", "Lavrov", "-Kerry").stdout)
    assert excluded["results"] and all("Kerry" not in hit["text"] for hit in excluded["results"])
    dated = json.loads(run("--json", "--after", "2017-01", "-n", "50", "Lavrov").stdout)
    assert {hit["doc_id"] for hit in dated["results"]} == {"004_4207ef848aced888"}
    bad = run("Lavrov", "--before", "demain")
    assert bad.exit_code == 2 and "before" in bad.stderr
    noted = run('"Lavrov Kerry')
    assert noted.exit_code == 0 and "unclosed quote" in noted.stderr


def test_snippet_formats_on_the_command_line(workdir):
    run("index", "--quiet")
    text = run("query", "--format", "text", "-n", "1", "Minbej").stdout
    assert "[Minbej]" in text and "\x1b[" not in text
    marked = run("query", "--marks", "**,**", "-n", "1", "Minbej").stdout
    assert "**Minbej**" in marked
    ansi = run("query", "--format", "ansi", "-n", "1", "Minbej").stdout
    assert "\x1b[1mMinbej\x1b[0m" in ansi
    html = run("query", "--format", "html", "-n", "1", "Minbej").stdout
    assert "<mark>Minbej</mark>" in html
    short = json.loads(run("query", "--json", "--snippet-chars", "60", "-n", "1", "Minbej").stdout)
    assert len(short["results"][0]["snippet"].replace("<mark>", "").replace("</mark>", "")) <= 60 + 2


def test_explain_option(workdir):
    run("index", "--quiet")
    result = run("query", "--explain", "-n", "1", "Minbej")
    assert result.exit_code == 0 and "why: (text:minbej" in result.stdout
    score = re.search(r"score (\d+\.\d\d)", result.stdout).group(1)
    assert re.search(r"\+ article \d+\.\d\d = " + re.escape(score), result.stdout)
    data = json.loads(run("query", "--explain", "--json", "-n", "1", "Minbej").stdout)
    assert data["results"][0]["explanation"][0][:2] == ["text", "minbej"]


def test_ctrl_c_during_a_search_exits_130_in_one_line(workdir, monkeypatch):
    run("index", "--quiet")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("searchlib.api.Index.search", interrupted)
    result = run("Lavrov")
    assert result.exit_code == 130
    assert result.stderr.strip().endswith(": interrupted") and result.stderr.strip().count("\n") == 0


def _command(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    return subprocess.run(
        [_installed_search(), *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_a_folder_without_index_or_seeds_gets_a_hint_and_nothing_built(tmp_path, seeds_dir):
    """Only ./seeds is built from on first use; elsewhere the one line says
    how to build an index, and following it literally works."""
    done = _command("Syrie", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no index/ made from the package's own seeds
    hint = done.stderr.split("build one with: ", 1)[1].strip()
    assert hint == "search index PATH"
    shutil.copytree(seeds_dir, tmp_path / "articles")
    built = _command(*hint.split()[1:-1], "articles", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    found = _command("Syrie", "--limit", "1", cwd=tmp_path)
    assert found.returncode == 0 and found.stdout.startswith("1.") and found.stderr == ""


@pytest.mark.parametrize("command", [["Syrie"], ["stats"]])
def test_a_folder_of_sources_given_as_index_gets_a_hint_that_works(tmp_path, command):
    """The hint for a folder of sources given as --index, followed word
    for word, builds an index of them, which the search it names then finds."""
    write = lambda name, text: (tmp_path / "notes" / name).write_text(text, encoding="utf-8")  # noqa: E731
    (tmp_path / "notes").mkdir()
    write("alep.txt", "Une note sur la trêve en Syrie, à Alep.")
    write("homs.txt", "Une autre note, sur Homs.")
    done = _command(command[0], "--index", "notes", *command[1:], cwd=tmp_path)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    build, search = re.fullmatch(r".*with: (search index .*), then search with: (search .*)\n", done.stderr).groups()
    built = _command(*build.split()[1:], cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "2 added" in built.stdout
    found = _command(*search.replace("QUERY", "Syrie").split()[1:], "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert [hit["doc_id"] for hit in json.loads(found.stdout)["results"]] == ["alep"]
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["alep.txt", "homs.txt"]


def test_marks_apply_to_json_snippets(workdir):
    done = _command("query", "--json", "--marks", "**,**", "-n", "1", "Minbej", cwd=workdir)
    assert done.returncode == 0, done.stderr
    snippet = json.loads(done.stdout)["results"][0]["snippet"]
    assert "**Minbej**" in snippet and "<mark>" not in snippet
    plain = json.loads(_command("query", "--json", "-n", "1", "Minbej", cwd=workdir).stdout)
    assert plain["results"][0]["snippet"] == snippet.replace("**Minbej**", "<mark>Minbej</mark>")


@pytest.mark.parametrize("where", ["option", "environment"])
def test_a_missing_synonyms_file_is_a_usage_error_naming_it(workdir, where):
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    args = ["Syrie"]
    if where == "option":
        args += ["--synonyms", "absent-synonymes.txt"]
    else:
        env["SEARCHLIB_SYNONYMS"] = "absent-synonymes.txt"
    done = subprocess.run(
        [_installed_search(), *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "absent-synonymes.txt" in lines[0] and "Traceback" not in done.stderr


def test_offset_shows_the_next_page_numbered_from_where_it_starts(workdir):
    whole = json.loads(run("--json", "--limit", "6", "Syrie").stdout)
    page = json.loads(run("--json", "--limit", "3", "--offset", "3", "Syrie").stdout)
    assert (page["offset"], page["limit"], page["total"]) == (3, 3, whole["total"])
    assert [r["rank"] for r in page["results"]] == [4, 5, 6]
    assert [(r["doc_id"], r["passage"]) for r in page["results"]] == [
        (r["doc_id"], r["passage"]) for r in whole["results"][3:]
    ]
    text = run("--limit", "3", "--offset", "3", "Syrie").stdout.splitlines()
    assert [line.split(".")[0] for line in text if line[:1].isdigit()][:3] == ["4", "5", "6"]
    assert text[-1] == f"4–6 of {whole['total']} matching passages shown."


def test_an_offset_past_the_end_says_how_many_matched(workdir):
    total = json.loads(run("--json", "Syrie").stdout)["total"]
    result = run("--offset", "100", "Syrie")
    assert result.exit_code == 0
    assert result.stdout == f"Only {total} passages match 'Syrie': none from 101 on.\n"


@pytest.mark.parametrize("value", ["-1", "x", "1.5"])
def test_a_bad_offset_is_a_usage_error(workdir, value):
    result = run("--offset", value, "Syrie")
    assert result.exit_code == 2
    assert "Invalid value for '--offset'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_parse_shows_each_clause_with_its_terms(workdir):
    result = run("parse", "Lavorv", "NOT", "Daesh", "(Alep OR Homs)", "date:2017")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        'word "Lavorv": lavorv|lavrov',
        'excluded word "Daesh": daech|daesh',
        "group",
        "  or",
        '    word "Alep": alep',
        '    word "Homs": hom',
        "required filter date:2017",
        "Vouliez-vous dire : Lavrov NOT Daesh (Alep OR Homs) date:2017",
    ]
    data = json.loads(run("parse", "--json", '"cessez le feu"').stdout)
    assert [(c["kind"], c["text"], c["terms"]) for c in data["clauses"]] == [("phrase", "cessez le feu", [["cess"], ["feu"]])]


def test_parse_tells_the_notes_and_refuses_an_empty_query(workdir):
    assert "note: unclosed quote" in run("parse", '"cessez le feu').stdout
    result = run("parse", " ")
    assert result.exit_code == 2 and "empty query" in result.stderr


def test_a_word_to_exclude_is_a_word_not_short_options(workdir):
    """``-Daech`` holds an ``h`` (help) and ``-négociations`` starts like
    ``-n`` (limit): typed as separate words, both are words to exclude."""
    every = run("Syrie", "--json", "--limit", "50")
    assert every.exit_code == 0, every.output
    found = {(hit["doc_id"], hit["passage"]) for hit in json.loads(every.stdout)["results"]}
    for word, exact in (("-Daech", "daech"), ("-négociations", "négociations")):
        done = run("Syrie", word, "--json", "--limit", "50")
        assert done.exit_code == 0, done.output
        results = json.loads(done.stdout)["results"]
        assert results and all(exact not in hit["text"].lower() for hit in results)
        kept = {(hit["doc_id"], hit["passage"]) for hit in results}
        assert kept < found  # fewer passages: those holding the word are gone
    short = run("Syrie", "-n2", "-Daech")
    assert short.exit_code == 0 and short.stdout.count("  ·  passage ") == 2, short.output
    mistyped = run("Syrie", "--limt", "3")
    assert mistyped.exit_code == 2 and "--limit" in mistyped.output
