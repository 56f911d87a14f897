"""Refuse, at once, designs whose elaboration or estimate would run for minutes.

Measured on a 2-core machine (Amaranth 0.5): elaborating a LUT core costs about
10 ms per fetch mux (L*K of them: L=32, K=64, mu=3 took 21 s), a MAC core up to
15 ms per multiplier lane (32 x 32 ternary lanes: 16 s, on a loaded machine); the model's count of fused reduction-tree adders grows
faster than linearly in L (2,048 LUTs: 2 s; 4,096: 21 s). The limits below keep each
step under about three minutes. (Hardwired arrays are emitted as text, a million
weights in seconds: no limit here.) Set ``HWGEN_SIZE_LIMIT=off`` to run a larger
design anyway.
"""

from __future__ import annotations

import os

from .errors import ConfigError

__all__ = ["DesignTooLarge", "build_seconds", "check_build_size", "check_estimate_size", "MAX_LANES",
           "MAX_ESTIMATE_LUTS"]

#: Fetch muxes (L*K) or multiplier lanes (rows*columns) a generated core may have.
MAX_LANES = 16_384
#: Seconds of elaboration per fetch mux or multiplier lane (the measurements above).
SECONDS_PER_LANE = 0.01
#: LUTs the per-design cost model counts adders for.
MAX_ESTIMATE_LUTS = 2_048
OVERRIDE = "HWGEN_SIZE_LIMIT"


class DesignTooLarge(ConfigError):
    """A design past a limit below: elaborating or estimating it would take minutes."""


def _enabled() -> bool:
    return os.environ.get(OVERRIDE, "").lower() != "off"


def _lanes(config) -> tuple[int, str] | None:
    if hasattr(config, "luts"):
        return config.luts * config.fetchers, f"L*K = {config.luts:,} x {config.fetchers:,} fetch muxes"
    if hasattr(config, "rows"):
        return config.rows * config.columns, f"rows*columns = {config.rows:,} x {config.columns:,} multiplier lanes"
    return None


def build_seconds(config) -> float:
    """Roughly how long elaborating ``config`` takes (0 for designs emitted as text)."""
    lanes = _lanes(config)
    return 0.0 if lanes is None else lanes[0] * SECONDS_PER_LANE


def check_build_size(config) -> None:
    """Raise `ConfigError` if elaborating ``config`` would take minutes."""
    if not _enabled():
        return
    lanes = _lanes(config)
    if lanes is not None and lanes[0] > MAX_LANES:
        raise DesignTooLarge(f"too large to elaborate in minutes: {lanes[1]} ({lanes[0]:,}) exceed {MAX_LANES:,} "
                             f"(about {SECONDS_PER_LANE * 1e3:.0f} ms each); use a smaller core, or set {OVERRIDE}=off to wait")


def check_estimate_size(config) -> None:
    """Raise `ConfigError` if the cost model would count ``config``'s adders for minutes."""
    luts = getattr(config, "luts", 0)
    if _enabled() and luts > MAX_ESTIMATE_LUTS:
        raise DesignTooLarge(f"too large to estimate in minutes: luts = {luts:,} exceeds {MAX_ESTIMATE_LUTS:,}; "
                             f"use fewer, wider cores, or set {OVERRIDE}=off to wait")
