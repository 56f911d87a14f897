"""Costs of the sweep's design points that the vectorized ternary model does not cover, cached.

The sweep prices ternary LUT cores with integer activations through the vectorized
`costmodel.model.estimate_batch` (`dse.evaluate`). Every other core is priced one
design at a time: `design_mapping` turns a sweep point into a design mapping, and the
family registry (`hwgen.families.family_of`) prices it with the family's own model and
says how many weight bits it streams, behind an LRU cache (a search revisits designs,
and every design is priced once per GEMV shape of the workload). Hardwired layers
(one projection each) are priced by `hardwired_layer`, `costmodel.hardwired`'s
whole-model pricing of one matrix. Which MAC baseline or hardwired array stands in for a
weight format is the format's rule (`hwgen.weights.mac_weights`, `hardwired_weights`).

`core_cost` returns the clock-independent part of an estimate (area, fmax, energy per
cycle, cycles per GEMV, streamed bits per weight); energy and power at any clock follow
from `costmodel.pricing.run_cost`, as in every model of the project.

Every core is the programmable core for the workload's maxima ``(max_n, max_m)``
(accumulators, counters and activation buffer sized for them), running one ``(n, m)``
GEMV at a time; its cycles come from `hwgen.schedule` through the core's shape.
"""

from __future__ import annotations

from functools import lru_cache

from costmodel.hardwired import SAMPLE_COLUMNS, SAMPLE_ROWS, STAGE_LEVELS, layer_cost, sample_rates
from hwgen import formats
from hwgen.config import parse_design
from hwgen.families import family_of, shape_of
from hwgen.weights import hardwired_weights, mac_weights

__all__ = ["core_cost", "hardwired_layer", "design_mapping"]


def design_mapping(architecture: str, weights: str, activation: str, group_size: int, luts: int,
                   fetchers: int, pipeline: int, adder_pipeline: int, workload: dict) -> dict:
    """The `hwgen.api` design mapping of a sweep point; ``workload`` is the design file's
    (``{max_n, max_m, gemvs}``): accumulators are derived from ``max_n``."""
    act = formats.ACTIVATIONS[activation]
    if architecture == "mac":
        d = {"kind": "mac", "weights": mac_weights(weights, act.is_float), "activation": activation,
             "rows": group_size * luts, "columns": fetchers, "pipeline": pipeline, "workload": workload}
    else:
        d = {"kind": "lut", "weights": weights, "activation": activation, "group_size": group_size, "luts": luts,
             "fetchers": fetchers, "pipeline": pipeline, "workload": workload}
    if act.is_float:
        d["adder_pipeline"] = adder_pipeline
    return d


@lru_cache(maxsize=262_144)
def core_cost(architecture: str, weights: str, activation: str, group_size: int, luts: int, fetchers: int,
              pipeline: int, adder_pipeline: int, n: int, m: int, max_n: int, max_m: int, tech: str) -> tuple:
    """``(area_um2, fmax_mhz, energy_pj_per_cycle, cycles_per_gemv, bits_per_weight)`` of the
    ``(max_n, max_m)`` core running one ``(n, m)`` GEMV."""
    workload = {"max_n": max_n, "max_m": max_m, "gemvs": [{"n": n, "m": m}]}
    config = parse_design(design_mapping(architecture, weights, activation, group_size, luts, fetchers,
                                         pipeline, adder_pipeline, workload))
    family = family_of(config)
    est = family.estimate(config, tech, None)
    return (float(est["area_um2"]), float(est["fmax_mhz"]), float(est["energy_pj_per_cycle"]),
            float(shape_of(config).cycles_per_program()), float(family.bits_per_weight(config)))


@lru_cache(maxsize=None)
def _rates(m: int, fmt: str, activation: str) -> dict:
    return sample_rates(m, fmt, activation, SAMPLE_ROWS)


@lru_cache(maxsize=4096)
def hardwired_layer(n: int, m: int, weights: str, activation: str, tech: str) -> tuple:
    """``(area_um2, energy_pj_per_gemv, fmax_mhz, latency_cycles)`` of one ``(n, m)`` projection
    as a hardwired array: `costmodel.hardwired.layer_cost`, as `project_model` prices a matrix (adders
    per weight measured on a generated BitNet-style ``SAMPLE_ROWS x min(m, SAMPLE_COLUMNS)`` sample,
    combining adders for the extra rows, a register cut every `STAGE_LEVELS` adder levels)."""
    fmt = hardwired_weights(weights)
    c = layer_cost(n, m, fmt, activation, tech, _rates(min(m, SAMPLE_COLUMNS), fmt, activation), STAGE_LEVELS,
                   SAMPLE_ROWS)
    return float(c["area_um2"]), float(c["energy_pj_per_gemv"]), float(c["fmax_mhz"]), int(c["latency_cycles"])
