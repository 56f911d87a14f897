"""C kernels compiled once per machine (`hwgen.native`): missing compiler, failed build,
reuse of the cached library, and the `hwgen cache` part that holds them."""

import ctypes
import os
import time

import pytest

from hwgen.cli import main
from hwgen.errors import ToolError
from hwgen.native import STALE_SECONDS, load_kernel

ANSWER = "int answer(void) { return %d; }\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache root and a fresh `load_kernel` memo; the memo is cleared again afterwards
    so no later test gets a library from this test's (deleted) cache."""
    root = tmp_path / "cache"
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(root))
    load_kernel.cache_clear()
    yield root
    load_kernel.cache_clear()


def write_source(tmp_path, text: str, name: str = "answer.c"):
    path = tmp_path / name
    path.write_text(text)
    return path


def answer(library: ctypes.CDLL) -> int:
    fn = library.answer
    fn.restype, fn.argtypes = ctypes.c_int, []
    return fn()


def built(cache) -> list:
    """The files in the cache's native/ folder (none if it was never made)."""
    native = cache / "native"
    return sorted(p.name for p in native.iterdir()) if native.is_dir() else []


def test_missing_compiler_is_one_line_naming_it(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("CC", "hwgen-no-such-cc")
    source = write_source(tmp_path, ANSWER % 42)
    with pytest.raises(ToolError) as err:
        load_kernel(source)
    message = str(err.value)
    assert "\n" not in message and "hwgen-no-such-cc" in message
    assert built(cache) == []


def test_syntax_error_is_one_line_and_leaves_no_library(cache, tmp_path):
    source = write_source(tmp_path, "int broken(void) {\n  return 1 +;\n}\n", name="broken.c")
    with pytest.raises(ToolError) as err:
        load_kernel(source)
    message = str(err.value)
    assert "\n" not in message and "broken.c" in message
    assert built(cache) == []  # neither a .so nor a half-written .partial


def test_syntax_error_message_shows_the_error_inside_a_function(cache, tmp_path):
    source = write_source(tmp_path, "int broken(void) {\n  return 1 +;\n}\n", name="broken.c")
    with pytest.raises(ToolError, match="expected expression"):  # gcc and clang both say so
        load_kernel(source)


def test_kernel_compiles_once_and_an_edit_builds_a_new_library(cache, tmp_path):
    source = write_source(tmp_path, ANSWER % 42)
    assert answer(load_kernel(source)) == 42
    [first] = built(cache)
    assert first.startswith("answer-") and first.endswith(".so")
    mtime = (cache / "native" / first).stat().st_mtime_ns

    load_kernel.cache_clear()  # as a new process would: only the file cache remains
    assert answer(load_kernel(source)) == 42
    assert built(cache) == [first]
    assert (cache / "native" / first).stat().st_mtime_ns == mtime

    source.write_text(ANSWER % 43)
    load_kernel.cache_clear()
    assert answer(load_kernel(source)) == 43
    names = built(cache)
    assert len(names) == 2 and first in names


def test_a_build_removes_folders_killed_builds_left_and_keeps_a_recent_one(cache, tmp_path):
    """A killed build leaves its ``*.partial`` folder; the next build removes those older than
    `STALE_SECONDS` and keeps a younger one (another process may be building in it)."""
    native = cache / "native"
    old, young = native / "x-old.partial", native / "x-young.partial"
    for folder in (old, young):
        folder.mkdir(parents=True)
        (folder / "half.so").write_bytes(b"\0")
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    assert answer(load_kernel(write_source(tmp_path, ANSWER % 42))) == 42
    names = built(cache)
    assert "x-old.partial" not in names and "x-young.partial" in names and len(names) == 2


def test_cache_command_lists_and_cleans_native_kernels(cache, tmp_path, capsys):
    load_kernel(write_source(tmp_path, ANSWER % 42))
    assert len(built(cache)) == 1
    assert main(["cache"]) == 0
    lines = capsys.readouterr().out.splitlines()
    [native] = [line.split() for line in lines if line.split()[:1] == ["native"]]
    assert native[1:3] == ["1", "entries"]
    assert main(["cache", "--clean"]) == 0
    capsys.readouterr()
    assert not (cache / "native").exists()
    assert main(["cache"]) == 0
    [native] = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[:1] == ["native"]]
    assert native[1:4] == ["0", "entries", "0.0"]
