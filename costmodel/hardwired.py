"""Cost model of hardwired-neuron arrays: area, energy per token, throughput.

Per design (`estimate_hardwired`)
---------------------------------
The adder graph is built (cheap: numpy, ~2 M weights/s) and priced by counts:

``area = a_add * effective_adder_bits + a_neg * negation_bits + a_reg * register_bits
+ a_acc * accumulator_bits + a_const``

``effective_adder_bits`` is the sum of adder widths less the low bits below an
operand's shift (wires). The osu018 coefficients in `HW_OSU018` come from cell
areas and one synthesized layer, and are checked against Yosys + OpenSTA runs of
small generated layers, a fitted and a held-out set (`benchmarks/hardwired_synth.py`,
results in ``reports/hardwired.md``); `calibrate` refits them (non-negative least
squares on relative error). All-pairs arrays, whose adders synthesis keeps whole, have
their own adder coefficient (`HW_ALL_PAIRS_OSU018`), fitted and held out the same way.
Synthesis re-shares identical sub-sums of an unshared (``sharing: false``) array, so the
model overestimates those. Other nodes scale each coefficient by the ratio of the
matching coefficient of `costmodel.tech` tables to osu018 (adder bits by
``tree_add_bits``, registers by ``reg_bits``, accumulators by ``acc_bits``).

Energy per cycle reuses `costmodel.tech`'s per-bit, per-cycle energies, fitted on
VCD-annotated LUT cores under random full-throughput data (``tree_add_bits`` for
adder bits, ``reg_bits`` for registers, ``acc_bits`` for accumulators): the same
kind of ripple adders and flops switching on random activations. Hardwired-Neuron
fabrics, whose counts are carry-save inputs rather than adder bits, have their own
osu018 energies fitted the same way on synthesized fabrics (`HN_ENERGY_OSU018`), scaled
to other nodes by the table's ratio. Critical path per
pipeline stage: ``d_reg + d_level * levels + d_bit * widest adder`` (osu018, set by
hand from the same runs, within ~25% of OpenSTA; scaled by the tech table's
``add_per_bit`` ratio).

Mask-programmed density (Metal-Embedding-like)
----------------------------------------------
`metal_embedding_area` prices weights written in via/metal topology over a fixed
compute fabric; every assumption is a named argument with its default printed
next to the numbers in the report.

Whole models (`project_model`)
------------------------------
`MODEL_PRESETS` holds BitNet b1.58 2B4T and a gpt-oss-120B-like shape; per layer
matrix the adders per weight come from a generated BitNet-style sample of the
same column count (rows extrapolated, `sample_rates`), then priced as above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from hwgen.checkpoint import STORED_BITS
from hwgen.errors import ConfigError
from hwgen.formats import ACTIVATIONS
from hwgen.hardwired.config import HardwiredConfig, digit_positions, generate_weights, load_weights, parse_hardwired
from hwgen.hardwired.graph import build_graph
from hwgen.hardwired.hn import Fabric, csd_terms, fabric_counts, fabric_of, tree_plan
from hwgen.hardwired.rtl import design_stats, kept_adders, output_width, ports_info

from .memory import DEFAULT_MEMORY, MEMORIES
from .pricing import linear, run_metrics
from .tech import load_tech

__all__ = ["HW_OSU018", "HW_ALL_PAIRS_OSU018", "HN_OSU018", "HN_ENERGY_OSU018", "HW_DELAY_OSU018", "features", "estimate_hardwired",
           "estimate_hn", "hn_features", "hn_stage", "hn_layer_cost", "choose_architecture", "calibrate",
           "metal_embedding_area", "MODEL_PRESETS", "SAMPLE_COLUMNS", "SAMPLE_ROWS", "STAGE_LEVELS", "sample_rates",
           "project_model", "HNLPU"]

#: um^2 per unit at osu018: a register bit is the DFFPOSX1 cell (96), an adder bit and a
#: negation bit the logic per effective adder bit of the first synthesized layer (141), an
#: accumulator bit its adder, mux and flop (250). `calibrate` refits them from runs; the
#: fitted and held-out errors of these values are in reports/hardwired.md.
HW_OSU018 = {"add_bits": 141.0, "neg_bits": 141.0, "reg_bits": 96.0, "acc_bits": 250.0, "const": 0.0}
#: All-pairs arrays (`cse: all-pairs`) keep each adder whole in synthesis, so an adder bit is
#: priced alone (no carry-save merging across adders): the NNLS fit of
#: `benchmarks.hardwired_synth.ALL_PAIRS_CALIBRATION` (the other coefficients as `HW_OSU018`);
#: the held-out error is in reports/hardwired.md. The adder bits counted are signed widths, one
#: more than a never-negative (bit-serial) sum is emitted with; the fit absorbs that.
HW_ALL_PAIRS_OSU018 = {**HW_OSU018, "add_bits": 161.9}
#: ns: register overhead, per adder level, per bit of the widest adder of a stage (osu018 fit).
HW_DELAY_OSU018 = {"reg": 0.5, "level": 0.4, "bit": 0.2}
#: um^2 per unit at osu018 for Hardwired-Neuron fabrics (`hn_features`): bit-serial region input
#: bits, parallel region input bits, parallel sign-extended slots, carry-propagate adder bits,
#: registers. The NNLS fit of benchmarks/hn_synth.py on its calibration list (21 fabrics
#: synthesized alone); its held-out error is in BENCHMARKS.md.
HN_OSU018 = {"pop_bits": 198.6, "leaf_bits": 151.6, "sign_words": 373.4, "add_bits": 36.5, "reg_bits": 149.2}
#: pJ per unit per cycle at osu018 for the same counts: the NNLS fit of benchmarks/hn_synth.py on
#: the same fabrics' OpenSTA dynamic power under random full-throughput activations (a VCD on every
#: input, as the tech tables' per-bit energies were fitted); its held-out error is in BENCHMARKS.md.
HN_ENERGY_OSU018 = {"pop_bits": 0.3335, "leaf_bits": 0.2821, "sign_words": 0.5884, "add_bits": 0.0757,
                    "reg_bits": 0.3831}
#: which `costmodel.tech` coefficient scales (area) or prices (energy) each feature.
_TECH_KEY = {"add_bits": "tree_add_bits", "neg_bits": "neg_bits", "reg_bits": "reg_bits",
             "acc_bits": "acc_bits", "const": "const", "pop_bits": "tree_add_bits", "leaf_bits": "tree_add_bits",
             "sign_words": "tree_add_bits"}


def features(stats: dict) -> dict[str, float]:
    """The counts the model prices, from `hwgen.hardwired.rtl.design_stats`."""
    r = stats["register_bits"]
    return {
        "add_bits": float(stats["effective_adder_bits"]),
        "neg_bits": float(stats["negation_bits"]),
        "reg_bits": float(r["input"] + r["cut"] + r["output"] + r["control"]),
        "acc_bits": float(r["accumulator"]),
        "const": 1.0,
    }


def _scale(tech_name: str, coefficients: dict[str, float] = HW_OSU018) -> tuple[dict[str, float], float]:
    """Area coefficients (osu018 ``coefficients``) and delay factor of ``tech_name`` relative to osu018."""
    tech, base = load_tech(tech_name), load_tech("osu018")
    area = {k: v * (tech.area[_TECH_KEY[k]] / base.area[_TECH_KEY[k]] if base.area[_TECH_KEY[k]] else 1.0)
            for k, v in coefficients.items()}
    return area, tech.delay["add_per_bit"] / base.delay["add_per_bit"]


def _stage_delay_ns(levels: int, width: int, dfac: float) -> float:
    d = HW_DELAY_OSU018
    return dfac * (d["reg"] + d["level"] * levels + d["bit"] * width)


def _energy(tech_name: str, energy: dict[str, float] | None) -> dict[str, float]:
    """pJ per count per cycle: the tech table's per-bit energies, or osu018 ``energy`` scaled by the
    table's ratio to osu018 for the matching coefficient."""
    tech, base = load_tech(tech_name), load_tech("osu018")
    if energy is None:
        return {k: tech.energy[t] for k, t in _TECH_KEY.items()}
    return {k: v * (tech.energy[_TECH_KEY[k]] / base.energy[_TECH_KEY[k]] if base.energy[_TECH_KEY[k]] else 1.0)
            for k, v in energy.items()}


def price(feat: dict[str, float], stage_levels, stage_widths, cycles: int, n: int, m: int,
          tech_name: str = "osu018", clock_mhz: float | None = None,
          coefficients: dict[str, float] = HW_OSU018, energy: dict[str, float] | None = None) -> dict:
    """Area, power, energy and speed of a design with counts ``feat`` (osu018 area ``coefficients``;
    osu018 ``energy`` per count and cycle, else the tech table's per-bit energies)."""
    tech = load_tech(tech_name)
    area_c, dfac = _scale(tech_name, coefficients)
    area = linear(feat, area_c)
    energy_c = _energy(tech_name, energy)
    e_cycle = linear({k: v for k, v in feat.items() if k != "const"}, energy_c)
    crit = max(_stage_delay_ns(l, w, dfac) for l, w in zip(stage_levels, stage_widths))
    return {"tech": tech.name, **run_metrics(area, e_cycle, tech.leakage_mw_per_um2, crit, clock_mhz, cycles, 2.0 * n * m)}


def estimate_hardwired(config: HardwiredConfig, tech_name: str = "osu018", clock_mhz: float | None = None,
                       weights: np.ndarray | None = None) -> dict:
    """Cost-model estimate of one hardwired design (keys as the LUT estimate where they apply).

    Returns ``area_um2, power_mw, energy_pj_per_gemv, energy_pj_per_op, fmax_mhz,
    clock_mhz, critical_path_ns, cycles_per_gemv, latency_cycles, gemv_per_s,
    throughput_gops`` plus ``adders_per_weight``, ``naive_adders_per_weight``,
    ``sharing_factor`` and ``features``. One GEMV is one token through this layer.
    """
    if config.architecture == "hn":
        return estimate_hn(config, tech_name, clock_mhz, weights)
    w = load_weights(config) if weights is None else weights
    lo, hi = (0, 1) if config.bit_serial else (config.act.min, config.act.max)
    graph = build_graph(w, config.positions, lo, hi, sharing=config.sharing, cse=config.cse)
    wy = output_width(w, config.act)
    stats = design_stats(config, w, graph, wy)
    feat = features(stats)
    wa = config.act.width
    cycles = wa if config.bit_serial else 1
    widths = [max(s, wy) if i == len(stats["stage_levels"]) - 1 else s
              for i, s in enumerate(stats["stage_max_width"])]
    out = price(feat, stats["stage_levels"], widths, cycles, config.workload.n, config.workload.m,
                tech_name, clock_mhz, coefficients=HW_ALL_PAIRS_OSU018 if kept_adders(config) else HW_OSU018)
    out["latency_cycles"] = (wa + config.pipeline + 1) if config.bit_serial else config.pipeline + 2
    out.update({k: stats[k] for k in ("adders_per_weight", "naive_adders_per_weight", "sharing_factor")})
    out["features"] = feat
    return out


def hn_features(fabric: Fabric, n_inputs: int) -> dict[str, float]:
    """The counts the model prices for a Hardwired-Neuron fabric (`hwgen.hardwired.hn.fabric_counts`).

    Region inputs: one bit per bit-serial slot (a popcount's input, ``pop_bits``), the
    activation's bits per parallel slot (``leaf_bits``) plus its sign extension across the
    value's carry-save adder, one ``sign_words`` per slot (synthesis shares the repeated
    sign bits, so the cost is per word, not per extended bit); the carry-propagate adders
    (``add_bits``: each value's difference, CSD terms, final tree, serial accumulator);
    registers: the input register or shift register, accumulators' state, outputs, control.
    """
    c = fabric_counts(fabric)
    wa = fabric.act.width
    control = (max(1, wa.bit_length()) + 1) if fabric.serial else 2
    inputs = float(c["region_input_bits"])
    return {
        "pop_bits": inputs if fabric.serial else 0.0,
        "leaf_bits": 0.0 if fabric.serial else inputs,
        "sign_words": float(c["signed_slots"]),
        "add_bits": float(c["diff_bits"] + c["mult_add_bits"] + c["tree_add_bits"] + c["acc_bits"]),
        "reg_bits": float(n_inputs * wa + c["acc_reg_bits"] + c["output_reg_bits"] + control),
    }


def hn_stage(fabric: Fabric) -> tuple[int, int]:
    """``(adder levels, widest adder)`` of the one combinational stage: region tree, difference,
    multiplier, final tree (and the serial accumulator's adder)."""
    def depth(leaves: int) -> int:
        return len({lv for lv, *_ in tree_plan([1] * leaves)})

    region = depth(max(fabric.capacities))
    mult = max(depth(len(csd_terms(m))) for m in fabric.magnitudes)
    final = depth(len(fabric.magnitudes))
    levels = region + 1 + mult + final + (1 if fabric.serial else 0)
    return levels, fabric.term_width + (1 if fabric.serial else 0)


def estimate_hn(config: HardwiredConfig, tech_name: str = "osu018", clock_mhz: float | None = None,
                weights: np.ndarray | None = None) -> dict:
    """Cost-model estimate of a Hardwired-Neuron array (`architecture: hn`), keys as `estimate_hardwired`.

    The fabric is weight-independent, so the price depends on the matrix only through
    the region capacity it needs (``region_capacity`` or the fullest region).
    """
    w = load_weights(config) if weights is None else weights
    fabric = fabric_of(config, w)
    feat = hn_features(fabric, config.workload.n)
    levels, width = hn_stage(fabric)
    out = price(feat, [levels], [width], fabric.initiation_interval, config.workload.n, config.workload.m,
                tech_name, clock_mhz, coefficients=HN_OSU018, energy=HN_ENERGY_OSU018)
    out["latency_cycles"] = ports_info(config, fabric.output_width)["latency_cycles"]
    out["um2_per_weight"] = out["area_um2"] / (config.workload.n * config.workload.m)
    out["region_capacity"] = list(fabric.capacities)
    out["features"] = feat
    return out


def hn_layer_cost(n: int, m: int, fmt: str, act: str = "int8", tech_name: str = "n5", clock_mhz: float | None = None,
                  region_slack: float = 1.25, scale_span: int = 4, sample_neurons: int = 64, seed: int = 1) -> dict:
    """Area, energy per GEMV and speed of one ``(n, m)`` bit-serial HN array of format ``fmt``.

    The fabric is sized on a seeded ``(n, sample_neurons)`` sample quantized as released
    checkpoints are (`hwgen.hardwired.config.generate_weights`): per value, its fullest
    region times ``region_slack``. Neuron logic scales with ``m``; the input shift
    register (``n`` x activation bits) is counted once.
    """
    raw = {"kind": "hardwired", "architecture": "hn", "weights": fmt, "activation": act,
           "workload": {"n": n, "m": sample_neurons}, "region_slack": region_slack, "seed": seed}
    if fmt == "mxfp4":
        raw["scale_span"] = scale_span
    config = parse_hardwired(raw)
    fabric = fabric_of(config, load_weights(config))
    levels, width = hn_stage(fabric)
    cycles = fabric.initiation_interval
    neuron = price({k: v / sample_neurons for k, v in hn_features(fabric, 0).items()}, [levels], [width], cycles,
                   n, 1, tech_name, clock_mhz, coefficients=HN_OSU018, energy=HN_ENERGY_OSU018)
    inputs = price({"reg_bits": float(n * config.act.width)}, [1], [1], cycles, n, m, tech_name, clock_mhz,
                   coefficients=HN_OSU018, energy=HN_ENERGY_OSU018)
    return {"area_um2": neuron["area_um2"] * m + inputs["area_um2"],
            "energy_pj_per_gemv": neuron["energy_pj_per_gemv"] * m + inputs["energy_pj_per_gemv"],
            "critical_path_ns": neuron["critical_path_ns"], "cycles_per_gemv": cycles,
            "capacities": fabric.capacities, "magnitudes": fabric.magnitudes}


def choose_architecture(config: HardwiredConfig, tech_name: str = "osu018", weights: np.ndarray | None = None
                        ) -> dict:
    """Price one matrix both ways and say which architecture is cheaper in area, and why.

    Each architecture is priced as the design has it, else with its defaults: an adder
    graph parallel (one GEMV per cycle), an HN bit-serial as HNLPU builds it, its fabric
    sized from this matrix (`region_capacity`, or the fullest region per value times
    `region_slack`).
    The value histogram decides: an HN pays for every slot of every region, the adder
    graph for the signed digits left after sharing.
    """
    w = load_weights(config) if weights is None else weights
    own_hn = config.architecture == "hn"
    ag = replace(config, architecture="adder-graph", bit_serial=False) if own_hn else config
    hn = config if own_hn else replace(config, architecture="hn", bit_serial=True, pipeline=0)
    a, h = estimate_hardwired(ag, tech_name, weights=w), estimate_hn(hn, tech_name, weights=w)
    fabric = fabric_of(hn, w)
    nz = int(np.count_nonzero(w))
    fill = nz / max(1, fabric.slots)
    best = "hn" if h["area_um2"] < a["area_um2"] else "adder-graph"
    why = (f"{len(np.unique(np.abs(w[w != 0])))} distinct non-zero magnitudes, {nz / w.size:.0%} non-zero; HN slots "
           f"{fabric.slots} ({fill:.0%} wired), {h['area_um2'] / w.size:.3g} um2/weight, "
           f"{h['cycles_per_gemv']} cycles/GEMV; adder graph {a['adders_per_weight']:.2f} adders/weight after "
           f"sharing, {a['area_um2'] / w.size:.3g} um2/weight, {a['cycles_per_gemv']} cycles/GEMV; chosen by area")
    return {"choice": best, "reason": why, "adder_graph_area_um2": a["area_um2"], "hn_area_um2": h["area_um2"],
            "adder_graph_energy_pj_per_gemv": a["energy_pj_per_gemv"], "hn_energy_pj_per_gemv": h["energy_pj_per_gemv"]}


def calibrate(runs: list[tuple[dict, float]], keys=("add_bits", "reg_bits", "acc_bits"),
              fixed: dict[str, float] | None = None) -> dict[str, float]:
    """Fit area coefficients ``keys`` to ``(features, measured_area)`` runs (NNLS on relative
    error), the other features priced at ``fixed`` coefficients if given."""
    from scipy.optimize import nnls

    fixed = fixed or {}
    a = np.array([[f[k] / area for k in keys] for f, area in runs])
    b = np.array([1.0 - sum(c * f[k] for k, c in fixed.items() if k not in keys) / area for f, area in runs])
    coef, _ = nnls(a, b)
    return dict(zip(keys, coef.tolist()))


# ----------------------------------------------------------------------------
# Mask-programmed (Metal-Embedding-like) density


def metal_embedding_area(weights: float, bits: int, logic_um2_per_weight: float, metal_pitch_nm: float = 40.0,
                         via_layers: int = 2, fabric_share: float = 1.0 / 15.0) -> dict:
    """Area of weights encoded in via/metal topology over a fixed adder fabric.

    Assumptions (arguments): each weight selects one of ``2**bits`` (ternary: 3)
    pre-routed signal tracks through vias; a crosspoint costs ``choices`` tracks x
    one ``metal_pitch_nm`` pitch, spread over ``via_layers`` routing layers; the
    compute fabric under the metal is shared so that logic per weight is
    ``fabric_share`` of the standard-cell hardwired array's (HNLPU's reported 15x
    density gives the default 1/15). Area is the larger of wiring and logic.
    """
    choices = 3 if bits <= 1 else 2 ** bits
    wire_um2 = choices * (metal_pitch_nm * 1e-3) ** 2 / via_layers
    logic_um2 = logic_um2_per_weight * fabric_share
    per_weight = max(wire_um2, logic_um2)
    return {"um2_per_weight": per_weight, "wire_um2_per_weight": wire_um2, "logic_um2_per_weight": logic_um2,
            "area_mm2": weights * per_weight * 1e-6, "limited_by": "wiring" if wire_um2 > logic_um2 else "logic"}


# ----------------------------------------------------------------------------
# Whole-model projection


@dataclass(frozen=True)
class Matrix:
    name: str
    n: int
    m: int
    weights: str
    count: int  # instances in the model
    active: float  # fraction of instances that switch per token (MoE routing)
    streamed: bool = False  # not hardwired: read from memory every token by a dense unit (the LM heads)


@dataclass(frozen=True)
class ModelPreset:
    name: str
    layers: int
    matrices: tuple[Matrix, ...]
    kv_dim: int  # K (or V) values per token per layer
    full_attention_layers: int
    window: int  # sliding window of the other layers (0 = none)
    note: str


def _bitnet() -> ModelPreset:
    L, h, f, kv = 30, 2560, 6912, 640
    mats = (Matrix("q/o proj", h, h, "ternary", 2 * L, 1.0), Matrix("k/v proj", h, kv, "ternary", 2 * L, 1.0),
            Matrix("gate/up proj", h, f, "ternary", 2 * L, 1.0), Matrix("down proj", f, h, "ternary", L, 1.0),
            Matrix("lm head (bf16, streamed)", h, 128256, "bf16", 1, 1.0, streamed=True))
    return ModelPreset("BitNet b1.58 2B4T", L, mats, kv, L, 0,
                       "30 layers, d=2560, FFN 6912, GQA 20/5 heads x 128; ternary linears hardwired; the LM head "
                       "(tied bf16 embedding) streamed from memory to a dense unit")


def _gpt_oss() -> ModelPreset:
    L, h, e, ff = 36, 2880, 128, 2880
    mats = (Matrix("q proj (int8)", h, 4096, "int8", L, 1.0), Matrix("k/v proj (int8)", h, 512, "int8", 2 * L, 1.0),
            Matrix("o proj (int8)", 4096, h, "int8", L, 1.0), Matrix("router (int8)", h, e, "int8", L, 1.0),
            Matrix("expert gate/up (int4)", h, ff, "int4", 2 * e * L, 4 / e),
            Matrix("expert down (int4)", ff, h, "int4", e * L, 4 / e),
            Matrix("unembedding (bf16, streamed)", h, 201088, "bf16", 1, 1.0, streamed=True))
    return ModelPreset("gpt-oss-120B-like", L, mats, 512, L // 2, 128,
                       "36 layers, d=2880, 128 experts top-4 (FFN 2880), 64 q / 8 kv heads x 64, alternating "
                       "full / 128-token window attention; experts int4 (MXFP4-like), the rest int8; the bf16 "
                       "unembedding streamed from memory to a dense unit")


MODEL_PRESETS = {"bitnet-2b4t": _bitnet(), "gpt-oss-120b": _gpt_oss()}

#: HNLPU's published gpt-oss 120B figures (5 nm).
HNLPU = {"tokens_per_s": 249_960, "tokens_per_j": 36, "area_mm2": 13_232, "nre_musd": 184}


#: Columns of the weight sample `sample_rates` builds: sharing is measured on at most this many.
SAMPLE_COLUMNS = 2880
#: Rows of the generated sample adders per weight are measured on (`sample_rates`).
SAMPLE_ROWS = 256
#: Adder levels per pipeline stage of a whole-model array (a register cut every 3 levels).
STAGE_LEVELS = 3


def sample_rates(m: int, fmt: str, act: str = "int8", sample_n: int = SAMPLE_ROWS, seed: int = 0,
                 sample_m: int = SAMPLE_COLUMNS) -> dict[str, float]:
    """Adders, adder bits and negation bits per weight of an ``(N, m)`` BitNet-style layer.

    A ``(sample_n, min(m, sample_m))`` sample is built; sharing works across
    columns, so columns beyond ``sample_m`` are assumed to share like the sample.
    Rows beyond ``sample_n`` add one combining adder per column per extra
    ``sample_n`` rows, of about the output width; `project_model` adds that.
    """
    ms = min(m, sample_m)
    w = generate_weights(fmt, sample_n, ms, seed)
    a = ACTIVATIONS[act]
    g = build_graph(w, digit_positions(fmt), a.min, a.max)
    eff = g.width[g.n_inputs:] - np.maximum(g.lshift, g.rshift)
    return {"adders": (g.n_adders + g.negations) / w.size, "add_bits": float(eff.sum()) / w.size,
            "out_width": float(output_width(w, a)), "naive": g.stats(w, digit_positions(fmt))["naive_adders_per_weight"]}


def layer_cost(n: int, m: int, fmt: str, act: str, tech_name: str, rates: dict, stage_levels: int = STAGE_LEVELS,
               sample_n: int = SAMPLE_ROWS) -> dict:
    """Area, energy per GEMV and speed of one ``(n, m)`` hardwired array.

    ``rates`` are the `sample_rates` of the layer's columns: adders per weight measured on
    a ``sample_n``-row sample, plus one combining adder (of the output width) per column
    for every further ``sample_n`` rows; a register cut every ``stage_levels`` adder levels.
    """
    tech = load_tech(tech_name)
    area_c, dfac = _scale(tech_name)
    blocks = max(1, math.ceil(n / sample_n))
    combine = (blocks - 1) / n  # extra combining adders per weight
    bits_per_w = rates["add_bits"] + combine * rates["out_width"]
    levels = math.ceil(math.log2(n * digit_positions(fmt)))
    cuts = max(0, math.ceil(levels / stage_levels) - 1)
    reg_bits = n * ACTIVATIONS[act].width + m * rates["out_width"] * (1 + cuts)  # in + out + cut regs
    feat_add = bits_per_w * n * m
    crit = _stage_delay_ns(stage_levels, int(rates["out_width"]), dfac)
    return {"area_um2": area_c["add_bits"] * feat_add + area_c["reg_bits"] * reg_bits,
            "energy_pj_per_gemv": tech.energy["tree_add_bits"] * feat_add + tech.energy["reg_bits"] * reg_bits,
            "critical_path_ns": crit, "fmax_mhz": 1000.0 / crit, "latency_cycles": cuts + 2,
            "adders_per_weight": rates["adders"] + combine}


def project_model(preset: str, tech_name: str = "n5", act: str = "int8", clock_mhz: float | None = None,
                  stage_levels: int = STAGE_LEVELS, context: int = 2048, kv_bits: int = 8,
                  kv_pj_per_bit: float = MEMORIES[DEFAULT_MEMORY]["pj_per_bit"],
                  kv_tb_per_s: float = 50.0, attn_pj_per_mac: float = 0.05, leakage_mw_per_mm2: float = 5.0,
                  sample_n: int = SAMPLE_ROWS, head_batch: int = 1,
                  rates: dict | None = None) -> dict:
    """Die area, tokens/s and tokens/J of a whole model hardwired at ``tech_name``.

    Assumptions (arguments, printed in the report):
    - every linear layer is a parallel hardwired array, pipelined every
      ``stage_levels`` adder levels; all layers form one pipeline that can take one
      token per clock (aggregate over as many concurrent sequences as stages);
    - attention (QK^T, softmax, AV) runs on programmable units beside the arrays;
      the KV cache (``context`` tokens, ``kv_bits`` per value) lives in HBM-class
      memory of ``kv_tb_per_s`` aggregate bandwidth at ``kv_pj_per_bit``, and every
      token reads its sequence's whole cache, so tokens/s is the smaller of the
      clock and ``kv_tb_per_s / KV bytes per token``; ``attn_pj_per_mac`` per
      attention MAC; attention units, SRAM and HBM PHY area are not counted;
    - MoE experts switch only when routed (``active``), all of them leak;
      ``leakage_mw_per_mm2`` of the logic (low-leakage cells, mostly idle fabric);
    - streamed matrices (the LM head, in its stored bf16) are not arrays: their
      weights are read from the same memory (``kv_pj_per_bit``, sharing
      ``kv_tb_per_s``) once per ``head_batch`` tokens (1: every token reads the head,
      batch-1 decode) and their multiply-adds run on the programmable units at
      ``attn_pj_per_mac``; they add no array area.
    """
    if preset not in MODEL_PRESETS:
        raise ConfigError(f"unknown model preset {preset!r}; known: {', '.join(MODEL_PRESETS)}")
    p = MODEL_PRESETS[preset]
    tech = load_tech(tech_name)
    rates = {} if rates is None else rates
    rows, total_area, e_token, weights, active_w = [], 0.0, 0.0, 0.0, 0.0
    crit, stream_bytes, e_stream = 0.0, 0.0, 0.0
    for mat in p.matrices:
        if mat.streamed:
            bits = mat.n * mat.m * STORED_BITS[mat.weights] / head_batch
            e = bits * kv_pj_per_bit + mat.n * mat.m * attn_pj_per_mac
            rows.append({"matrix": mat.name, "shape": f"{mat.n}x{mat.m}", "weights": mat.weights, "count": mat.count,
                         "adders_per_weight": 0.0, "naive_adders_per_weight": 0.0, "area_mm2": 0.0,
                         "energy_uj_per_token": e * 1e-6})
            stream_bytes += bits / 8
            e_stream += e
            weights += mat.n * mat.m * mat.count
            active_w += mat.n * mat.m * mat.count
            continue
        key = (min(mat.m, SAMPLE_COLUMNS), mat.weights)
        if key not in rates:
            rates[key] = sample_rates(mat.m, mat.weights, act, sample_n)
        r = rates[key]
        layer = layer_cost(mat.n, mat.m, mat.weights, act, tech_name, r, stage_levels, sample_n)
        area = layer["area_um2"] * mat.count
        e_gemv = layer["energy_pj_per_gemv"]
        crit = max(crit, layer["critical_path_ns"])
        add_per_w = layer["adders_per_weight"]
        rows.append({"matrix": mat.name, "shape": f"{mat.n}x{mat.m}", "weights": mat.weights, "count": mat.count,
                     "adders_per_weight": add_per_w, "naive_adders_per_weight": r["naive"],
                     "area_mm2": area * 1e-6, "energy_uj_per_token": e_gemv * mat.count * mat.active * 1e-6})
        total_area += area
        e_token += e_gemv * mat.count * mat.active
        weights += mat.n * mat.m * mat.count
        active_w += mat.n * mat.m * mat.count * mat.active
    fmax = 1000.0 / crit
    clock = fmax if clock_mhz is None else clock_mhz
    ctx_full = p.full_attention_layers * context
    ctx_win = (p.layers - p.full_attention_layers) * min(context, p.window or context)
    kv_reads = 2 * p.kv_dim * (ctx_full + ctx_win)  # K and V values read per token
    e_attn = kv_reads * kv_bits * kv_pj_per_bit + 2 * kv_reads * attn_pj_per_mac
    kv_bytes = kv_reads * kv_bits / 8
    tokens_s = min(clock * 1e6, kv_tb_per_s * 1e12 / (kv_bytes + stream_bytes))
    area_mm2 = total_area * 1e-6
    leak_w = leakage_mw_per_mm2 * area_mm2 * 1e-3
    e_leak = leak_w / tokens_s * 1e12  # pJ per token
    e_total = e_token + e_attn + e_leak + e_stream
    return {
        "model": p.name, "note": p.note, "tech": tech.name, "weights": weights, "active_weights": active_w,
        "area_mm2": area_mm2, "clock_mhz": clock, "tokens_per_s": tokens_s,
        "array_tokens_per_s": clock * 1e6,
        "limited_by": "memory bandwidth (KV + LM head)" if tokens_s < clock * 1e6 else "clock",
        "energy_mj_per_token": e_total * 1e-9,
        "energy_breakdown_mj": {"arrays": e_token * 1e-9, "attention_kv": e_attn * 1e-9, "leakage": e_leak * 1e-9,
                                "lm_head_streamed": e_stream * 1e-9},
        "tokens_per_j": 1e12 / e_total, "power_w": e_total * tokens_s * 1e-12, "rows": rows,
        "kv_bytes_per_token": kv_bytes, "streamed_bytes_per_token": stream_bytes,
        "assumptions": {"stage_levels": stage_levels, "context": context, "kv_bits": kv_bits,
                        "kv_pj_per_bit": kv_pj_per_bit, "kv_tb_per_s": kv_tb_per_s, "attn_pj_per_mac": attn_pj_per_mac,
                        "leakage_mw_per_mm2": leakage_mw_per_mm2, "activation": act, "sample_n": sample_n,
                        "head_batch": head_batch},
    }
