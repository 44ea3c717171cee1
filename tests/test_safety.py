"""Writes the system refuses (a full disk, a read-only folder) end in one
clear line and leave the index as it was; searchlib writes nowhere but
the index folder (and a folder beside it while rebuilding), with the
user's own file modes."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
from click.testing import CliRunner
from whoosh.filedb.filestore import FileStorage

import searchlib
from news_sample import articles, write_jsonl
from searchlib.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


class _Disk:
    """Room for ``free`` more bytes in every file Whoosh creates, then
    ENOSPC, as a full disk answers; ``written`` counts what it took, and
    ``commit_began`` how much had been written when the table of contents
    (the commit itself) was created."""

    def __init__(self, free: float) -> None:
        self.free = free
        self.written = 0
        self.commit_began = 0

    def wrap(self, handle: Any) -> Any:
        disk = self

        class Limited:
            def __getattr__(self, name: str) -> Any:
                return getattr(handle, name)

            def write(self, data: Any) -> int:
                if len(data) > disk.free:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                disk.free -= len(data)
                disk.written += len(data)
                return int(handle.write(data))

        return Limited()


def files_in(path: Path) -> Dict[str, int]:
    return {str(p.relative_to(path)): p.stat().st_size for p in path.rglob("*") if p.is_file()}


def _limit_disk(monkeypatch: pytest.MonkeyPatch, disk: _Disk) -> None:
    original = FileStorage.create_file

    def create_file(self: FileStorage, name: str, **kwargs: Any) -> Any:
        made = original(self, name, **kwargs)
        made.file = disk.wrap(made.file)
        if ".toc" in name and not disk.commit_began:
            disk.commit_began = disk.written
        return made

    monkeypatch.setattr(FileStorage, "create_file", create_file)


# Where the disk fills up, sized from a measured run rather than in bytes
# (the corpus differs with and without the news corpus beside the project):
# after a small share of what adding writes, or halfway through writing the
# table of contents, once every segment file is written.
@pytest.mark.parametrize("moment", ["adding", "committing"], ids=["full while adding", "full while committing"])
def test_a_full_disk_fails_cleanly_and_keeps_the_index(tmp_path, seeds_dir, monkeypatch, moment):
    path = tmp_path / "ix"
    with searchlib.Index(path) as ix:
        ix.add_path(seeds_dir)
    before = files_in(path)
    corpus = write_jsonl(tmp_path / "news.jsonl", articles(200))

    measured = _Disk(float("inf"))
    shutil.copytree(path, tmp_path / "measure")
    with monkeypatch.context() as patch:
        _limit_disk(patch, measured)
        with searchlib.Index(tmp_path / "measure") as ix:
            assert ix.add_path(corpus).added == 200
    assert 100_000 < measured.commit_began < measured.written

    if moment == "adding":
        free = measured.written // 50
    else:
        free = (measured.commit_began + measured.written) // 2
    disk = _Disk(free)
    _limit_disk(monkeypatch, disk)
    with searchlib.Index(path) as ix:
        with pytest.raises(searchlib.SearchlibError) as raised:
            ix.add_path(corpus)
        assert str(raised.value).startswith(f"cannot write to index {path}: no space left on device")
        assert ix.stats().documents == 4
    # The half-written segment and the pool's spill files are gone: they
    # would hold the space the next run needs.
    assert files_in(path) == before
    result = CliRunner().invoke(cli, ["index", "--index", str(path), str(corpus)], prog_name="search")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "no space left on device" in result.output
    assert files_in(path) == before
    assert disk.free < measured.written - free  # it did fill the disk

    monkeypatch.undo()  # space freed: the same command completes
    result = CliRunner().invoke(cli, ["index", "--index", str(path), str(corpus)], prog_name="search")
    assert result.exit_code == 0, result.output
    assert searchlib.Index.check(path).ok
    with searchlib.Index(path, create=False) as ix:
        assert ix.stats().documents == 204


def test_a_really_full_filesystem(tmp_path, seeds_dir):
    """The same on a small tmpfs, where the system allows mounting one."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        filler = mount / "filler"
        path = mount / "ix"
        with searchlib.Index(path) as ix:
            ix.add_path(seeds_dir)
        before = files_in(path)
        filler.write_bytes(b"\0" * (os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize - 40_000))
        corpus = write_jsonl(tmp_path / "news.jsonl", articles(200))
        done = subprocess.run(
            [sys.executable, "-m", "searchlib", "index", "--index", str(path), str(corpus)],
            env=ENV, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "no space left on device" in done.stderr, done.stderr
        assert files_in(path) == before
        filler.unlink()
        done = subprocess.run(
            [sys.executable, "-m", "searchlib", "index", "--index", str(path), str(corpus)],
            env=ENV, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        with searchlib.Index(path, create=False) as ix:
            assert ix.stats().documents == 204
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_a_read_only_index_is_searched_but_not_written(tmp_path, seeds_dir):
    folder = tmp_path / "folder"
    folder.mkdir()
    # Root writes through permissions: there the folder is a small file
    # system remounted read-only, which stops root too.
    as_root = os.geteuid() == 0
    if as_root and not _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)):
        pytest.skip("running as root where no file system can be mounted: cannot make a folder read-only")
    try:
        shutil.copytree(seeds_dir, folder / "seeds")
        path = folder / "ix"
        with searchlib.Index(path) as ix:
            ix.add_path(folder / "seeds")
        before = files_in(path)
        if as_root:
            assert _mount("-o", "remount,ro", str(folder))
        else:
            path.chmod(0o555)
            folder.chmod(0o555)

        def search(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "searchlib", *args], cwd=folder, env=ENV,
                capture_output=True, text=True, timeout=120,
            )

        found = search("query", "--index", "ix", "Astana")
        assert found.returncode == 0 and "Astana" in found.stdout, found.stderr
        assert search("stats", "--index", "ix").returncode == 0
        assert search("check", "--index", "ix").returncode == 0
        for command in (["index", "--index", "ix", "seeds"], ["index", "--rebuild", "--index", "ix", "seeds"]):
            refused = search(*command)
            assert refused.returncode == 1
            assert refused.stderr.startswith("search: cannot write to index ix: "), refused.stderr
            assert "read-only file system" in refused.stderr or "permission denied" in refused.stderr
            assert refused.stderr.count("\n") == 1
        assert files_in(path) == before
    finally:
        if as_root:
            subprocess.run(["umount", "--lazy", str(folder)], check=False)
        else:
            folder.chmod(0o755)
            (folder / "ix").chmod(0o755)


def test_nothing_is_written_outside_the_index_folder(tmp_path, seeds_dir):
    work = tmp_path / "work"
    shutil.copytree(seeds_dir, work / "seeds")
    home, temp = tmp_path / "home", tmp_path / "temp"
    home.mkdir()
    temp.mkdir()
    env = {**ENV, "HOME": str(home), "TMPDIR": str(temp), "XDG_CACHE_HOME": str(home / ".cache")}

    def run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "searchlib", *args], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr

    before = files_in(work)
    run("index", "--index", "ix", "seeds")
    (work / "seeds" / "extra.txt").write_text("Un article de plus sur Palmyre.", encoding="utf-8")
    before["seeds/extra.txt"] = (work / "seeds" / "extra.txt").stat().st_size
    run("index", "--index", "ix", "--prune", "seeds")
    run("index", "--rebuild", "--index", "ix", "seeds")
    run("query", "--index", "ix", "Palmyre")
    run("stats", "--index", "ix")
    run("check", "--index", "ix")
    after = {name: size for name, size in files_in(work).items() if not name.startswith("ix/")}
    assert after == before
    assert sorted(p.name for p in work.iterdir()) == ["ix", "seeds"]  # no rebuild folder left beside it
    assert list(home.rglob("*")) == [] and list(temp.rglob("*")) == []


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_the_index_folder_gets_the_users_default_modes(tmp_path, seeds_dir, umask):
    done = subprocess.run(
        [sys.executable, "-c", f"import os, sys, runpy; os.umask({umask}); sys.argv = ['search', 'index', '-q', '--index', 'ix', {str(seeds_dir)!r}]; runpy.run_module('searchlib', run_name='__main__')"],
        cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    path = tmp_path / "ix"
    assert stat.S_IMODE(path.stat().st_mode) == 0o777 & ~umask
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.iterdir()}
    assert modes and all(mode == 0o666 & ~umask for mode in modes.values()), modes
