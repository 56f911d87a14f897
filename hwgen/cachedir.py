"""Where hwgen keeps what it builds between runs (simulator models, synthesis results, compiled
kernels): ``$HWGEN_CACHE_DIR``, default ``~/.cache/hwgen``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root"]


def cache_root() -> Path:
    return Path(os.environ.get("HWGEN_CACHE_DIR", Path.home() / ".cache" / "hwgen"))
