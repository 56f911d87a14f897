"""C kernels, compiled once per machine with the system C compiler and loaded with ctypes.

The all-pairs sharing greedy (`hwgen.hardwired.cse`) is hash-table and heap work, one small
step at a time, which numpy cannot vectorize. Its C source ships with the package; the
shared library is built into ``<cache>/native/`` on first use, keyed by the source text, the
compiler's version and the flags, so an edit or a new compiler rebuilds it.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from .cachedir import cache_part
from .errors import ToolError

__all__ = ["load_kernel"]

FLAGS = ("-O2", "-shared", "-fPIC", "-std=c11")
#: A build folder this old was left by a killed build (a build takes about a second): removed
#: by the next build.
STALE_SECONDS = 600


def _compiler() -> list[str]:
    """``$CC`` (a command and its arguments, e.g. ``ccache gcc``), default ``cc``."""
    cc = shlex.split(os.environ.get("CC") or "cc")
    if shutil.which(cc[0]) is None:
        raise ToolError(f"no C compiler '{cc[0]}' on PATH: hwgen builds its all-pairs sharing kernel with one "
                        "(Debian: apt install gcc; or set CC)")
    return cc


def _first_error(stderr: str) -> str:
    """The compiler's first error line (gcc opens with context lines such as "In function")."""
    lines = stderr.strip().splitlines() or ["no output"]
    return next((line for line in lines if ": error:" in line), lines[0])


def _remove_stale_builds(folder: Path) -> None:
    now = time.time()
    for stale in folder.glob("*.partial"):
        try:
            if now - stale.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(stale)
        except OSError:
            pass  # another build removed it first


@lru_cache(maxsize=None)
def load_kernel(source: Path) -> ctypes.CDLL:
    """The shared library of ``source``, compiled into the cache unless it is there already."""
    cc = _compiler()
    version = subprocess.run([*cc, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256(source.read_bytes() + version.encode() + " ".join([*cc, *FLAGS]).encode()).hexdigest()[:16]
    library = cache_part("native") / f"{source.stem}-{key}.so"
    if not library.exists():
        library.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_builds(library.parent)
        # a folder of its own (two threads of one process may build at once), the compiler's
        # own file permissions, then an atomic rename: a concurrent reader sees all or nothing
        with tempfile.TemporaryDirectory(dir=library.parent, suffix=".partial") as tmp:
            partial = Path(tmp) / library.name
            done = subprocess.run([*cc, *FLAGS, "-o", str(partial), str(source)], capture_output=True, text=True)
            if done.returncode:
                raise ToolError(f"compiling {source.name} with {shlex.join(cc)} failed: {_first_error(done.stderr)}")
            os.replace(partial, library)
    return ctypes.CDLL(str(library))
