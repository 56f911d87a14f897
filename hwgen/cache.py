"""What hwgen keeps between runs (`hwgen.cachedir.PARTS`) and how to clear it.

Every part lives under ``$HWGEN_CACHE_DIR`` (default ``~/.cache/hwgen``): a simulator
build of a large core takes ~150 MB, so a user needs to see and bound this.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .cachedir import PARTS, cache_part, cache_root

__all__ = ["cache_usage", "clean_cache"]


def _parts() -> dict[str, Path]:
    return {name: cache_part(name) for name in PARTS}


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def cache_usage() -> tuple[Path, dict[str, tuple[int, int]]]:
    """The cache root and, per part, (entries, bytes)."""
    usage = {}
    for name, path in _parts().items():
        entries = list(path.iterdir()) if path.is_dir() else []
        usage[name] = (len(entries), _size(path) if path.is_dir() else 0)
    return cache_root(), usage


def clean_cache() -> int:
    """Delete every part of the cache; return the bytes freed."""
    freed = 0
    for path in _parts().values():
        if path.is_dir():
            freed += _size(path)
            shutil.rmtree(path)
    return freed
