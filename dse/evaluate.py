"""Per-token metrics of design points: the cost model applied to a whole workload.

`evaluate` takes arrays of design parameters (one entry per design) and returns
arrays of metrics. It calls `costmodel.model.estimate_batch` once per distinct GEMV
shape of the workload, so a whole space is priced in a few numpy passes.

How a design serves a workload
------------------------------
One programmable core runs every GEMV of the token in turn, each started by a command
(`hwgen.schedule`). It is generated for the workload's largest ``n`` and ``m``
(`workload_maxima`): accumulators, counters and the activation buffer are sized for
them, so area and fmax are those of that one core, the one `hwgen sweep --emit-rtl`
writes. The clock is the ``clock_mhz`` parameter when the space has one (and then
fmax must reach it: a constraint), else the design's fmax.

- cycles per token: ``sum(count * gemv_cycles)`` (`hwgen.schedule.gemv_cycles`, the
  controller's arithmetic), ``core_cycles_per_token``
- compute time per token: cycles per token / clock
- weight stream per token: `dse.workload.streamed_bytes` (keys, padding included)
  plus the LM head's stored weights when it is streamed (`dse.workload.LmHead`)
- time per token: the roofline ``max(compute, bytes / bandwidth)``; a design is
  bandwidth-bound when the memory term wins. The head's dense unit is assumed to keep
  up with its stream (its bytes share the roofline; its own area is not counted)
- energy per token: the model's energy of every GEMV (dynamic and leakage), leakage
  while the core stalls for memory (clock gated while stalled), the DRAM energy of
  every streamed bit (``pj_per_bit`` of the space's ``memory`` in the technology
  table, `costmodel.memory`), and the head's multiply-adds on the dense unit (priced
  as the MAC baseline's fp16-weight core with the head's float activations, `dense_pj_per_op`)
- power: the model's power at full throughput (the peak; what ``max_power_mw`` limits)
- ops: two per weight (the streamed head's included); TOPS/W is ops over energy, TOPS/mm^2
  throughput over area

Other families (`_evaluate_families`)
-------------------------------------
Spaces with ``architecture``, ``weights``, float activations or ``hardwired_layers``
price ternary integer LUT points as above and every other core per design through
`dse.families.core_cost` (cached), with the same per-token accounting. The weight
stream is each design's bits per weight (`costmodel.model.bits_per_weight` for the
integer LUT formats, the key width for ternary keys, 2/8/16 for the MAC's ternary/int8/fp16 weights) times
the padded weights. ``hardwired_layers = h`` (model workloads): every projection of
``h`` layers is a hardwired array (`dse.families.hardwired_layer`); the core runs the
other ``layers - h`` (no core when ``h = layers``). Arrays and core share one clock
(the slower fmax unless ``clock_mhz`` is given); a hardwired projection takes its
latency in cycles, its energy per GEMV, and leaks for the whole token; power adds the
arrays' leakage and the busiest array's dynamic power; hardwired weights are not streamed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from costmodel.model import estimate_batch
from costmodel.pricing import run_cost
from costmodel.tech import load_tech
from hwgen import formats
from hwgen.config import required_accumulator_width

from .families import core_cost, hardwired_layer
from .space import Space
from .workload import key_bits, roofline, streamed_bytes

__all__ = ["METRICS", "evaluate", "violations", "constraint_names"]

#: Every metric `evaluate` returns, in report order.
METRICS = (
    "area_mm2", "energy_per_token_uj", "tokens_per_s", "latency_ms", "tops_per_mm2", "tops_per_w",
    "power_mw", "fmax_mhz", "clock_mhz", "compute_ms_per_token", "memory_ms_per_token",
    "mbytes_per_token", "bandwidth_bound", "dram_uj_per_token", "head_uj_per_token", "core_cycles_per_token",
)
#: The dense unit that serves a streamed LM head, priced per op as this MAC baseline core.
DENSE_UNIT = {"architecture": "mac", "weights": "fp16", "activation": "bf16", "group_size": 1, "luts": 16,
              "fetchers": 16, "pipeline": 1, "adder_pipeline": 1}


def workload_maxima(workload) -> tuple[int, int]:
    """``(max_n, max_m)`` of a workload: the core every design point is."""
    return max(g.n for g in workload.gemvs), max(g.m for g in workload.gemvs)


def _as_arrays(space: Space, points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sizes = {np.asarray(v).size for v in points.values()}
    size = max(sizes) if sizes else 1
    out = {}
    for p in space.params:
        value = points.get(p.name, p.values[0])
        out[p.name] = np.broadcast_to(np.asarray(value), (size,))
    return out


def evaluate(space: Space, points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Metrics (`METRICS`) of every design in ``points`` for the space's workload.

    ``points`` maps parameter names to equal-length arrays (missing fixed parameters
    take the space's value). Points must already be normalized (`Space.normalize`).
    """
    p = _as_arrays(space, points)
    if not space.vectorized or "hardwired_layers" in p:
        return _evaluate_families(space, p)
    tech = load_tech(space.tech)
    wl = space.workload
    max_n, max_m = workload_maxima(wl)
    base = {**_ternary_params(p["group_size"], p["luts"], p["fetchers"], p["pipeline"], p["activation"], max_n),
            "max_n": max_n, "max_m": max_m}
    shapes = wl.shapes
    if "clock_mhz" in p:
        clock = p["clock_mhz"].astype(np.float64)
    else:
        fmax_probe = [estimate_batch({**base, "n": n, "m": m}, tech)["fmax_mhz"] for n, m, _ in shapes]
        clock = np.min(fmax_probe, axis=0)
    area = fmax = power = None
    cycles = np.zeros(clock.shape)
    energy_pj = np.zeros(clock.shape)
    for n, m, count in shapes:
        est = estimate_batch({**base, "n": n, "m": m, "clock_mhz": clock}, tech)
        area = est["area_um2"] if area is None else np.maximum(area, est["area_um2"])
        fmax = est["fmax_mhz"] if fmax is None else np.minimum(fmax, est["fmax_mhz"])
        power = est["power_mw"] if power is None else np.maximum(power, est["power_mw"])
        cycles += count * est["cycles_per_gemv"]
        energy_pj += count * est["energy_pj_per_gemv"]
    mem_bytes = streamed_bytes(wl, p["group_size"], p["luts"], p["fetchers"])
    return _per_token(space, tech, core_area=area, always_on_area=np.zeros(clock.shape), power=power,
                      fmax=fmax, clock=clock, cycles=cycles, energy_pj=energy_pj, mem_bytes=mem_bytes,
                      core_cycles=cycles)


def _ternary_params(mu, luts, fetchers, pipeline, activation, max_n: int) -> dict[str, np.ndarray]:
    """`estimate_batch` parameters of ternary integer LUT cores, accumulators sized for ``max_n`` rows."""
    acts = [formats.ACTIVATIONS[a] for a in np.asarray(activation).tolist()]
    acc_by_name = {a.name: required_accumulator_width(max_n, a) for a in set(acts)}
    return {
        "group_size": mu, "luts": luts, "fetchers": fetchers, "pipeline": pipeline,
        "act_width": np.array([a.width for a in acts], dtype=np.int64),
        "accumulator_width": np.array([acc_by_name[a.name] for a in acts], dtype=np.int64),
    }


def _per_token(space: Space, tech, *, core_area, always_on_area, power, fmax, clock, cycles, energy_pj,
               mem_bytes, core_cycles) -> dict[str, np.ndarray]:
    """`METRICS` from per-token totals: the roofline, stall leakage and the derived rates.

    ``core_area`` leaks while the core stalls for memory (its energy while busy is in
    ``energy_pj``); ``always_on_area`` (hardwired arrays) leaks for the whole token.
    """
    wl = space.workload
    mem_bytes = mem_bytes + wl.head_bytes
    compute_s = cycles / (clock * 1e6)
    token_s, bw_bound = roofline(compute_s, mem_bytes, space.bandwidth_gbps)
    leak = tech.leakage_mw_per_um2
    stall_pj = leak * core_area * (token_s - compute_s) * 1e9  # mW * s = 1e9 pJ
    always_on_pj = leak * always_on_area * token_s * 1e9
    dram_pj = mem_bytes * 8 * tech.memory[space.memory]["pj_per_bit"]
    head_pj = wl.head_ops * dense_pj_per_op(space.tech, wl.head.n, wl.head.m) if wl.head_ops else 0.0
    energy_j = (energy_pj + stall_pj + always_on_pj + dram_pj + head_pj) * 1e-12
    ops = float(wl.ops_per_token + wl.head_ops)
    tops = ops / token_s / 1e12
    area_mm2 = (core_area + always_on_area) / 1e6
    return {
        "area_mm2": area_mm2,
        "energy_per_token_uj": energy_j * 1e6,
        "tokens_per_s": 1.0 / token_s,
        "latency_ms": token_s * 1e3,
        "tops_per_mm2": tops / area_mm2,
        "tops_per_w": ops / energy_j / 1e12,
        "power_mw": power,
        "fmax_mhz": fmax,
        "clock_mhz": clock,
        "compute_ms_per_token": compute_s * 1e3,
        "memory_ms_per_token": (mem_bytes / (space.bandwidth_gbps * 1e9) * 1e3
                                if space.bandwidth_gbps else np.zeros(clock.shape)),
        "mbytes_per_token": mem_bytes / 1e6,
        "bandwidth_bound": bw_bound,
        "dram_uj_per_token": dram_pj * 1e-6,
        "head_uj_per_token": np.full(clock.shape, head_pj * 1e-6),
        "core_cycles_per_token": np.rint(np.asarray(core_cycles, dtype=np.float64)).astype(np.int64),
    }


@lru_cache(maxsize=None)
def dense_pj_per_op(tech: str, n: int, m: int) -> float:
    """Energy per operation of the dense unit (`DENSE_UNIT`) running the ``(n, m)`` LM head."""
    d = DENSE_UNIT
    area, fmax, e_cycle, cycles, _ = core_cost(d["architecture"], d["weights"], d["activation"], d["group_size"],
                                               d["luts"], d["fetchers"], d["pipeline"], d["adder_pipeline"], n, m,
                                               n, m, tech)
    _, energy_pj = run_cost(e_cycle, load_tech(tech).leakage_mw_per_um2 * area, cycles, fmax)
    return energy_pj / (2.0 * n * m)


def _evaluate_families(space: Space, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`evaluate` for spaces with family parameters (see the module docstring)."""
    tech = load_tech(space.tech)
    wl = space.workload
    size = p["luts"].shape[0]
    full = lambda name, default: (p[name] if name in p else np.full(size, default))  # noqa: E731
    arch, weights = full("architecture", "lut"), full("weights", wl.weights)
    act, ap = p["activation"], full("adder_pipeline", 0)
    hw = full("hardwired_layers", 0).astype(np.int64)
    is_float = np.array([formats.ACTIVATIONS[a].is_float for a in act], dtype=bool)
    fast = (arch == "lut") & (weights == "ternary") & ~is_float
    slow = np.flatnonzero(~fast)
    core_frac = (wl.layers - hw) / wl.layers if wl.layers else np.ones(size)
    uses_core = core_frac > 0
    shapes = wl.shapes
    max_n, max_m = workload_maxima(wl)
    mu, L, K, pipe = (p[k].astype(np.int64) for k in ("group_size", "luts", "fetchers", "pipeline"))

    # per shape: clock-independent costs (slow points) and fmax (every point)
    static = []
    for n, m, _ in shapes:
        st = {k: np.zeros(size) for k in ("area", "fmax", "e_cycle", "cycles", "bits")}
        for i in slow:
            st["area"][i], st["fmax"][i], st["e_cycle"][i], st["cycles"][i], st["bits"][i] = core_cost(
                str(arch[i]), str(weights[i]), str(act[i]), int(mu[i]), int(L[i]), int(K[i]), int(pipe[i]),
                int(ap[i]), n, m, max_n, max_m, space.tech)
        static.append(st)
    ternary_base = None
    if fast.any():
        idx = np.flatnonzero(fast)
        ternary_base = {**_ternary_params(mu[idx], L[idx], K[idx], pipe[idx], act[idx], max_n),
                        "max_n": max_n, "max_m": max_m}
        bits = key_bits(mu[idx]) / mu[idx]
        for (n, m, _), st in zip(shapes, static):
            st["fmax"][idx] = estimate_batch({**ternary_base, "n": n, "m": m}, tech)["fmax_mhz"]
            st["bits"][idx] = bits

    # hardwired layers: per-layer sums over the projections (one of each per layer)
    hw_area = np.zeros(size)
    hw_energy = np.zeros(size)
    hw_cycles = np.zeros(size)
    hw_fmax = np.full(size, np.inf)
    hw_peak_pj_cycle = np.zeros(size)
    for i in np.flatnonzero(hw > 0):
        per = [hardwired_layer(g.n, g.m, str(weights[i]), str(act[i]), space.tech) for g in wl.gemvs]
        hw_area[i] = hw[i] * sum(x[0] for x in per)
        hw_energy[i] = hw[i] * sum(x[1] for x in per)
        hw_cycles[i] = hw[i] * sum(x[3] for x in per)
        hw_fmax[i] = min(x[2] for x in per)
        hw_peak_pj_cycle[i] = max(x[1] / x[3] for x in per)

    core_fmax = np.min([st["fmax"] for st in static], axis=0)
    fmax = np.where(uses_core, np.minimum(core_fmax, hw_fmax), hw_fmax)
    clock = p["clock_mhz"].astype(np.float64) if "clock_mhz" in p else fmax.copy()

    area = np.zeros(size)
    power = np.zeros(size)
    cycles = np.zeros(size)
    energy_pj = np.zeros(size)
    mem_bits = np.zeros(size)
    leak = tech.leakage_mw_per_um2
    for (n, m, count), st in zip(shapes, static):
        a, cyc = st["area"].copy(), st["cycles"].copy()
        pw, e = run_cost(st["e_cycle"], leak * a, cyc, clock)
        if ternary_base is not None:
            idx = np.flatnonzero(fast)
            est = estimate_batch({**ternary_base, "n": n, "m": m, "clock_mhz": clock[idx]}, tech)
            a[idx], cyc[idx] = est["area_um2"], est["cycles_per_gemv"]
            pw[idx], e[idx] = est["power_mw"], est["energy_pj_per_gemv"]
        area, power = np.maximum(area, a), np.maximum(power, pw)
        runs = count * core_frac
        cycles += runs * cyc
        energy_pj += runs * e
        rows = -(-n // (mu * L)) * mu * L
        cols = -(-m // K) * K
        mem_bits += runs * rows * cols * st["bits"]
    area, power = np.where(uses_core, area, 0.0), np.where(uses_core, power, 0.0)
    power = power + leak * hw_area + hw_peak_pj_cycle * clock * 1e-3
    return _per_token(space, tech, core_area=area, always_on_area=hw_area, power=power, fmax=fmax,
                      clock=clock, cycles=cycles + hw_cycles, energy_pj=energy_pj + hw_energy,
                      mem_bytes=mem_bits / 8.0, core_cycles=cycles)


def constraint_names(space: Space) -> list[str]:
    """One name per column of `violations`."""
    names = [f"{kind}_{metric}" for metric, kind, _ in space.limits]
    if "clock_mhz" in space.param_names:
        names.append("timing")
    return names


def violations(space: Space, metrics: dict[str, np.ndarray]) -> np.ndarray:
    """Constraint values, shape ``(points, constraints)``: ``<= 0`` is satisfied.

    Each is the relative excess over its bound, so Optuna's constrained dominance
    compares violations of different units fairly. With a ``clock_mhz`` parameter,
    "timing" requires fmax to reach the clock.
    """
    cols = []
    for metric, kind, bound in space.limits:
        value = np.asarray(metrics[metric], dtype=np.float64)
        cols.append((value - bound) / bound if kind == "max" else (bound - value) / bound)
    if "clock_mhz" in space.param_names:
        cols.append((metrics["clock_mhz"] - metrics["fmax_mhz"]) / metrics["clock_mhz"])
    size = np.asarray(metrics["area_mm2"]).shape[0]
    return np.stack(cols, axis=1) if cols else np.zeros((size, 0))
