"""Costs of the design families the vectorized ternary model does not cover, cached.

The sweep prices ternary LUT cores with integer activations through the vectorized
`costmodel.model.estimate_batch` (`dse.evaluate`). Every other core is priced one
design at a time by its own model, behind an LRU cache (a search revisits designs,
and every design is priced once per GEMV shape of the workload):

================================  ===============================================
design                            model
================================  ===============================================
LUT, sherry / ifairy / int2..4    `costmodel.formats_model.estimate`
LUT, float activation             `costmodel.float_model.estimate_float_lut`
MAC baseline                      `costmodel.mac_model.estimate_mac`
hardwired layer (one projection)  `hardwired_layer`: `costmodel.hardwired`'s
                                  whole-model pricing of one matrix
================================  ===============================================

`core_cost` returns the clock-independent part of an estimate (area, fmax, energy per
cycle, cycles per GEMV, streamed bits per weight); energy and power at any clock follow
as in every model of the project: ``energy = e_cycle * cycles + leakage * cycles / clock``
and ``power = e_cycle * clock + leakage``.

Every core is the programmable core for the workload's maxima ``(max_n, max_m)``
(accumulators, counters and activation buffer sized for them), running one ``(n, m)``
GEMV at a time; its cycles come from `hwgen.schedule` through the core's shape.
"""

from __future__ import annotations

from functools import lru_cache

from hwgen import formats
from hwgen.config import parse_design
from hwgen.families import shape_of

__all__ = ["core_cost", "mac_weights", "hardwired_format", "hardwired_layer", "design_mapping"]

#: Streamed bits per weight of the MAC baseline's weight lanes.
_MAC_BITS = {"ternary": 2, "int8": 8, "fp16": 16}
#: Hardwired arrays: the model's weight format -> the array's format (int3 has no
#: hardwired array: priced as int4, an upper bound; Sherry matrices are ternary).
_HARDWIRED = {"ternary": "ternary", "sherry": "ternary", "int2": "int2", "int3": "int4", "int4": "int4"}
#: Adder levels per pipeline stage of a hardwired array (as `costmodel.hardwired.project_model`).
HW_STAGE_LEVELS = 3
#: Rows of the generated sample a hardwired layer's adders per weight are measured on.
HW_SAMPLE_N = 256


def mac_weights(weights: str, activation: str) -> str:
    """The MAC baseline's multiplier for a weight format: ternary and sherry sign-select,
    int2..int4 an int8 multiplier (integer activations) or fp16 (float activations)."""
    if weights in ("ternary", "sherry"):
        return "ternary"
    if weights == "ifairy":
        raise ValueError("ifairy weights have no MAC baseline")
    return "fp16" if formats.ACTIVATIONS[activation].is_float else "int8"


def hardwired_format(weights: str) -> str:
    return _HARDWIRED[weights]


def design_mapping(architecture: str, weights: str, activation: str, group_size: int, luts: int,
                   fetchers: int, pipeline: int, adder_pipeline: int, workload: dict) -> dict:
    """The `hwgen.api` design mapping of a sweep point; ``workload`` is the design file's
    (``{max_n, max_m, gemvs}``): accumulators are derived from ``max_n``."""
    act = formats.ACTIVATIONS[activation]
    if architecture == "mac":
        d = {"kind": "mac", "weights": mac_weights(weights, activation), "activation": activation,
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
    if architecture == "mac":
        from costmodel.mac_model import estimate_mac

        est = estimate_mac(config, tech)
        bits = float(_MAC_BITS[config.weights])
    elif formats.ACTIVATIONS[activation].is_float:
        from costmodel.float_model import estimate_float_lut

        est = estimate_float_lut(config, tech)
        bits = formats.key_width(group_size) / group_size
    else:
        from costmodel.formats_model import estimate

        est = estimate(config, tech)
        bits = float(est["bits_per_weight"])
    return (float(est["area_um2"]), float(est["fmax_mhz"]), float(est["energy_pj_per_cycle"]),
            float(shape_of(config).cycles_per_program()), bits)


@lru_cache(maxsize=None)
def _rates(m: int, fmt: str, activation: str) -> dict:
    from costmodel.hardwired import sample_rates

    return sample_rates(m, fmt, activation, HW_SAMPLE_N)


@lru_cache(maxsize=4096)
def hardwired_layer(n: int, m: int, weights: str, activation: str, tech: str) -> tuple:
    """``(area_um2, energy_pj_per_gemv, fmax_mhz, latency_cycles)`` of one ``(n, m)`` projection
    as a hardwired array: `costmodel.hardwired.layer_cost`, as `project_model` prices a matrix (adders
    per weight measured on a generated BitNet-style ``256 x min(m, SAMPLE_COLUMNS)`` sample, combining
    adders for the extra rows, a register cut every 3 adder levels)."""
    from costmodel.hardwired import SAMPLE_COLUMNS, layer_cost

    fmt = hardwired_format(weights)
    c = layer_cost(n, m, fmt, activation, tech, _rates(min(m, SAMPLE_COLUMNS), fmt, activation), HW_STAGE_LEVELS, HW_SAMPLE_N)
    return float(c["area_um2"]), float(c["energy_pj_per_gemv"]), float(c["fmax_mhz"]), int(c["latency_cycles"])
