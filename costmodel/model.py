"""Analytical area / energy / timing model of the LUT core, vectorized over design points.

The model counts exactly the structure `hwgen.datapath.LutCoreShape` describes (the one
the RTL generator builds) and prices every count with a technology table
(`costmodel.tech`):

==============  ==========================================================================
component       what is counted
==============  ==========================================================================
build           ``L`` copies of the `hwgen.lutgraph` adder graph: adders and the sum of
                their exact output widths (`LutCoreShape.node_widths`)
fetch           ``L*K`` ``(E+1):1`` muxes of ``entry_width`` bits (``E*entry_width`` data
                input bits, ``E+1`` select terms) and ``L*K`` conditional negators of
                ``fetch_width`` bits
tree            ``K`` reduction trees: adders and the exact output width of every level
                (`LutCoreShape.level_bounds`)
registers       the pipeline cut points that are registered (cut 0: ``L*E`` table entries
                and ``L*K`` keys; cut 1: ``L*K`` fetched values; cut ``2+i``: tree level
                ``i``; each with 4 control bits), ``K`` accumulators and ``K`` result
                registers of ``accumulator_width`` bits, result ``last`` and ``valid``
control         accumulator input muxes and adders (``K * accumulator_width``), the row and
                column counters and the handshake
==============  ==========================================================================

Area and energy per cycle are linear in these counts (one coefficient per count, fitted
by `costmodel.calibrate`). Timing: each pipeline stage's delay is the sum of its
segments (LUT build, fetch, one per tree level, accumulate) plus the register overhead;
fmax is set by the slowest stage. The energy coefficients hold for the random
full-throughput workload of `costmodel.activity`.

Two entry points share one implementation: `estimate_batch` evaluates arrays of design
points at once (numpy; the per-``(mu, act width)`` graph counts and per-``(L, bound)``
tree counts are computed once per distinct value), `estimate` one `LutConfig`. Both go
through `_evaluate`, and `structure` counts one config straight from `LutCoreShape` so
tests can check the vectorized counts against it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from hwgen.config import LutConfig, required_accumulator_width
from hwgen.datapath import LutCoreShape, tree_levels
from hwgen.formats import ACTIVATIONS, ActivationFormat, key_width, lut_entries, signed_width
from hwgen.lutgraph import build_lut_graph

from .tech import Tech, load_tech

__all__ = [
    "FEATURES",
    "OUTPUT_KEYS",
    "BREAKDOWN",
    "CONTROL_BITS",
    "structure",
    "estimate",
    "estimate_batch",
    "params_from_configs",
]

#: Structure counts the area and energy are linear in (the tech table has one coefficient each).
FEATURES = (
    "build_adders",     # adders in the L build graphs
    "build_add_bits",   # sum of their output widths
    "mux_data_bits",    # L*K*E*entry_width: data input bits of the fetch muxes
    "mux_select_terms",  # L*K*(E+1): select terms of the fetch muxes
    "neg_bits",         # L*K*fetch_width: conditional negators
    "tree_adders",      # K*(L-1)
    "tree_add_bits",    # sum of the tree adders' output widths
    "acc_bits",         # K*accumulator_width: accumulator adder and restart mux
    "reg_bits",         # every register bit (pipeline cuts, accumulators, results, counters)
    "counter_bits",     # row and column counter bits
    "const",            # handshake and fixed control
    "enable_load",      # (pipeline register bits)**2 / 1000: the unbuffered stall/enable net
)

#: Breakdown groups: which features each one sums.
BREAKDOWN = {
    "build": ("build_adders", "build_add_bits"),
    "fetch": ("mux_data_bits", "mux_select_terms", "neg_bits"),
    "tree": ("tree_adders", "tree_add_bits"),
    "registers": ("reg_bits",),
    "control": ("acc_bits", "counter_bits", "const", "enable_load"),
}

#: Control bits carried along every registered cut (valid, first, last, gemv_last).
CONTROL_BITS = 4

OUTPUT_KEYS = (
    "area_um2", "power_mw", "energy_pj_per_gemv", "energy_pj_per_op", "energy_pj_per_cycle",
    "fmax_mhz", "clock_mhz", "critical_path_ns", "cycles_per_gemv", "latency_cycles",
    "gemv_per_s", "throughput_gops", "ops_per_gemv",
)

PARAMS = ("group_size", "luts", "fetchers", "act_width", "pipeline", "n", "m")


# ----------------------------------------------------------------------------- counts of one config


def structure(config: LutConfig) -> dict[str, float]:
    """Feature counts and timing segments of one config, straight from `LutCoreShape`.

    This is the reference the vectorized path is tested against.
    """
    s = LutCoreShape(config)
    c = config
    L, K, E = c.luts, c.fetchers, s.entries
    adder_widths = [w for node, w in zip(s.graph.nodes, s.node_widths) if node.op != "in"]
    level_widths = [[signed_width(-b, b) for b in bounds] for bounds in s.level_bounds[1:]]
    tree_add_bits = sum(w for level, widths in zip(s.levels, level_widths)
                        for group, w in zip(level, widths) if len(group) == 2)
    table_bits = sum(s.node_widths[n] for n in s.graph.entries)
    reg = 0
    if s.cut(0):
        reg += L * table_bits + L * K * s.key_width + CONTROL_BITS
    if s.cut(1):
        reg += L * K * s.fetch_width + CONTROL_BITS
    for i, widths in enumerate(level_widths):
        if s.cut(2 + i):
            reg += K * sum(widths) + CONTROL_BITS
    counters = _bitlen(c.tiling.row_blocks - 1) + _bitlen(c.tiling.col_blocks - 1)
    pipe_bits = reg
    reg += 2 * K * c.accumulator_width + 2 + counters
    features = {
        "build_adders": L * len(adder_widths),
        "build_add_bits": L * sum(adder_widths),
        "mux_data_bits": L * K * E * s.entry_width,
        "mux_select_terms": L * K * (E + 1),
        "neg_bits": L * K * s.fetch_width,
        "tree_adders": K * (L - 1),
        "tree_add_bits": K * tree_add_bits,
        "acc_bits": K * c.accumulator_width,
        "reg_bits": reg,
        "counter_bits": counters,
        "const": 1,
        "enable_load": pipe_bits * pipe_bits / 1000.0,
    }
    segments = {
        "build_depth": s.graph.depth,
        "entry_width": s.entry_width,
        "select_bits": (E).bit_length(),
        "fetch_width": s.fetch_width,
        "level_widths": [max(w) for w in level_widths],
        "acc_width": c.accumulator_width,
        "enable_bits": pipe_bits,
    }
    return {"features": features, "segments": segments, "cycles": s.cycles_per_gemv,
            "latency": s.latency, "tiles": c.tiling.tiles}


def _bitlen(x: int) -> int:
    return int(x).bit_length()


# ----------------------------------------------------------------------------- vectorized counts


def _bitlen_array(x: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of non-negative integers (exact below 2**53)."""
    x = np.asarray(x, dtype=np.float64)
    _, exp = np.frexp(x)
    return np.where(x > 0, exp, 0).astype(np.int64)


def _swidth_sym(bound: np.ndarray) -> np.ndarray:
    """`signed_width(-b, b)` for arrays of ``b >= 0``."""
    return _bitlen_array(bound) + 1


@lru_cache(maxsize=None)
def _graph_counts(mu: int, act_width: int) -> tuple[int, ...]:
    """Per ``(mu, act width)``: E, key width, adders, adder bits, entry width, fetch bound, depth."""
    act = ActivationFormat(f"int{act_width}", act_width, False)
    graph = build_lut_graph(mu)
    ranges = graph.value_ranges(act.min, act.max)
    widths = [signed_width(lo, hi) for lo, hi in ranges]
    adder_bits = sum(w for node, w in zip(graph.nodes, widths) if node.op != "in")
    entry_width = max(widths[n] for n in graph.entries)
    table_bits = sum(widths[n] for n in graph.entries)
    bound = max(max(-ranges[n][0], ranges[n][1]) for n in graph.entries)
    return (lut_entries(mu), key_width(mu), graph.adders, adder_bits, entry_width, bound, graph.depth, table_bits)


@lru_cache(maxsize=None)
def _tree_leaf_counts(luts: int) -> tuple[tuple[tuple[int, bool], ...], ...]:
    """Per tree level: (leaves under each output, is it an adder) in `tree_levels` order."""
    counts = [1] * luts
    out = []
    for level in tree_levels(luts):
        counts = [sum(counts[i] for i in group) for group in level]
        out.append(tuple((c, len(g) == 2) for c, g in zip(counts, level)))
    return tuple(out)


MAX_LEVELS = 40


@lru_cache(maxsize=None)
def _tree_counts(luts: int, bound: int) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """Per ``(L, fetch bound)``: tree adder bits, per-level output bits, per-level max width."""
    add_bits = 0
    level_bits, level_max = [], []
    for level in _tree_leaf_counts(luts):
        widths = [signed_width(-c * bound, c * bound) for c, _ in level]
        add_bits += sum(w for w, (_, is_add) in zip(widths, level) if is_add)
        level_bits.append(sum(widths))
        level_max.append(max(widths))
    return add_bits, tuple(level_bits), tuple(level_max)


@lru_cache(maxsize=None)
def _tree_row(luts: int, bound: int) -> tuple[int, ...]:
    """`_tree_counts` flattened: adder bits, levels, cumulative level bits, per-level max width."""
    add_bits, level_bits, level_max = _tree_counts(luts, bound)
    if len(level_bits) > MAX_LEVELS:
        raise ValueError(f"luts={luts} has more than {MAX_LEVELS} tree levels")
    pad = MAX_LEVELS - len(level_bits)
    cum = [0]
    for bits in level_bits:
        cum.append(cum[-1] + bits)
    return (add_bits, len(level_bits), *cum, *([cum[-1]] * pad), *level_max, *([0] * pad))


def _lookup(a: np.ndarray, b: np.ndarray, fn, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``fn(a, b)`` (``width`` numbers) once per distinct pair: ``(table, row of every point)``."""
    a = a.astype(np.int64)
    b = b.astype(np.int64)
    code = a * (int(b.max()) + 1) + b  # one integer per (a, b)
    top = int(code.max()) + 1
    if top <= 1 << 22:  # dense: O(N), no sort
        present = np.zeros(top, dtype=bool)
        present[code] = True
        uniq = np.flatnonzero(present)
        slot = np.cumsum(present) - 1
        inverse = slot[code]
    else:
        uniq, inverse = np.unique(code, return_inverse=True)
    bmod = int(b.max()) + 1
    table = np.array([fn(int(u // bmod), int(u % bmod)) for u in uniq], dtype=np.int64).reshape(len(uniq), width)
    return table, inverse.reshape(-1)


def _batch_structure(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    mu, L, K, aw, pipe = (p[k] for k in ("group_size", "luts", "fetchers", "act_width", "pipeline"))
    n, m, acc = p["n"], p["m"], p["accumulator_width"]
    gt, gi = _lookup(mu, aw, _graph_counts, 8)
    E, kw, nb, build_bits, ew, bound, depth, table_bits = (gt[:, j][gi] for j in range(8))

    tt, ti = _lookup(L, bound, _tree_row, 2 + (MAX_LEVELS + 1) + MAX_LEVELS)
    tree_add_bits, nlev = tt[:, 0][ti], tt[:, 1][ti]
    levels = max(int(tt[:, 1].max()), 1)
    level_max = np.ascontiguousarray(tt[:, 2 + MAX_LEVELS + 1:2 + MAX_LEVELS + 1 + levels])[ti]
    fw = _swidth_sym(bound)

    rows = -(-n // (L * mu))
    cols = -(-m // K)
    counters = _bitlen_array(rows - 1) + _bitlen_array(cols - 1)
    tree_cuts = np.clip(pipe - 2, 0, nlev)
    pipe_bits = (np.where(pipe >= 1, L * table_bits + L * K * kw + CONTROL_BITS, 0)
                 + np.where(pipe >= 2, L * K * fw + CONTROL_BITS, 0)
                 + K * tt.reshape(-1)[ti * tt.shape[1] + 2 + tree_cuts]
                 + tree_cuts * CONTROL_BITS)
    reg = pipe_bits + 2 * K * acc + 2 + counters
    features = {
        "build_adders": L * nb,
        "build_add_bits": L * build_bits,
        "mux_data_bits": L * K * E * ew,
        "mux_select_terms": L * K * (E + 1),
        "neg_bits": L * K * fw,
        "tree_adders": K * (L - 1),
        "tree_add_bits": K * tree_add_bits,
        "acc_bits": K * acc,
        "reg_bits": reg,
        "counter_bits": counters,
        "const": 1.0,
        "enable_load": pipe_bits.astype(np.float64) ** 2 / 1000.0,
    }
    latency = pipe + 1
    return {
        "features": features,
        "depth": depth, "entry_width": ew, "select_bits": _bitlen_array(E), "fetch_width": fw,
        "level_max": level_max, "nlev": nlev, "acc_width": acc,
        "enable_bits": pipe_bits, "acc_bits": K * acc,
        "cycles": rows * cols + latency, "latency": latency,
    }


# ----------------------------------------------------------------------------- pricing


def _stage_delays(st: dict, pipe: np.ndarray, tech: Tech) -> np.ndarray:
    """Critical path (ns): the slowest register-to-register path.

    Datapath segments, in order: LUT build (cut 0 after it), fetch (cut 1), one per tree
    level (cuts 2..), then the accumulator. A registered cut ends a stage; the segments
    after the last registered cut chain with the accumulator into one stage. A stage
    costs the sum of its segments' logic depths plus one carry ripple over its widest
    word (chained carries overlap, so ripple is paid once), plus the register overhead.

    The stall/enable net (``advance``) drives the enable of every register; without
    fanout buffering its delay grows with the number of bits it drives (``enable_*``).
    """
    d = tech.delay
    nlev, level_max = st["nlev"], st["level_max"]
    apb = d["add_per_bit"]
    segments = [  # (logic depth cost, widest word, index)
        (d["add_base"] * st["depth"], np.where(st["depth"] > 0, st["entry_width"], 0)),
        (d["mux_base"] + d["mux_per_select_bit"] * st["select_bits"] + d["neg_base"], st["fetch_width"]),
    ]
    for j in range(level_max.shape[1]):
        w = level_max[:, j]
        segments.append((np.where(w > 0, d["add_base"], 0.0), w))
    registered = np.zeros(len(pipe))
    tail_base = np.full(len(pipe), d["acc_base"])
    tail_width = st["acc_width"].astype(np.float64)
    for i, (base, width) in enumerate(segments):
        exists = (2 + nlev > i) if i >= 2 else True
        alone = exists & (pipe > i)
        tail = exists & (pipe <= i)
        registered = np.maximum(registered, np.where(alone, base + apb * width, 0.0))
        tail_base = tail_base + np.where(tail, base, 0.0)
        tail_width = np.maximum(tail_width, np.where(tail, width, 0))
    last = tail_base + apb * tail_width
    enable = d["enable_base"] + d["enable_per_bit"] * st["enable_bits"] + d["enable_per_acc_bit"] * st["acc_bits"]
    return d["reg_overhead"] + np.maximum(np.maximum(registered, last), enable)


def _evaluate(p: dict[str, np.ndarray], tech: Tech) -> dict[str, np.ndarray]:
    st = _batch_structure(p)
    f = st["features"]
    area_parts = {name: sum(tech.area[k] * f[k] for k in keys) for name, keys in BREAKDOWN.items()}
    energy_parts = {name: sum(tech.energy[k] * f[k] for k in keys) for name, keys in BREAKDOWN.items()}
    area = sum(area_parts.values())
    e_cycle = sum(energy_parts.values())  # pJ per clock cycle, dynamic
    critical = _stage_delays(st, p["pipeline"], tech)
    fmax = 1000.0 / critical
    clock = np.where(np.isnan(p["clock_mhz"]), fmax, p["clock_mhz"])
    leak_mw = tech.leakage_mw_per_um2 * area
    power = e_cycle * clock * 1e-3 + leak_mw  # pJ * MHz = uW
    cycles = st["cycles"].astype(np.float64)
    gemv_time_us = cycles / clock
    e_gemv = e_cycle * cycles + leak_mw * gemv_time_us * 1e3  # mW * us = nJ -> pJ
    ops = 2.0 * p["n"] * p["m"]
    out = {
        "area_um2": area,
        "power_mw": power,
        "energy_pj_per_gemv": e_gemv,
        "energy_pj_per_op": e_gemv / ops,
        "energy_pj_per_cycle": e_cycle,
        "fmax_mhz": fmax,
        "clock_mhz": clock,
        "critical_path_ns": critical,
        "cycles_per_gemv": st["cycles"],
        "latency_cycles": st["latency"],
        "gemv_per_s": clock * 1e6 / cycles,
        "throughput_gops": ops * clock * 1e-3 / cycles,
        "ops_per_gemv": ops,
    }
    for name in BREAKDOWN:
        out[f"area_{name}_um2"] = area_parts[name]
        out[f"energy_{name}_pj_per_cycle"] = energy_parts[name]
    return out


def _normalize(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    missing = [k for k in PARAMS if k not in params]
    if missing:
        raise ValueError(f"estimate_batch needs arrays {', '.join(missing)}")
    arrays = {k: np.asarray(params[k]).astype(np.int64, copy=False).reshape(-1) for k in PARAMS}
    size = max(a.size for a in arrays.values())
    arrays = {k: np.broadcast_to(a, (size,)) for k, a in arrays.items()}
    clock = np.asarray(params.get("clock_mhz", np.nan), dtype=np.float64).reshape(-1)
    arrays["clock_mhz"] = np.broadcast_to(clock, (size,))
    acc = params.get("accumulator_width")
    if acc is None:
        bound = arrays["n"] * (1 << (arrays["act_width"] - 1))
        acc = _swidth_sym(bound)
    else:
        acc = np.broadcast_to(np.asarray(acc, dtype=np.int64).reshape(-1), (size,))
        acc = np.where(acc <= 0, _swidth_sym(arrays["n"] * (1 << (arrays["act_width"] - 1))), acc)
    arrays["accumulator_width"] = acc
    for k in ("group_size", "luts", "fetchers", "act_width", "n", "m"):
        if np.any(arrays[k] < 1):
            raise ValueError(f"'{k}' must be >= 1 everywhere")
    if np.any(arrays["pipeline"] < 0):
        raise ValueError("'pipeline' must be >= 0 everywhere")
    return arrays


def estimate_batch(params: dict[str, np.ndarray], tech: Tech | str = "osu018") -> dict[str, np.ndarray]:
    """Estimate many LUT-core design points at once.

    Parameters
    ----------
    params : dict of array-like
        ``group_size`` (mu), ``luts`` (L), ``fetchers`` (K), ``act_width`` (integer
        activation bits, 4 or 8), ``pipeline``, ``n``, ``m``; optional ``clock_mhz``
        (NaN or absent: run at the estimated fmax) and ``accumulator_width`` (<= 0 or
        absent: the width the workload needs). Scalars broadcast.
    tech : Tech or str
        Technology table or its name (`costmodel.tech.load_tech`).

    Returns
    -------
    dict of numpy arrays, one value per point: `OUTPUT_KEYS` plus ``area_<part>_um2`` and
    ``energy_<part>_pj_per_cycle`` for every part of `BREAKDOWN`.
    """
    if isinstance(tech, str):
        tech = load_tech(tech)
    return _evaluate(_normalize(params), tech)


def params_from_configs(configs: list[LutConfig], clock_mhz: float | None = None) -> dict[str, np.ndarray]:
    """The `estimate_batch` parameter arrays of a list of configs."""
    for c in configs:
        if c.act.is_float:
            raise ValueError(f"the cost model covers integer activations only, not {c.activation}")
    return {
        "group_size": np.array([c.group_size for c in configs]),
        "luts": np.array([c.luts for c in configs]),
        "fetchers": np.array([c.fetchers for c in configs]),
        "act_width": np.array([c.act.width for c in configs]),
        "pipeline": np.array([c.pipeline for c in configs]),
        "n": np.array([c.workload.n for c in configs]),
        "m": np.array([c.workload.m for c in configs]),
        "accumulator_width": np.array([c.accumulator_width for c in configs]),
        "clock_mhz": np.full(len(configs), np.nan if clock_mhz is None else float(clock_mhz)),
    }


def estimate(config: LutConfig, tech_name: str | Tech = "osu018", clock_mhz: float | None = None) -> dict:
    """Cost-model estimate of one design (the same computation as `estimate_batch`).

    Parameters
    ----------
    config : LutConfig
        A validated design.
    tech_name : str or Tech
        Technology table name (`costmodel.tech.known_techs`) or a loaded table.
    clock_mhz : float, optional
        Clock for power and throughput; the estimated fmax if ``None``.

    Returns
    -------
    dict with ``tech``, `OUTPUT_KEYS` as plain floats/ints, and ``breakdown``:
    ``{"area_um2": {part: ...}, "energy_pj_per_cycle": {part: ...}}`` for the parts
    build, fetch, tree, registers, control.

    Raises
    ------
    hwgen.errors.ConfigError
        If the tech name is unknown.
    """
    tech = load_tech(tech_name) if isinstance(tech_name, str) else tech_name
    out = _evaluate(_normalize(params_from_configs([config], clock_mhz)), tech)
    result: dict = {"tech": tech.name}
    for key in OUTPUT_KEYS:
        value = out[key][0]
        result[key] = int(value) if key in ("cycles_per_gemv", "latency_cycles") else float(value)
    result["breakdown"] = {
        "area_um2": {name: float(out[f"area_{name}_um2"][0]) for name in BREAKDOWN},
        "energy_pj_per_cycle": {name: float(out[f"energy_{name}_pj_per_cycle"][0]) for name in BREAKDOWN},
    }
    return result
