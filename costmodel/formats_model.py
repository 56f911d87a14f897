"""Cost model of the non-ternary LUT cores (Sherry, iFairy, int2/3/4 bit-planes).

An additive module beside `costmodel.model`: it counts the structure of
`hwgen.rtl.lut_core.LutCore` from `hwgen.weights.shape.LutCoreShape` in the same
features as the ternary model (`costmodel.features.FEATURES`) and prices them with the same
technology tables (per-bit unit costs of adders, mux inputs, negators, registers), so
every format is compared on one footing. What each format adds:

==========  =========================================================================
Sherry      16 entries (no zero entry), 16:1 mux, one negator; 20 build adders at mu=4
iFairy      two ``4**(mu-1)``:1 muxes (Re, Im), a 2:1 swap per part and two negators
            per fetch; two reduction trees and accumulators per column
int-b       ``b`` ``2**(mu-1)``:1 selects and negators per fetch, ``b-1`` shift-add
            adders (counted with the tree adders), one extra tree over the entry-0
            values and one subtractor per column
==========  =========================================================================

Timing uses the ternary model's segment form (build, fetch, tree levels, accumulate,
each a logic depth plus one carry ripple over its widest word) with the same delay
coefficients; the extra fetch logic lengthens the fetch segment: the iFairy swap is one
more select level, and every bit-plane shift-add one adder depth. The shift-adds' carry
ripples overlap (bit i of one needs only bit i of the previous), so the fetch pays one
ripple over its widest word, as synthesis of int2/3/4 cores shows (`benchmarks/formats.py
--synth`); the correction subtractor adds one adder depth to the accumulate stage. It is
a per-config (not vectorized) model: the format comparison and the API evaluate a
handful of points.
"""

from __future__ import annotations

import numpy as np

from hwgen.config import LutConfig, parse_design
from hwgen.datapath import tree_adder_bits
from hwgen.formats import key_width, signed_width
from hwgen.weights.shape import LutCoreShape

from .features import BREAKDOWN
from .model import CONTROL_BITS, OUTPUT_KEYS
from .model import estimate_batch as ternary_batch
from .pricing import run_metrics
from .frame import buffer_read_delay, buffer_report, frame_counts
from .tech import Tech, load_tech

__all__ = ["structure", "estimate", "bits_per_weight"]


def bits_per_weight(config: LutConfig) -> float:
    """Weight bits stored and streamed per weight (key bits / group size)."""
    return LutCoreShape(config).spec.stored_bits(config.group_size)


def structure(config: LutConfig) -> dict:
    """Feature counts (`costmodel.features.FEATURES`) and timing segments of one config."""
    s = LutCoreShape(config)
    c, spec = config, s.spec
    L, K, P, mu = c.luts, c.fetchers, s.lanes, c.group_size
    E, ew, fw = s.entries, s.entry_width, s.fetch_width
    adder_widths, table_bits = s.adder_widths, s.table_bits

    def level_widths(bounds):
        return [[signed_width(-b, b) for b in level] for level in bounds[1:]]

    fetch_widths = level_widths(s.level_bounds)
    tree_adders = K * P * (L - 1)
    tree_bits = K * P * tree_adder_bits(s.levels, s.level_bounds)
    fetch = spec.fetch_counts(mu, E, ew, fw, s.entry_bound)  # the format's fetch unit
    mux_data, select_terms, neg = fetch.mux_data_bits, fetch.mux_select_terms, fetch.neg_bits
    tree_adders += L * K * fetch.shift_adds  # shift-adds are counted with the tree adders
    tree_bits += L * K * fetch.shift_add_bits
    corr_widths = level_widths(s.correction_bounds) if spec.correction else []
    if spec.correction:
        diff_bound = s.level_bounds[-1][0] + s.correction_bounds[-1][0]
        tree_adders += (L - 1) + K
        tree_bits += tree_adder_bits(s.levels, s.correction_bounds) + K * signed_width(-diff_bound, diff_bound)

    reg = 0
    if s.cut(0):
        reg += L * table_bits + L * K * s.key_width + CONTROL_BITS
    if s.cut(1):
        reg += L * K * P * fw + (L * ew if spec.correction else 0) + CONTROL_BITS
    for i, widths in enumerate(fetch_widths):
        if s.cut(2 + i):
            reg += K * P * sum(widths) + (sum(corr_widths[i]) if spec.correction else 0) + CONTROL_BITS
    frame = frame_counts(c.workload.max_n, c.workload.max_m, L * mu, K, L * s.inputs * c.act.width)
    reg += 2 * K * P * c.accumulator_width + 2 + int(frame["reg_bits"])
    features = {
        "build_adders": L * len(adder_widths),
        "build_add_bits": L * sum(adder_widths),
        "shared_table_bits": L * sum(adder_widths) if not s.cut(0) and K > 1 else 0,
        "mux_data_bits": L * K * mux_data + int(frame["mux_data_bits"]),
        "mux_select_terms": L * K * select_terms + int(frame["mux_select_terms"]),
        "neg_bits": L * K * neg,
        "tree_adders": tree_adders,
        "tree_add_bits": tree_bits,
        "acc_bits": K * P * c.accumulator_width,
        "reg_bits": reg,
        "counter_bits": int(frame["counter_bits"]),
        "const": 1,
    }
    segments = {
        "build_depth": s.graph.depth, "entry_width": ew, "select_bits": fetch.select_bits,
        "fetch_width": fw, "swap": fetch.swap, "shift_adds": fetch.shift_adds,
        "level_widths": [max(w) for w in fetch_widths], "correction": spec.correction,
        "acc_width": c.accumulator_width, "buffer_words": int(frame["buffer_words"]),
    }
    return {"features": features, "segments": segments, "cycles": s.cycles_per_gemv,
            "latency": s.latency, "tiles": c.tiling.tiles, "frame": frame}


def critical_path_ns(seg: dict, pipeline: int, tech: Tech) -> float:
    """Slowest register-to-register path, in the form of `costmodel.model._stage_delays`."""
    d = tech.delay
    apb = d["add_per_bit"]
    fetch_base = (d["mux_base"] + d["mux_per_select_bit"] * seg["select_bits"] + d["neg_base"]
                  + (d["mux_per_select_bit"] if seg["swap"] else 0.0)
                  + d["add_base"] * seg["shift_adds"])
    # the activation buffer's read mux leads into the LUT build (`costmodel.frame.buffer_read_delay`)
    segments = [(buffer_read_delay(seg["buffer_words"], d) + d["add_base"] * seg["build_depth"],
                 seg["entry_width"] if seg["build_depth"] else 0),
                (fetch_base, seg["fetch_width"])]
    segments += [(d["tree_level"], w) for w in seg["level_widths"]]
    registered, tail_base, tail_width = 0.0, d["acc_base"], seg["acc_width"]
    if seg["correction"]:
        tail_base += d["tree_level"]
    for i, (base, width) in enumerate(segments):
        if pipeline > i:
            registered = max(registered, base + apb * width)
        else:
            tail_base += base
            tail_width = max(tail_width, width)
    return d["reg_overhead"] + max(registered, tail_base + apb * tail_width)


def estimate(config: LutConfig, tech_name: str | Tech = "osu018", clock_mhz: float | None = None) -> dict:
    """Estimate of one non-ternary design, with the keys of `costmodel.model.estimate` plus
    ``weights``, ``bits_per_weight`` and ``energy_pj_per_weight`` (per GEMV / (N*M))."""
    tech = load_tech(tech_name) if isinstance(tech_name, str) else tech_name
    st = structure(config)
    f = st["features"]
    area_parts = {name: sum(tech.area[k] * f[k] for k in keys if k in f) for name, keys in BREAKDOWN.items()}
    energy_parts = {name: sum(tech.energy[k] * f[k] for k in keys if k in f) for name, keys in BREAKDOWN.items()}
    area = sum(area_parts.values())
    e_cycle = sum(energy_parts.values())
    critical = critical_path_ns(st["segments"], config.pipeline, tech)
    n, m = config.workload.n, config.workload.m
    clock = None if clock_mhz is None else float(clock_mhz)
    values = run_metrics(area, e_cycle, tech.leakage_mw_per_um2, critical, clock, st["cycles"], 2.0 * n * m)
    values["latency_cycles"] = st["latency"]
    e_gemv = values["energy_pj_per_gemv"]
    result: dict = {"tech": tech.name}
    for key in OUTPUT_KEYS:
        result[key] = int(values[key]) if key in ("cycles_per_gemv", "latency_cycles") else float(values[key])
    result["breakdown"] = {"area_um2": area_parts, "energy_pj_per_cycle": energy_parts}
    result["weights"] = config.weights
    result["bits_per_weight"] = bits_per_weight(config)
    result["energy_pj_per_weight"] = e_gemv / (n * m)
    result["activation_buffer"] = buffer_report(st["frame"], tech)
    return result


def estimate_batch(params: dict, tech: Tech | str = "osu018") -> dict:
    """Many design points of any weight format, for the search: ``params`` holds arrays
    ``weights`` (format names), ``group_size``, ``luts``, ``fetchers``, ``act_width``,
    ``pipeline``, ``n``, ``m`` and optionally ``clock_mhz`` (NaN: at fmax); scalars broadcast.

    Returns `costmodel.model.OUTPUT_KEYS` arrays plus ``bits_per_weight``. Ternary points
    go through the vectorized `costmodel.model.estimate_batch`; the others are evaluated
    once per distinct design (a search revisits few distinct non-ternary shapes).
    """
    tech = load_tech(tech) if isinstance(tech, str) else tech
    keys = ("group_size", "luts", "fetchers", "act_width", "pipeline", "n", "m")
    weights = np.asarray(params["weights"]).reshape(-1)
    size = max([weights.size] + [np.asarray(params[k]).size for k in keys])
    cols = {k: np.broadcast_to(np.asarray(params[k]).reshape(-1), (size,)) for k in keys}
    cols["weights"] = np.broadcast_to(weights, (size,))
    clock = np.broadcast_to(np.asarray(params.get("clock_mhz", np.nan), dtype=np.float64).reshape(-1), (size,))
    out = {k: np.zeros(size) for k in (*OUTPUT_KEYS, "bits_per_weight")}
    tern = cols["weights"] == "ternary"
    if tern.any():
        sub = ternary_batch({**{k: v[tern] for k, v in cols.items() if k != "weights"}, "clock_mhz": clock[tern]}, tech)
        for k in OUTPUT_KEYS:
            out[k][tern] = sub[k]
        mu = cols["group_size"][tern]
        out["bits_per_weight"][tern] = [key_width(int(u)) / int(u) for u in mu]
    cache: dict = {}
    for i in np.flatnonzero(~tern):
        point = (str(cols["weights"][i]), *(int(cols[k][i]) for k in keys), float(clock[i]))
        if point not in cache:
            w, mu, L, K, aw, pipe, n, m, clk = point
            config = parse_design({"kind": "lut", "weights": w, "activation": f"int{aw}", "group_size": mu,
                                   "luts": L, "fetchers": K, "pipeline": pipe, "workload": {"n": n, "m": m}})
            cache[point] = estimate(config, tech, None if np.isnan(clk) else clk)
        est = cache[point]
        for k in (*OUTPUT_KEYS, "bits_per_weight"):
            out[k][i] = est[k]
    return out
