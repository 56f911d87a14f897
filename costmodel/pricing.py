"""One rule from structure counts to area, energy, power and leakage, for every model.

Every cost model of the project (the integer LUT core of every weight format
`costmodel.model`, float cores and the MAC baseline
`costmodel.float_model`, hardwired arrays `costmodel.hardwired`) and the sweep's
per-token account (`dse.evaluate`) price the same way:

- area and dynamic energy per cycle are linear in counts (`linear`: one coefficient
  per count, from a technology table);
- leakage is proportional to area: ``leak_mw = leakage_mw_per_um2 * area``;
- a GEMV of ``cycles`` at ``clock`` MHz costs ``e_cycle * cycles + leak_mw * cycles / clock``
  and draws ``e_cycle * clock + leak_mw`` (`run_cost`).

The functions take plain floats or numpy arrays alike, with one fixed order of
operations, so a vectorized and a one-design estimate agree bit for bit.
"""

from __future__ import annotations

__all__ = ["linear", "run_cost", "run_metrics"]


def linear(counts: dict, coefficients: dict) -> float:
    """``sum(coefficients[k] * counts[k])`` over the counts given."""
    return sum(coefficients[k] * v for k, v in counts.items())


def run_cost(e_cycle, leak_mw, cycles, clock_mhz):
    """``(power_mw, energy_pj)`` of ``cycles`` at ``clock_mhz``: pJ * MHz = uW, mW * us = nJ."""
    power = e_cycle * clock_mhz * 1e-3 + leak_mw
    energy = e_cycle * cycles + leak_mw * (cycles / clock_mhz) * 1e3
    return power, energy


def run_metrics(area, e_cycle, leakage_mw_per_um2: float, critical_ns, clock_mhz, cycles, ops) -> dict:
    """The model outputs every estimate shares (`costmodel.model.OUTPUT_KEYS` but latency).

    ``clock_mhz`` None runs at fmax (``1000 / critical_ns``); ``ops`` per GEMV.
    """
    fmax = 1000.0 / critical_ns
    clock = fmax if clock_mhz is None else clock_mhz
    leak_mw = leakage_mw_per_um2 * area
    power, e_gemv = run_cost(e_cycle, leak_mw, cycles, clock)
    return {
        "area_um2": area, "power_mw": power, "energy_pj_per_gemv": e_gemv, "energy_pj_per_op": e_gemv / ops,
        "energy_pj_per_cycle": e_cycle, "fmax_mhz": fmax, "clock_mhz": clock, "critical_path_ns": critical_ns,
        "cycles_per_gemv": cycles, "gemv_per_s": clock * 1e6 / cycles,
        "throughput_gops": ops * clock * 1e-3 / cycles, "ops_per_gemv": ops,
    }
