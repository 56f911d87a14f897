"""Analytical area / energy / timing model of the integer LUT core, every weight format, vectorized.

The model counts exactly the structure `hwgen.weights.shape.LutCoreShape` describes (the
one the RTL generator `hwgen.rtl.lut_core` builds, for ternary and every other format)
and prices every count with a technology table (`costmodel.tech`). The table below is
ternary's; a format changes it through its spec (`hwgen.weights.spec.WeightSpec`): its
adder graph, its fetch unit's counts (`WeightSpec.fetch_counts`: mux inputs, select terms,
negators, select levels, iFairy's swap, the bit-planes' shift-and-add adders, counted with
the tree adders and one adder depth each on the fetch path), ``lanes`` trees and
accumulators per column (iFairy: 2), and the bit-planes' correction (one more tree over
the entry-0 values, one subtractor per column, one tree level in the accumulate stage).
The synthesis corrections below (tree fusion, ``opt_share``) were measured on ternary
cores only and apply to the formats of `SYNTH_MEASURED`:

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
shape ``(weight format, mu, act width, L, pipeline)`` is computed once per distinct shape (cached) as
``base + K * per_k``, priced once per shape, and gathered into the points; what depends
on K, the accumulator width or the workload is a few numpy operations per batch. Both go
through `_evaluate`, and `structure` counts one config straight from `LutCoreShape` so
tests can check the vectorized counts against it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from hwgen.config import LutConfig
from hwgen.datapath import tree_adder_bits, tree_bounds, tree_levels
from hwgen.formats import WEIGHT_FORMATS, ActivationFormat, signed_width
from hwgen.schedule import gemv_cycles
from hwgen.weights import weight_spec
from hwgen.weights.shape import LutCoreShape
from hwgen.weights.spec import FetchCounts

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
    "SYNTH_MEASURED",
    "bits_per_weight",
    "structure",
    "mux_levels",
    "estimate",
    "estimate_batch",
    "params_from_configs",
]

#: Control bits carried along every registered cut (valid, first, last, gemv_last).
CONTROL_BITS = 4

#: Weight formats whose cores the synthesis corrections were measured on: reduction trees
#: fused into carry-save adders (`costmodel.adder_fusion`) and the build adders ``opt_share``
#: merges into one fetcher's mux (`costmodel.opt_share`), and the validation of `accuracy`.
#: Only ternary cores were synthesized for them; the other formats keep plain two-input
#: tree adders and no merging (their check: `benchmarks/formats.py --synth`, reports/formats.md).
SYNTH_MEASURED = ("ternary",)

OUTPUT_KEYS = (
    "area_um2", "power_mw", "energy_pj_per_gemv", "energy_pj_per_op", "energy_pj_per_cycle",
    "fmax_mhz", "clock_mhz", "critical_path_ns", "cycles_per_gemv", "latency_cycles",
    "gemv_per_s", "throughput_gops", "ops_per_gemv",
)

PARAMS = ("group_size", "luts", "fetchers", "act_width", "pipeline", "n", "m")
#: Optional parameters: the core's maxima (the GEMV ``n``, ``m`` if absent).
MAX_PARAMS = ("max_n", "max_m")


def bits_per_weight(config: LutConfig) -> float:
    """Weight bits stored and streamed per weight (key bits / group size)."""
    return weight_spec(config.weights).stored_bits(config.group_size)


# ----------------------------------------------------------------------------- counts of one config


def structure(config: LutConfig) -> dict[str, float]:
    """Feature counts and timing segments of one config of any weight format, straight from
    `LutCoreShape` and the format's `hwgen.weights.spec.WeightSpec.fetch_counts`.

    This is the reference the vectorized path is tested against.
    """
    s = LutCoreShape(config)
    c, spec = config, s.spec
    L, K, P, mu = c.luts, c.fetchers, s.lanes, c.group_size
    adder_widths, table_bits = s.adder_widths, s.table_bits
    level_widths = [[signed_width(-b, b) for b in bounds] for bounds in s.level_bounds[1:]]
    fetch = spec.fetch_counts(mu, s.entries, s.entry_width, s.fetch_width, s.entry_bound, table_bits)
    measured = spec.name in SYNTH_MEASURED
    if measured:
        cpa_bits, csa_bits, acc_csa_per_bit = reduction_adders(
            L, s.fetch_bound, [s.cut(2 + i) for i in range(len(s.levels))])
        csa_bits += acc_csa_per_bit * c.accumulator_width
    else:
        cpa_bits, csa_bits = tree_adder_bits(s.levels, s.level_bounds), 0
    shared = L * removed_build_bits(mu, c.act.width) if measured and not s.cut(0) and K == 1 else 0
    tree_adders = K * P * (L - 1) + L * K * fetch.shift_adds  # shift-adds count with the tree adders
    tree_bits = K * P * cpa_bits + L * K * fetch.shift_add_bits
    corr_widths = [[signed_width(-b, b) for b in bounds] for bounds in s.correction_bounds[1:]]
    if spec.correction:  # the tree over the L entry-0 values, one subtractor per column
        diff_bound = s.level_bounds[-1][0] + s.correction_bounds[-1][0]
        tree_adders += (L - 1) + K
        tree_bits += tree_adder_bits(s.levels, s.correction_bounds) + K * signed_width(-diff_bound, diff_bound)
    reg = 0
    if s.cut(0):
        reg += L * table_bits + L * K * s.key_width + CONTROL_BITS
    if s.cut(1):
        reg += L * K * P * s.fetch_width + (L * s.entry_width if spec.correction else 0) + CONTROL_BITS
    for i, widths in enumerate(level_widths):
        if s.cut(2 + i):
            reg += K * P * sum(widths) + (sum(corr_widths[i]) if spec.correction else 0) + CONTROL_BITS
    frame = {k: int(v) for k, v in frame_counts(c.workload.max_n, c.workload.max_m, L * mu, K,
                                                 L * s.inputs * c.act.width).items()}
    reg += 2 * K * P * c.accumulator_width + 2 + frame["reg_bits"]
    features = {
        "build_adders": L * len(adder_widths),
        "build_add_bits": L * sum(adder_widths) - shared,
        "shared_table_bits": L * sum(adder_widths) if not s.cut(0) and K > 1 else 0,
        "mux_data_bits": L * K * fetch.mux_data_bits + shared + frame["mux_data_bits"],
        "mux_select_terms": L * K * fetch.mux_select_terms + frame["mux_select_terms"],
        "neg_bits": L * K * fetch.neg_bits,
        "tree_adders": tree_adders,
        "tree_add_bits": tree_bits,
        "csa_bits": K * P * csa_bits,
        "acc_bits": K * P * c.accumulator_width,
        "reg_bits": reg,
        "counter_bits": frame["counter_bits"],
        "const": 1,
    }
    segments = {
        "build_depth": s.graph.depth,
        "entry_width": s.entry_width,
        "select_bits": fetch.select_bits,
        "swap": fetch.swap,
        "shift_adds": fetch.shift_adds,
        "fetch_width": s.fetch_width,
        "level_widths": [max(w) for w in level_widths],
        "correction": spec.correction,
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


# ----------------------------------------------------------------------------- vectorized counts
#
# Everything except K, the accumulator width and the counters depends only on the
# "shape" (weight format, mu, act width, L, pipeline) of a point, and a batch has few distinct shapes
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


class _FormatCounts(NamedTuple):
    """What the shape counts need of one ``(weight format, mu, act width)``."""

    key_width: int
    adders: int
    adder_bits: int
    entry_width: int
    entry_bound: int
    fetch_bound: int
    depth: int
    table_bits: int
    inputs: int            #: real activation lanes per group (2 * mu for complex formats)
    lanes: int             #: output values per column
    weight_max_abs: int
    correction: bool
    measured: bool         #: in `SYNTH_MEASURED`
    fetch: FetchCounts


@lru_cache(maxsize=None)
def _format_counts(weights: int, mu: int, act_width: int) -> _FormatCounts:
    """Per ``(format index in WEIGHT_FORMATS, mu, act width)``: the table, key and fetch counts."""
    spec = weight_spec(WEIGHT_FORMATS[weights])
    act = ActivationFormat(f"int{act_width}", act_width, False)
    graph = spec.graph(mu)
    ranges = graph.value_ranges(act.min, act.max)
    widths = [signed_width(lo, hi) for lo, hi in ranges]
    adder_bits = sum(w for node, w in zip(graph.nodes, widths) if node.op != "in")
    entry_width = max(widths[n] for n in graph.entries)
    table_bits = sum(widths[n] for n in graph.entries)
    entry_bound = max(max(-ranges[n][0], ranges[n][1]) for n in graph.entries)
    fetch_bound = spec.fetch_bound(entry_bound)
    entries = len(graph.entries)
    fetch = spec.fetch_counts(mu, entries, entry_width, signed_width(-fetch_bound, fetch_bound), entry_bound,
                              table_bits)
    return _FormatCounts(spec.key_width(mu), graph.adders, adder_bits, entry_width, entry_bound,
                         fetch_bound, graph.depth, table_bits, spec.inputs(mu), spec.lanes, spec.weight_max_abs,
                         spec.correction, spec.name in SYNTH_MEASURED, fetch)


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
def _shape_counts(weights: int, mu: int, aw: int, L: int, pipe: int) -> tuple:
    """Counts of one shape: ``(base, per_k, segments, acc_csa_per_bit)``.

    ``base`` and ``per_k`` hold the `_SHAPE_FEATURES` (feature = base + K * per_k);
    ``segments`` lists the datapath segments in pipeline order as ``(delay terms, widest
    word)``, the delay terms being ``{delay key: multiplier}``; ``acc_csa_per_bit`` the carry-save
    full adders per accumulator bit of the tree fused into each accumulator's add (priced
    per point, times the accumulator's width). ``P`` lanes per column multiply every
    per-column count; a bit-plane correction adds its tree (``base``) and one subtractor per
    column (``per_k``); shift-adds count with the tree adders, as in `structure`.
    """
    f = _format_counts(weights, mu, aw)
    kw, nb, build_bits, ew, bound, depth, table_bits = (f.key_width, f.adders, f.adder_bits, f.entry_width,
                                                        f.fetch_bound, f.depth, f.table_bits)
    P, fetch = f.lanes, f.fetch
    levels = tree_levels(L)
    tree_cuts = min(max(pipe - 2, 0), len(levels))
    tree_add_bits, csa_bits, acc_csa_per_bit, level_bits, level_max = _tree_counts(L, bound, tree_cuts)
    if not f.measured:
        tree_add_bits, csa_bits, acc_csa_per_bit = tree_adder_bits(levels, tree_bounds(levels, L, bound)), 0, 0
    fw = signed_width(-bound, bound)
    corr_adders = corr_bits = corr_regs = corr_diff = 0
    if f.correction:
        corr_bounds = tree_bounds(levels, L, f.entry_bound)
        diff_bound = bound * L + corr_bounds[-1][0]
        corr_adders, corr_diff = L - 1, signed_width(-diff_bound, diff_bound)
        corr_bits = tree_adder_bits(levels, corr_bounds)
        corr_regs = ((L * ew) if pipe >= 2 else 0) + sum(
            signed_width(-b, b) for level in corr_bounds[1:tree_cuts + 1] for b in level)
    pipe_base = ((L * table_bits + CONTROL_BITS) if pipe >= 1 else 0) + (CONTROL_BITS if pipe >= 2 else 0) \
        + tree_cuts * CONTROL_BITS + corr_regs
    pipe_k = (L * kw if pipe >= 1 else 0) + (L * P * fw if pipe >= 2 else 0) + P * sum(level_bits[:tree_cuts])
    base = (L * nb, L * build_bits, 0, 0, 0, corr_adders, corr_bits, 0, pipe_base)
    per_k = (0, 0, L * fetch.mux_data_bits, L * fetch.mux_select_terms, L * fetch.neg_bits,
             P * (L - 1) + L * fetch.shift_adds + int(f.correction),
             P * tree_add_bits + L * fetch.shift_add_bits + corr_diff, P * csa_bits, pipe_k)
    fetch_terms = {"mux_base": 1, "mux_per_select_bit": fetch.select_bits + (1 if fetch.swap else 0), "neg_base": 1}
    if fetch.shift_adds:
        fetch_terms["add_base"] = fetch.shift_adds
    segments = [({"add_base": depth}, ew if depth > 0 else 0), (fetch_terms, fw)]
    segments += [({"tree_level": 1}, w) for w in level_max]
    return base, per_k, tuple(segments), P * acc_csa_per_bit


@lru_cache(maxsize=4096)
def _shape_row(weights: int, mu: int, aw: int, L: int, pipe: int, delay: tuple) -> tuple:
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
    activation buffer's read mux in front of it is added per point, `costmodel.frame`), then
    the format's ``lanes``, real ``inputs`` per activation, largest ``|w|`` and stored bits per weight.
    A bit-plane correction (subtract, halve) is one more tree level in the accumulate stage.
    """
    d = dict(delay)
    base, per_k, segments, acc_csa_per_bit = _shape_counts(weights, mu, aw, L, pipe)
    f = _format_counts(weights, mu, aw)
    registered, tail_width, stage0 = 0.0, 0, 0.0
    tail_base = d["tree_level"] if f.correction else 0.0
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
    shared = L * removed_build_bits(mu, aw) if pipe == 0 and f.measured else 0
    return (*base, *per_k, registered, tail_base, tail_width, open_build_bits, acc_csa_per_bit, shared, stage0,
            f.lanes, f.inputs // mu, f.weight_max_abs, f.key_width / mu)


_NF = len(_SHAPE_FEATURES)
#: Columns of a `_shape_row` after ``base`` and ``per_k``: the three delay terms, the build
#: adder bits of an unregistered table, the accumulator's carry-save adders per bit, the build adder
#: bits ``opt_share`` removes with one fetcher.
_DELAY_COLS = range(2 * _NF, 2 * _NF + 3)
_OPEN_BUILD_COL = 2 * _NF + 3
_ACC_CSA_COL = 2 * _NF + 4
_SHARED_COL = 2 * _NF + 5
_STAGE0_COL = 2 * _NF + 6
#: The format's columns: lanes per column, real inputs per activation, largest |w|, stored bits per weight.
_LANES_COL, _INPUTS_COL, _WMAX_COL, _BITS_COL = range(2 * _NF + 7, 2 * _NF + 11)


#: Points per chunk of the batch path: 8192 float64 = 64 KiB per temporary, so the
#: temporaries come from (and return to) the malloc heap and stay in cache, instead of
#: being fresh page-faulted mappings for every numpy operation (3x slower at 100k points).
_CHUNK = 8192


def _chunks(size: int):
    return [slice(i, min(i + _CHUNK, size)) for i in range(0, size, _CHUNK)]


def _shapes(p: dict[str, np.ndarray], tech: Tech) -> tuple[np.ndarray, np.ndarray]:
    """``(table, index)``: one `_shape_row` per distinct shape, and each point's row."""
    w, mu, aw, L, pipe = p["weights"], p["group_size"], p["act_width"], p["luts"], p["pipeline"]
    rp, rl, ra, rm = int(pipe.max()) + 1, int(L.max()) + 1, int(aw.max()) + 1, int(mu.max()) + 1
    code = np.empty(len(L), dtype=np.int64)
    for sl in _chunks(len(L)):
        code[sl] = (((w[sl] * rm + mu[sl]) * ra + aw[sl]) * rl + L[sl]) * rp + pipe[sl]
    top = (int(w.max()) + 1) * rm * ra * rl * rp
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
        u, aa = divmod(u, ra)
        ww, mm = divmod(u, rm)
        rows.append(_shape_row(ww, mm, aa, ll, pp, delay))
    return np.array(rows, dtype=np.float64), index


def _batch_structure(p: dict[str, np.ndarray], tech: Tech | None = None) -> dict:
    """Feature counts, cycles and the per-shape table of every point of ``p``."""
    tech = tech if tech is not None else load_tech("osu018")
    table, index = _shapes(p, tech)
    rowsel = table[index]
    K, acc = p["fetchers"], _acc_width(p, rowsel[:, _WMAX_COL])
    mu, L, n, m = p["group_size"], p["luts"], p["n"], p["m"]
    frame = _frame(p, rowsel[:, _INPUTS_COL])
    features = {k: rowsel[:, j] + K * rowsel[:, _NF + j] for j, k in enumerate(_SHAPE_FEATURES)}
    k_acc = K * rowsel[:, _LANES_COL] * acc
    features["reg_bits"] = features["reg_bits"] + 2 * k_acc + 2 + frame["reg_bits"]
    features["acc_bits"] = k_acc
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


def _frame(p: dict[str, np.ndarray], inputs: np.ndarray) -> dict:
    """`costmodel.frame.frame_counts` of the points: command, counters, activation buffer
    (``inputs`` real lanes per activation: 2 for complex formats)."""
    rows_per_tile = p["group_size"] * p["luts"]
    return frame_counts(p["max_n"], p["max_m"], rows_per_tile, p["fetchers"],
                        rows_per_tile * p["act_width"] * inputs.astype(np.int64))


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
    extra = {key: np.ascontiguousarray(table[:, col]) for key, col in
             (("lanes", _LANES_COL), ("inputs", _INPUTS_COL), ("wmax", _WMAX_COL), ("bits", _BITS_COL))}
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
    acc = _acc_width(p, priced["wmax"][index]).astype(np.float64)
    mu, L, n, m = p["group_size"], p["luts"], p["n"], p["m"]
    frame = _frame(p, priced["inputs"][index])
    counters = frame["counter_bits"].astype(np.float64)
    k_acc = K * acc
    lane_acc = k_acc * priced["lanes"][index]  # every lane of every column has its accumulator
    # accumulators, results, flags; the frame's command, counters and read address
    fixed_regs = 2.0 * lane_acc + 2.0 + (frame["reg_bits"] - frame["buffer_bits"])

    # Per part: shape cost (base + K * per_k, gathered from the small per-shape table)
    # plus the per-point terms.
    extra = {
        "build": (0.0, 0.0),
        "registers": (tech.area["reg_bits"] * fixed_regs, tech.energy["reg_bits"] * fixed_regs),
        "control": (tech.area["acc_bits"] * lane_acc + tech.area["counter_bits"] * counters + tech.area["const"],
                    tech.energy["acc_bits"] * lane_acc + tech.energy["counter_bits"] * counters + tech.energy["const"]),
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
    out["bits_per_weight"] = priced["bits"][index]
    for name in BREAKDOWN:
        out[f"area_{name}_um2"] = area_parts[name]
        out[f"energy_{name}_pj_per_cycle"] = energy_parts[name]
    return out


def _normalize(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    missing = [k for k in PARAMS if k not in params]
    if missing:
        raise ValueError(f"estimate_batch needs arrays {', '.join(missing)}")
    arrays = {k: np.asarray(params[k]).astype(np.int64, copy=False).reshape(-1) for k in PARAMS}
    size = max([a.size for a in arrays.values()] + [np.asarray(params.get("weights", "ternary")).size])
    arrays = {k: np.broadcast_to(a, (size,)) for k, a in arrays.items()}
    clock = np.asarray(params.get("clock_mhz", np.nan), dtype=np.float64).reshape(-1)
    arrays["clock_mhz"] = np.broadcast_to(clock, (size,))
    acc = params.get("accumulator_width")
    if acc is None:
        acc = np.zeros(1, dtype=np.int64)  # derived per chunk (`_acc_width`)
    acc = np.broadcast_to(np.asarray(acc, dtype=np.int64).reshape(-1), (size,))
    arrays["accumulator_width"] = acc
    arrays["weights"] = _format_indices(params.get("weights", "ternary"), size, arrays["group_size"])
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


def _format_indices(weights, size: int, group_size: np.ndarray) -> np.ndarray:
    """Weight format names -> indices in `WEIGHT_FORMATS` (broadcast to ``size``); every
    point's group size must be one its format allows."""
    names = np.asarray(weights).reshape(-1)
    uniq, inverse = np.unique(names, return_inverse=True)
    unknown = [str(w) for w in uniq if w not in WEIGHT_FORMATS]
    if unknown:
        raise ValueError(f"'weights' must be one of {', '.join(WEIGHT_FORMATS)}, not {unknown[0]!r}")
    index = np.broadcast_to(np.array([WEIGHT_FORMATS.index(str(w)) for w in uniq], dtype=np.int64)[inverse],
                            (size,))
    for i in np.unique(index).tolist():
        allowed = weight_spec(WEIGHT_FORMATS[i]).group_sizes
        bad = group_size[(index == i) & ~np.isin(group_size, allowed)]
        if bad.size:
            raise ValueError(f"'group_size' {int(bad[0])} is not allowed for {WEIGHT_FORMATS[i]} weights "
                             f"({', '.join(map(str, allowed))})")
    return index


def _acc_width(p: dict[str, np.ndarray], wmax: np.ndarray) -> np.ndarray:
    """The accumulator widths: as given, or (<= 0) the width ``max_n`` products need
    (`hwgen.config.required_accumulator_width`; ``wmax`` the format's largest |w|).

    ``signed_width(-b, b)`` of ``b = n * w * 2**(act_width - 1)`` is ``bit_length(n * w) + act_width``.
    """
    acc = p["accumulator_width"]
    if acc.min() > 0:
        return acc
    derived = _bitlen_array(p["max_n"] * wmax) + p["act_width"]
    return derived if acc.max() <= 0 else np.where(acc <= 0, derived, acc)


def estimate_batch(params: dict[str, np.ndarray], tech: Tech | str = "osu018") -> dict[str, np.ndarray]:
    """Estimate many LUT-core design points at once.

    Parameters
    ----------
    params : dict of array-like
        ``group_size`` (mu), ``luts`` (L), ``fetchers`` (K), ``act_width`` (integer
        activation bits, 4 or 8), ``pipeline``, ``n``, ``m`` (the GEMV: cycles, energy);
        optional ``weights`` (format names, `hwgen.formats.WEIGHT_FORMATS`; ternary if
        absent), ``max_n``, ``max_m`` (the core's maxima: counters, activation buffer;
        ``n``, ``m`` if absent), ``clock_mhz`` (NaN or absent: run at the estimated
        fmax) and ``accumulator_width`` (<= 0 or absent: the width ``max_n`` needs).
        Scalars broadcast.
    tech : Tech or str
        Technology table or its name (`costmodel.tech.load_tech`).

    Returns
    -------
    dict of numpy arrays, one value per point: `OUTPUT_KEYS`, ``bits_per_weight``, and
    ``area_<part>_um2`` and ``energy_<part>_pj_per_cycle`` for every part of `BREAKDOWN`.
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
        "weights": np.array([c.weights for c in configs]),
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
    build, fetch, tree, registers, control, ``weights``, ``bits_per_weight``,
    ``energy_pj_per_weight`` (per GEMV / (N*M)), ``activation_buffer`` and, for the formats
    in `SYNTH_MEASURED`, ``accuracy`` (`accuracy`).

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
    result["weights"] = c.weights
    result["bits_per_weight"] = float(out["bits_per_weight"][0])
    result["energy_pj_per_weight"] = result["energy_pj_per_gemv"] / (c.workload.n * c.workload.m)
    rows_per_tile = c.luts * c.group_size
    inputs = LutCoreShape(c).inputs // c.group_size
    result["activation_buffer"] = buffer_report(frame_counts(
        c.workload.max_n, c.workload.max_m, rows_per_tile, c.fetchers, rows_per_tile * inputs * c.act.width), tech)
    if c.weights in SYNTH_MEASURED:
        result["accuracy"] = accuracy(tech, accuracy_regime(config.pipeline))
    return result
