"""Refuse, at once, designs whose elaboration or estimate would run for many minutes, and
say how long a large but feasible one will take.

Measured with ``benchmarks/bench_first_hour.py --rule`` (2-core machine, loaded, each in
a fresh process): elaborating a LUT core costs 10-25 ms per fetch mux (L*K of them:
L=32, K=64, mu=3 took 21-51 s), a MAC core ~7 ms per multiplier lane (32 x 32 ternary
lanes: 7 s); the model's count of fused reduction-tree adders grows ~3.4x per doubling
of L (L=1,024: 1.0 s, 2,048: 3.2 s, 4,096: 11 s; 8,192 ~40 s, 65,536 ~20 minutes).
Past the limits below a step would take ten minutes or more; ``HWGEN_SIZE_LIMIT=off``
runs it anyway. (Hardwired arrays are emitted as text, a million weights in seconds:
no limit here.)
"""

from __future__ import annotations

import os

from .errors import ConfigError

__all__ = ["DesignTooLarge", "build_seconds", "check_build_size", "check_estimate_size", "MAX_LANES",
           "MAX_ESTIMATE_LUTS"]

#: Fetch muxes (L*K) or multiplier lanes (rows*columns) a generated core may have.
MAX_LANES = 65_536
#: Seconds of elaboration per fetch mux or multiplier lane (the measurements above).
SECONDS_PER_LANE = 0.01
#: LUTs the per-design cost model counts adders for.
MAX_ESTIMATE_LUTS = 8_192
OVERRIDE = "HWGEN_SIZE_LIMIT"


class DesignTooLarge(ConfigError):
    """A design past a limit below: elaborating or estimating it would take many minutes."""


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
    """Raise `DesignTooLarge` if elaborating ``config`` would take ten minutes or more."""
    if not _enabled():
        return
    lanes = _lanes(config)
    if lanes is not None and lanes[0] > MAX_LANES:
        raise DesignTooLarge(f"too large to elaborate in ten minutes: {lanes[1]} ({lanes[0]:,}) exceed {MAX_LANES:,} "
                             f"(about {SECONDS_PER_LANE * 1e3:.0f} ms each); use a smaller core, or set {OVERRIDE}=off to wait")


def check_estimate_size(config) -> None:
    """Raise `DesignTooLarge` if the cost model would count ``config``'s adders for minutes."""
    luts = getattr(config, "luts", 0)
    if _enabled() and luts > MAX_ESTIMATE_LUTS:
        raise DesignTooLarge(f"too large to estimate in a minute: luts = {luts:,} exceeds {MAX_ESTIMATE_LUTS:,}; "
                             f"use fewer, wider cores, or set {OVERRIDE}=off to wait")
