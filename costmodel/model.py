"""Analytical area / energy / timing model of the LUT core, vectorized over design points.

The model counts exactly the structure `hwgen.datapath.LutCoreShape` describes (the one
the RTL generator builds) and prices every count with a technology table
(`costmodel.tech`):

==============  ==========================================================================
component       what is counted
==============  ==========================================================================
build           ``L`` copies of the `hwgen.lutgraph` adder graph: adders and the sum of
                their exact output widths (`LutCoreShape.node_widths`); those widths again
                when the table is not registered (pipeline 0) and ``K > 1`` fetchers read
                it (synthesis then cannot fold each entry's adder into the one mux cone it
                feeds, and buffers the entries' fanout). Unregistered and read by one
                fetcher (``K = 1``), the table loses the build adder bits Yosys's
                ``opt_share`` merges (measured, `costmodel.opt_share`); their operands
                become fetch-mux inputs instead
fetch           ``L*K`` ``(E+1):1`` muxes of ``entry_width`` bits and ``L*K`` conditional
                negators of ``fetch_width`` bits. A mux's data inputs are counted at each
                entry's own width (the table's bits): the bit slices above a narrower
                entry's width all read its sign bit, and their AND terms are one gate
                after structural hashing (int4 mu = 5: 712 data bits, not 121 * 7).
                ``E+1`` select terms
tree            ``K`` reduction trees as synthesis builds them (`costmodel.adder_fusion`):
                unregistered levels fuse into multi-operand adders (carry-save rows of
                full adders plus one carry-propagate adder of the exact output width,
                `LutCoreShape.level_bounds`), and an unregistered tree whose sum is not
                truncated fuses into the accumulator's add, at the accumulator's width;
                full adders are counted after structural hashing merges the copies
                that sign extension makes
registers       the pipeline cut points that are registered (cut 0: ``L*E`` table entries
                and ``L*K`` keys; cut 1: ``L*K`` fetched values; cut ``2+i``: tree level
                ``i``; each with 4 control bits), ``K`` accumulators and ``K`` result
                registers of ``accumulator_width`` bits, result ``last`` and ``valid``
control         accumulator input muxes and adders (``K * accumulator_width``), the
                command register, the row and column counters and comparators at the width
                of the maxima, and the handshake (`costmodel.frame`)
buffer          the activation buffer, ``ceil(max_n / (L*mu))`` words of ``L*mu``
                activations, as a standard-cell register file: its flip-flops, read mux and
                the stream/buffer select (`costmodel.frame`; an SRAM figure is reported beside)
==============  ==========================================================================

Area and energy per cycle are linear in these counts (one coefficient per count, fitted
by `costmodel.calibrate`). Timing: each pipeline stage's delay is the sum of its
segments (LUT build, fetch, one per tree level, accumulate) plus the register overhead;
fmax is set by the slowest stage. A tree level has its own logic depth (``tree_level``):
chained tree adders wait on each other's low sum bits, which costs more than the build
graph's adders, whose inputs arrive together. The energy coefficients hold for the random
full-throughput workload of `costmodel.activity`.

Two entry points share one implementation: `estimate_batch` evaluates arrays of design
points at once, `estimate` one `LutConfig`. Every count that depends only on a point's
shape ``(mu, act width, L, pipeline)`` is computed once per distinct shape (cached) as
``base + K * per_k``, priced once per shape, and gathered into the points; what depends
on K, the accumulator width or the workload is a few numpy operations per batch. Both go
through `_evaluate`, and `structure` counts one config straight from `LutCoreShape` so
tests can check the vectorized counts against it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from hwgen.config import LutConfig
from hwgen.datapath import tree_levels
from hwgen.weights.shape import LutCoreShape
from hwgen.formats import ActivationFormat, key_width, lut_entries, signed_width
from hwgen.lutgraph import build_lut_graph
from hwgen.schedule import gemv_cycles

from .adder_fusion import reduction_adders
from .features import BREAKDOWN, FEATURES
from .opt_share_table import removed_build_bits
from .pricing import run_metrics
from .frame import buffer_cost, buffer_read_delay, buffer_report, frame_counts
from .tech import Tech, load_tech

__all__ = [
    "FEATURES",
    "OUTPUT_KEYS",
    "BREAKDOWN",
    "ACCURACY_REGIMES",
    "accuracy_regime",
    "accuracy",
    "accuracy_text",
    "CONTROL_BITS",
    "structure",
    "mux_levels",
    "estimate",
    "estimate_batch",
    "params_from_configs",
]

#: Control bits carried along every registered cut (valid, first, last, gemv_last).
CONTROL_BITS = 4

OUTPUT_KEYS = (
    "area_um2", "power_mw", "energy_pj_per_gemv", "energy_pj_per_op", "energy_pj_per_cycle",
    "fmax_mhz", "clock_mhz", "critical_path_ns", "cycles_per_gemv", "latency_cycles",
    "gemv_per_s", "throughput_gops", "ops_per_gemv",
)

PARAMS = ("group_size", "luts", "fetchers", "act_width", "pipeline", "n", "m")
#: Optional parameters: the core's maxima (the GEMV ``n``, ``m`` if absent).
MAX_PARAMS = ("max_n", "max_m")


# ----------------------------------------------------------------------------- counts of one config


def structure(config: LutConfig) -> dict[str, float]:
    """Feature counts and timing segments of one config, straight from `LutCoreShape`.

    This is the reference the vectorized path is tested against.
    """
    s = LutCoreShape(config)
    c = config
    L, K, E = c.luts, c.fetchers, s.entries
    adder_widths, table_bits = s.adder_widths, s.table_bits
    level_widths = [[signed_width(-b, b) for b in bounds] for bounds in s.level_bounds[1:]]
    cpa_bits, csa_bits, acc_csa_per_bit = reduction_adders(
        L, s.fetch_bound, [s.cut(2 + i) for i in range(len(s.levels))])
    csa_bits += acc_csa_per_bit * c.accumulator_width
    shared = L * removed_build_bits(c.group_size, c.act.width) if not s.cut(0) and K == 1 else 0
    reg = 0
    if s.cut(0):
        reg += L * table_bits + L * K * s.key_width + CONTROL_BITS
    if s.cut(1):
        reg += L * K * s.fetch_width + CONTROL_BITS
    for i, widths in enumerate(level_widths):
        if s.cut(2 + i):
            reg += K * sum(widths) + CONTROL_BITS
    frame = {k: int(v) for k, v in frame_counts(c.workload.max_n, c.workload.max_m, L * c.group_size, K,
                                                 L * c.group_size * c.act.width).items()}
    reg += 2 * K * c.accumulator_width + 2 + frame["reg_bits"]
    features = {
        "build_adders": L * len(adder_widths),
        "build_add_bits": L * sum(adder_widths) - shared,
        "shared_table_bits": L * sum(adder_widths) if not s.cut(0) and K > 1 else 0,
        "mux_data_bits": L * K * table_bits + shared + frame["mux_data_bits"],
        "mux_select_terms": L * K * (E + 1) + frame["mux_select_terms"],
        "neg_bits": L * K * s.fetch_width,
        "tree_adders": K * (L - 1),
        "tree_add_bits": K * cpa_bits,
        "csa_bits": K * csa_bits,
        "acc_bits": K * c.accumulator_width,
        "reg_bits": reg,
        "counter_bits": frame["counter_bits"],
        "const": 1,
    }
    segments = {
        "build_depth": s.graph.depth,
        "entry_width": s.entry_width,
        "select_bits": mux_levels(E + 1),
        "fetch_width": s.fetch_width,
        "level_widths": [max(w) for w in level_widths],
        "acc_width": c.accumulator_width,
    }
    return {"features": features, "segments": segments, "cycles": s.cycles_per_gemv,
            "latency": s.latency, "tiles": c.tiling.tiles}


#: Regimes the validation reports its accuracy for (`accuracy_regime`).
ACCURACY_REGIMES = ("pipelined", "unpipelined")


def accuracy_regime(pipeline: int) -> str:
    """An unregistered table (pipeline 0) leaves one long combinational cone that ABC maps
    far less predictably than a pipelined core's, so its accuracy is reported apart."""
    return "pipelined" if pipeline > 0 else "unpipelined"


def accuracy(tech: Tech, regime: str) -> dict:
    """How far off the model was, against synthesis, for designs of ``regime``
    (`accuracy_regime`; `costmodel.validate` records it in the table), or why that is not known."""
    measured = tech.validation.get(regime)
    if measured:
        return {"regime": regime, "validated": True, **measured, "date": tech.validation.get("date"),
                "report": tech.validation.get("report")}
    derived = tech.provenance.get("derived_from")
    why = (f"derived from {derived} by scaling; not validated against synthesis" if derived
           else "not validated against synthesis since it was fitted (python -m costmodel.validate)")
    return {"regime": regime, "validated": False, "note": why}


def accuracy_text(acc: dict) -> str:
    """One readable line for an `accuracy` block (its regime not included)."""
    if not acc.get("validated"):
        return acc["note"]
    errors = (f"area MAPE {acc['area_mape_pct']:.1f}% (worst {acc['area_worst_pct']:.1f}%), "
              f"power {acc['power_mape_pct']:.1f}% ({acc['power_worst_pct']:.1f}%), "
              f"fmax {acc['fmax_mape_pct']:.1f}% ({acc['fmax_worst_pct']:.1f}%)")
    return f"on {acc['cores']} such validation cores: {errors} [{acc['report']}]"


def mux_levels(fan_in: int) -> float:
    """Logic depth of a ``fan_in``:1 mux in units of 2:1 levels: ``log2(fan_in)``, not
    rounded up, because synthesis builds wide muxes from mixed 2- and 3-input gates (a
    122:1 fetch mux is 6.9 levels deep, a 41:1 one 5.4, not 7 and 6)."""
    return math.log2(fan_in)


def _bitlen(x: int) -> int:
    return int(x).bit_length()


# ----------------------------------------------------------------------------- vectorized counts
#
# Everything except K, the accumulator width and the counters depends only on the
# "shape" (mu, act width, L, pipeline) of a point, and a batch has few distinct shapes
# (a few thousand at most). `_shape_row` computes, once per shape (cached), every count
# as ``base + K * per_k`` and the stage-delay terms; a batch is then a handful of
# gathers and multiply-adds per point, with no Python loop over points.

#: Features that are (base + K * per_k) per shape; the others are per point.
_SHAPE_FEATURES = ("build_adders", "build_add_bits", "mux_data_bits", "mux_select_terms", "neg_bits",
                   "tree_adders", "tree_add_bits", "csa_bits", "reg_bits")


def _bitlen_array(x: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of non-negative integers (exact below 2**53)."""
    _, exp = np.frexp(np.asarray(x, dtype=np.float64))
    return exp  # frexp(0) gives exponent 0


def _swidth_sym(bound: np.ndarray) -> np.ndarray:
    """`signed_width(-b, b)` for arrays of ``b >= 0``."""
    return _bitlen_array(bound) + 1


@lru_cache(maxsize=None)
def _graph_counts(mu: int, act_width: int) -> tuple[int, ...]:
    """Per ``(mu, act width)``: E, key width, adders, adder bits, entry width, fetch bound, depth, table bits."""
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


@lru_cache(maxsize=None)
def _tree_counts(luts: int, bound: int, tree_cuts: int) -> tuple:
    """Per ``(L, fetch bound, registered tree levels)``: carry-propagate adder bits,
    carry-save full adders (those fused into the accumulator: their part independent of
    its width), carry-save full adders per accumulator bit, per-level output bits,
    per-level max width (`costmodel.adder_fusion`)."""
    level_bits, level_max = [], []
    for level in _tree_leaf_counts(luts):
        widths = [signed_width(-c * bound, c * bound) for c, _ in level]
        level_bits.append(sum(widths))
        level_max.append(max(widths))
    cpa_bits, csa_bits, acc_csa_per_bit = reduction_adders(luts, bound, [i < tree_cuts for i in range(len(level_bits))])
    return cpa_bits, csa_bits, acc_csa_per_bit, tuple(level_bits), tuple(level_max)


@lru_cache(maxsize=None)
def _shape_counts(mu: int, aw: int, L: int, pipe: int) -> tuple:
    """Counts of one shape: ``(base, per_k, segments, acc_csa_per_bit)``.

    ``base`` and ``per_k`` hold the `_SHAPE_FEATURES` (feature = base + K * per_k);
    ``segments`` lists the datapath segments in pipeline order as ``(delay terms, widest
    word)``, the delay terms being ``{delay key: multiplier}``; ``acc_csa_per_bit`` the carry-save
    full adders per accumulator bit of the tree fused into each accumulator's add (priced
    per point, times the accumulator's width).
    """
    E, kw, nb, build_bits, ew, bound, depth, table_bits = _graph_counts(mu, aw)
    tree_cuts = min(max(pipe - 2, 0), len(tree_levels(L)))
    tree_add_bits, csa_bits, acc_csa_per_bit, level_bits, level_max = _tree_counts(L, bound, tree_cuts)
    fw = signed_width(-bound, bound)
    pipe_base = ((L * table_bits + CONTROL_BITS) if pipe >= 1 else 0) + (CONTROL_BITS if pipe >= 2 else 0) \
        + tree_cuts * CONTROL_BITS
    pipe_k = (L * kw if pipe >= 1 else 0) + (L * fw if pipe >= 2 else 0) + sum(level_bits[:tree_cuts])
    base = (L * nb, L * build_bits, 0, 0, 0, 0, 0, 0, pipe_base)
    per_k = (0, 0, L * table_bits, L * (E + 1), L * fw, L - 1, tree_add_bits, csa_bits, pipe_k)
    segments = [({"add_base": depth}, ew if depth > 0 else 0),
                ({"mux_base": 1, "mux_per_select_bit": mux_levels(E + 1), "neg_base": 1}, fw)]
    segments += [({"tree_level": 1}, w) for w in level_max]
    return base, per_k, tuple(segments), acc_csa_per_bit


@lru_cache(maxsize=4096)
def _shape_row(mu: int, aw: int, L: int, pipe: int, delay: tuple) -> tuple:
    """`_shape_counts` flattened, plus the stage delays of the shape under ``delay``.

    Stages: a registered cut ends a stage, so segment ``i`` stands alone when
    ``pipe > i``; the segments after the last registered cut chain with the accumulator.
    A stage costs its segments' logic depths plus one carry ripple over its widest word
    (chained carries overlap, so the ripple is paid once). Returns ``base..., per_k...,
    registered (slowest stand-alone stage after the LUT build, ns, without register
    overhead), tail_base
    (ns, logic depth of the chained tail without the accumulator), tail_width,
    open_build_bits`` (the build adder bits when the table is not registered),
    ``acc_csa_per_bit`` (carry-save full adders per accumulator bit) and
    ``shared_build_bits`` (build adder bits ``opt_share`` removes when one fetcher reads the
    unregistered table), ``stage0`` (the LUT build when it stands alone, 0 if not: the
    activation buffer's read mux in front of it is added per point, `costmodel.frame`).
    """
    d = dict(delay)
    base, per_k, segments, acc_csa_per_bit = _shape_counts(mu, aw, L, pipe)
    registered, tail_base, tail_width, stage0 = 0.0, 0.0, 0, 0.0
    for i, (terms, width) in enumerate(segments):
        cost = sum(d[k] * v for k, v in terms.items())
        if pipe > i and i == 0:
            stage0 = cost + d["add_per_bit"] * width
        elif pipe > i:
            registered = max(registered, cost + d["add_per_bit"] * width)
        else:
            tail_base += cost
            tail_width = max(tail_width, width)
    open_build_bits = base[1] if pipe == 0 else 0
    shared = L * removed_build_bits(mu, aw) if pipe == 0 else 0
    return (*base, *per_k, registered, tail_base, tail_width, open_build_bits, acc_csa_per_bit, shared, stage0)


_NF = len(_SHAPE_FEATURES)
#: Columns of a `_shape_row` after ``base`` and ``per_k``: the three delay terms, the build
#: adder bits of an unregistered table, the accumulator's carry-save adders per bit, the build adder
#: bits ``opt_share`` removes with one fetcher.
_DELAY_COLS = range(2 * _NF, 2 * _NF + 3)
_OPEN_BUILD_COL = 2 * _NF + 3
_ACC_CSA_COL = 2 * _NF + 4
_SHARED_COL = 2 * _NF + 5
_STAGE0_COL = 2 * _NF + 6


#: Points per chunk of the batch path: 8192 float64 = 64 KiB per temporary, so the
#: temporaries come from (and return to) the malloc heap and stay in cache, instead of
#: being fresh page-faulted mappings for every numpy operation (3x slower at 100k points).
_CHUNK = 8192


def _chunks(size: int):
    return [slice(i, min(i + _CHUNK, size)) for i in range(0, size, _CHUNK)]


def _shapes(p: dict[str, np.ndarray], tech: Tech) -> tuple[np.ndarray, np.ndarray]:
    """``(table, index)``: one `_shape_row` per distinct shape, and each point's row."""
    mu, aw, L, pipe = p["group_size"], p["act_width"], p["luts"], p["pipeline"]
    rp, rl, ra = int(pipe.max()) + 1, int(L.max()) + 1, int(aw.max()) + 1
    code = np.empty(len(L), dtype=np.int64)
    for sl in _chunks(len(L)):
        code[sl] = ((mu[sl] * ra + aw[sl]) * rl + L[sl]) * rp + pipe[sl]
    top = (int(mu.max()) + 1) * ra * rl * rp
    if top <= 1 << 22:  # dense: O(N), no sort
        present = np.zeros(top, dtype=bool)
        present[code] = True
        uniq = np.flatnonzero(present)
        slot = np.cumsum(present) - 1
        index = slot[code]
    else:
        uniq, index = np.unique(code, return_inverse=True)
        index = index.reshape(-1)
    delay = tuple(sorted(tech.delay.items()))
    rows = []
    for u in uniq.tolist():
        u, pp = divmod(u, rp)
        u, ll = divmod(u, rl)
        mm, aa = divmod(u, ra)
        rows.append(_shape_row(mm, aa, ll, pp, delay))
    return np.array(rows, dtype=np.float64), index


def _batch_structure(p: dict[str, np.ndarray], tech: Tech | None = None) -> dict:
    """Feature counts, cycles and the per-shape table of every point of ``p``."""
    tech = tech if tech is not None else load_tech("osu018")
    table, index = _shapes(p, tech)
    K, acc = p["fetchers"], _acc_width(p)
    mu, L, n, m = p["group_size"], p["luts"], p["n"], p["m"]
    frame = _frame(p)
    rowsel = table[index]
    features = {k: rowsel[:, j] + K * rowsel[:, _NF + j] for j, k in enumerate(_SHAPE_FEATURES)}
    features["reg_bits"] = features["reg_bits"] + 2 * K * acc + 2 + frame["reg_bits"]
    features["acc_bits"] = K * acc
    features["counter_bits"] = frame["counter_bits"]
    features["mux_data_bits"] = features["mux_data_bits"] + frame["mux_data_bits"]
    features["mux_select_terms"] = features["mux_select_terms"] + frame["mux_select_terms"]
    features["const"] = np.ones(len(K))
    features["shared_table_bits"] = rowsel[:, _OPEN_BUILD_COL] * (K > 1)
    features["csa_bits"] = features["csa_bits"] + K * acc * rowsel[:, _ACC_CSA_COL]
    shared = rowsel[:, _SHARED_COL] * (K == 1)
    features["build_add_bits"] = features["build_add_bits"] - shared
    features["mux_data_bits"] = features["mux_data_bits"] + shared
    latency = p["pipeline"] + 1
    return {"features": features, "table": table, "index": index, "counters": frame["counter_bits"],
            "cycles": gemv_cycles(n, m, L * mu, K, latency), "latency": latency}


def _frame(p: dict[str, np.ndarray]) -> dict:
    """`costmodel.frame.frame_counts` of the points: command, counters, activation buffer."""
    rows_per_tile = p["group_size"] * p["luts"]
    return frame_counts(p["max_n"], p["max_m"], rows_per_tile, p["fetchers"], rows_per_tile * p["act_width"])


# ----------------------------------------------------------------------------- pricing


def _evaluate(p: dict[str, np.ndarray], tech: Tech) -> dict[str, np.ndarray]:
    """Every output of every point of ``p`` (normalized), chunk by chunk."""
    size = len(p["luts"])
    table, index = _shapes(p, tech)
    priced = _price_shapes(table, tech)
    out: dict[str, np.ndarray] = {}
    for sl in _chunks(size):
        chunk = _evaluate_chunk({k: v[sl] for k, v in p.items()}, index[sl], priced, tech)
        if not out:
            out = {k: np.empty(size, dtype=v.dtype) for k, v in chunk.items()}
        for k, v in chunk.items():
            out[k][sl] = v
    return out


def _price_shapes(table: np.ndarray, tech: Tech) -> dict:
    """Per shape: priced ``base`` and ``per_k`` columns of every part, and the delay terms."""
    parts = list(BREAKDOWN)
    nparts = len(parts)
    coef = np.zeros((2 * _NF, 4 * nparts))
    for q, costs in enumerate((tech.area, tech.energy)):
        for j, feat in enumerate(_SHAPE_FEATURES):
            col = parts.index(next(name for name, keys in BREAKDOWN.items() if feat in keys))
            coef[j, q * 2 * nparts + col] = costs[feat]
            coef[_NF + j, q * 2 * nparts + nparts + col] = costs[feat]
    priced = np.ascontiguousarray((table[:, :2 * _NF] @ coef).T)
    columns = {}
    for c, name in enumerate(parts):
        for q, quantity in enumerate(("area", "energy")):
            base, per_k = priced[q * 2 * nparts + c], priced[q * 2 * nparts + nparts + c]
            columns[quantity, name] = (base if base.any() else None, per_k if per_k.any() else None)
    delays = tuple(np.ascontiguousarray(table[:, j]) for j in _DELAY_COLS)
    extra = {}
    for key, col in (("open_build_bits", _OPEN_BUILD_COL), ("acc_csa_per_bit", _ACC_CSA_COL),
                     ("shared_build_bits", _SHARED_COL), ("stage0", _STAGE0_COL)):
        column = np.ascontiguousarray(table[:, col])
        extra[key] = column if column.any() else None
    return {"parts": columns, "delays": delays, **extra}


def _fma(acc: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``acc + a * b`` with one temporary."""
    tmp = a * b
    tmp += acc
    return tmp


def _evaluate_chunk(p: dict[str, np.ndarray], index: np.ndarray, priced: dict, tech: Tech) -> dict[str, np.ndarray]:
    K = p["fetchers"].astype(np.float64)
    acc = _acc_width(p).astype(np.float64)
    mu, L, n, m = p["group_size"], p["luts"], p["n"], p["m"]
    frame = _frame(p)
    counters = frame["counter_bits"].astype(np.float64)
    k_acc = K * acc
    # accumulators, results, flags; the frame's command, counters and read address
    fixed_regs = 2.0 * k_acc + 2.0 + (frame["reg_bits"] - frame["buffer_bits"])

    # Per part: shape cost (base + K * per_k, gathered from the small per-shape table)
    # plus the per-point terms.
    extra = {
        "build": (0.0, 0.0),
        "registers": (tech.area["reg_bits"] * fixed_regs, tech.energy["reg_bits"] * fixed_regs),
        "control": (tech.area["acc_bits"] * k_acc + tech.area["counter_bits"] * counters + tech.area["const"],
                    tech.energy["acc_bits"] * k_acc + tech.energy["counter_bits"] * counters + tech.energy["const"]),
        "buffer": buffer_cost(frame, tech),
    }
    if priced["open_build_bits"] is not None:
        shared = priced["open_build_bits"][index] * (p["fetchers"] > 1)
        extra["build"] = (tech.area["shared_table_bits"] * shared, tech.energy["shared_table_bits"] * shared)
    if priced["acc_csa_per_bit"] is not None:
        csa = k_acc * priced["acc_csa_per_bit"][index]
        extra["tree"] = (tech.area["csa_bits"] * csa, tech.energy["csa_bits"] * csa)
    if priced["shared_build_bits"] is not None:
        # opt_share: merged build adder bits become fetch-mux inputs (one fetcher only).
        moved = priced["shared_build_bits"][index] * (p["fetchers"] == 1)
        build = extra["build"]
        extra["build"] = (build[0] - tech.area["build_add_bits"] * moved, build[1] - tech.energy["build_add_bits"] * moved)
        extra["fetch"] = (tech.area["mux_data_bits"] * moved, tech.energy["mux_data_bits"] * moved)
    area_parts, energy_parts = {}, {}
    for name in BREAKDOWN:
        for q, (quantity, out) in enumerate((("area", area_parts), ("energy", energy_parts))):
            base, per_k = priced["parts"][quantity, name]
            value = extra[name][q] if name in extra else 0.0
            if base is not None:
                value = value + base[index]
            if per_k is not None:
                value = value + K * per_k[index] if np.ndim(value) == 0 else _fma(value, K, per_k[index])
            out[name] = value if np.ndim(value) else np.full(len(K), float(value))
    area = sum(area_parts.values())
    e_cycle = sum(energy_parts.values())  # pJ per clock cycle, dynamic

    d = tech.delay
    registered, tail_base, tail_width = (column[index] for column in priced["delays"])
    # the activation buffer's read mux leads into the LUT build: stage 0, or the tail (pipeline 0)
    read = buffer_read_delay(frame["buffer_words"], d)
    build = priced["stage0"][index] if priced["stage0"] is not None else 0.0
    registered = np.maximum(registered, np.where(p["pipeline"] > 0, build + read, 0.0))
    tail_base = tail_base + np.where(p["pipeline"] > 0, 0.0, read)
    tail = np.maximum(tail_width, acc)
    tail *= d["add_per_bit"]
    tail += tail_base
    tail += d["acc_base"]
    critical = np.maximum(registered, tail)
    critical += d["reg_overhead"]
    asked = p["clock_mhz"]
    unset = np.isnan(asked)
    fmax = 1000.0 / critical
    clock = fmax if unset.all() else np.where(unset, fmax, asked)
    latency = p["pipeline"] + 1
    cycles = gemv_cycles(n, m, L * mu, p["fetchers"], latency)
    out = run_metrics(area, e_cycle, tech.leakage_mw_per_um2, critical, clock, cycles, 2.0 * n * m)
    out["latency_cycles"] = latency
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
        acc = np.zeros(1, dtype=np.int64)  # derived per chunk (`_acc_width`)
    acc = np.broadcast_to(np.asarray(acc, dtype=np.int64).reshape(-1), (size,))
    arrays["accumulator_width"] = acc
    for k in MAX_PARAMS:  # the core's maxima; a one-shape core if absent
        given = params.get(k)
        arrays[k] = arrays[k[4:]] if given is None else np.broadcast_to(
            np.asarray(given).astype(np.int64, copy=False).reshape(-1), (size,))
    if size and (np.any(arrays["max_n"] < arrays["n"]) or np.any(arrays["max_m"] < arrays["m"])):
        raise ValueError("a GEMV beyond the core's maxima ('n' > 'max_n' or 'm' > 'max_m')")
    for k in ("group_size", "luts", "fetchers", "act_width", "n", "m"):
        if size and arrays[k].min() < 1:  # reductions: no temporary arrays
            raise ValueError(f"'{k}' must be >= 1 everywhere")
    if size and arrays["pipeline"].min() < 0:
        raise ValueError("'pipeline' must be >= 0 everywhere")
    return arrays


def _acc_width(p: dict[str, np.ndarray]) -> np.ndarray:
    """The accumulator widths: as given, or (<= 0) the width ``max_n`` products need.

    ``signed_width(-b, b)`` of ``b = n * 2**(act_width - 1)`` is ``bit_length(n) + act_width``.
    """
    acc = p["accumulator_width"]
    if acc.min() > 0:
        return acc
    derived = _bitlen_array(p["max_n"]) + p["act_width"]
    return derived if acc.max() <= 0 else np.where(acc <= 0, derived, acc)


def estimate_batch(params: dict[str, np.ndarray], tech: Tech | str = "osu018") -> dict[str, np.ndarray]:
    """Estimate many LUT-core design points at once.

    Parameters
    ----------
    params : dict of array-like
        ``group_size`` (mu), ``luts`` (L), ``fetchers`` (K), ``act_width`` (integer
        activation bits, 4 or 8), ``pipeline``, ``n``, ``m`` (the GEMV: cycles, energy);
        optional ``max_n``, ``max_m`` (the core's maxima: counters, activation buffer;
        ``n``, ``m`` if absent), ``clock_mhz`` (NaN or absent: run at the estimated
        fmax) and ``accumulator_width`` (<= 0 or absent: the width ``max_n`` needs).
        Scalars broadcast.
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
        "max_n": np.array([c.workload.max_n for c in configs]),
        "max_m": np.array([c.workload.max_m for c in configs]),
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
    dict with ``tech``, `OUTPUT_KEYS` as plain floats/ints, ``breakdown``:
    ``{"area_um2": {part: ...}, "energy_pj_per_cycle": {part: ...}}`` for the parts
    build, fetch, tree, registers, control, and ``accuracy`` (`accuracy`).

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
    c = config
    rows_per_tile = c.luts * c.group_size
    result["activation_buffer"] = buffer_report(
        frame_counts(c.workload.max_n, c.workload.max_m, rows_per_tile, c.fetchers, rows_per_tile * c.act.width), tech)
    result["accuracy"] = accuracy(tech, accuracy_regime(config.pipeline))
    return result
