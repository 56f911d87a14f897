"""Where hwgen keeps what it builds between runs: ``$HWGEN_CACHE_DIR`` (default
``~/.cache/hwgen``), one folder per part, named here once for the code that fills a part and
for `hwgen cache`, which shows and cleans them."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root", "cache_part", "PARTS"]

#: Part -> what it holds (the `hwgen cache` listing).
PARTS = {
    "sim_build": "cocotb simulator builds (Verilator, Icarus)",
    "fastsim": "fast-path Verilator executables",
    "synth": "synthesis results (Yosys + OpenSTA)",
    "designs": "elaborated designs (skips Amaranth on a repeat)",
    "native": "compiled C kernels (all-pairs sharing)",
}


def cache_root() -> Path:
    return Path(os.environ.get("HWGEN_CACHE_DIR") or Path.home() / ".cache" / "hwgen")


def cache_part(name: str) -> Path:
    """The folder of one part of the cache (a key of `PARTS`)."""
    if name not in PARTS:
        raise KeyError(f"no cache part {name!r}")
    return cache_root() / name
