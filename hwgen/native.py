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
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from .cachedir import cache_root
from .errors import ToolError

__all__ = ["load_kernel", "NATIVE_DIR"]

NATIVE_DIR = "native"
FLAGS = ("-O2", "-shared", "-fPIC", "-std=c11")


def _compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise ToolError(f"no C compiler '{cc}' on PATH: hwgen builds its all-pairs sharing kernel with one "
                        "(Debian: apt install gcc; or set CC)")
    return cc


@lru_cache(maxsize=None)
def load_kernel(source: Path) -> ctypes.CDLL:
    """The shared library of ``source``, compiled into the cache unless it is there already."""
    cc = _compiler()
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256(source.read_bytes() + version.encode() + " ".join(FLAGS).encode()).hexdigest()[:16]
    library = cache_root() / NATIVE_DIR / f"{source.stem}-{key}.so"
    if not library.exists():
        library.parent.mkdir(parents=True, exist_ok=True)
        partial = library.with_name(f"{library.name}.{os.getpid()}.partial")
        done = subprocess.run([cc, *FLAGS, "-o", str(partial), str(source)], capture_output=True, text=True)
        if done.returncode:
            partial.unlink(missing_ok=True)
            first = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise ToolError(f"compiling {source.name} with {cc} failed: {first}")
        os.replace(partial, library)  # atomic: a concurrent process sees all of it or nothing
    return ctypes.CDLL(str(library))
