"""The measured ``opt_share`` savings the LUT-core model reads (`costmodel.opt_share` measures them).

`TABLE_PATH` holds, per integer activation and group size, the build adder bits Yosys's
``opt_share`` removes from an unregistered LUT table read by one fetcher.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["TABLE_PATH", "removed_build_bits"]

TABLE_PATH = Path(__file__).with_name("opt_share.json")


@lru_cache(maxsize=None)
def _table() -> dict:
    return json.loads(TABLE_PATH.read_text())


def removed_build_bits(group_size: int, act_width: int) -> int:
    """Build adder bits ``opt_share`` removes per LUT (pipeline 0, one fetcher)."""
    return _table()["removed_build_bits"][f"int{act_width}"][group_size - 1]
